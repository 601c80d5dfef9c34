"""Record every AWS API call the product makes (not the tests' own set-up calls).

Who called is read off the product frames on the stack, by package folder, the same
folders that decide what the Lambda zip ships (tools/package_lambda.py): `core` and
`rule` (and rdklib, and the handler module) are the rule, `history` is the auditor's
`history` command, `cli/doctor.py` the `doctor` command; the rest of `cli` and
`simulation` never call AWS for the product (the demo seeds simulated accounts). The
re-evaluation function is its own Lambda with its own role. Each rule call is kept as
(IAM action, access key id), so calls made with an assumed role can be told from the
function's.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from pathlib import Path, PurePath
from typing import Any

from botocore.client import BaseClient

import root_account_usage
from root_account_usage.rule.clients import DeadlineClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from package_lambda import SHIPPED_SUBPACKAGES

PACKAGE_DIR = Path(root_account_usage.__file__).resolve().parent
REEVALUATION_MODULE = PurePath("rule", "reevaluate.py")
# `doctor` reads through the rule's and history's helpers, with the auditor's credentials:
# its calls are its own, never the rule's or history's.
DOCTOR_MODULE = PurePath("cli", "doctor.py")
# botocore's service names that differ from IAM's action prefix.
_ACTION_PREFIX = {"config-service": "config", "configservice": "config"}

RECORDED: set[tuple[str, str]] = set()  # the rule's calls
HISTORY_RECORDED: set[str] = set()  # the history command's calls
HISTORY_ASSUMED_RECORDED: set[str] = set()  # ... of them, those made with an assumed role
REEVALUATION_RECORDED: set[str] = set()  # the re-evaluation function's calls
DOCTOR_RECORDED: set[str] = set()  # the doctor command's calls


def room_of(filename: str) -> str | None:
    """'rule', 'reevaluation', 'history', 'doctor', 'none' (product code that never calls
    AWS for the product), or None when `filename` is not product code."""
    path = Path(filename)
    if "rdklib" in path.parts or path.name == "ROOT_ACCOUNT_USAGE.py":
        return "rule"
    try:
        inside = path.resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return None
    if inside == REEVALUATION_MODULE:
        return "reevaluation"
    if inside == DOCTOR_MODULE:
        return "doctor"
    folder = inside.parts[0] if len(inside.parts) > 1 else ""
    if folder in SHIPPED_SUBPACKAGES:
        return "rule"
    return "history" if folder == "history" else "none"


def _caller(skip: int = 2) -> str | None:
    # history reads Config through the rule's shared AWS helpers, and the demo runs the
    # handler: so the room that called is the most specific one anywhere on the stack
    # (above the `skip` frames of the recorder and the client itself).
    rooms = set()
    frame = sys._getframe(skip)
    while frame is not None:
        rooms.add(room_of(frame.f_code.co_filename))
        frame = frame.f_back
    for room in ("doctor", "history", "reevaluation", "rule"):
        if room in rooms:
            return room
    return None


# A DeadlineClient makes its call in a worker thread, whose stack holds no caller: the
# room is read in the calling thread and handed over in the call's context.
# (A call a test makes itself hands over None: not the product's, whatever the worker's
# stack holds.)
_UNSET = "unset"
_ROOM: ContextVar[str | None] = ContextVar("room", default=_UNSET)


def install(monkeypatch: Any) -> None:
    original = BaseClient._make_api_call
    original_call = DeadlineClient._call

    def calling(self: DeadlineClient, operation: Any, request: dict[str, Any]) -> Any:
        room = _ROOM.set(_caller(skip=3))  # not DeadlineClient's own frame
        try:
            return original_call(self, operation, request)
        finally:
            _ROOM.reset(room)

    def recording(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        handed = _ROOM.get()
        caller = _caller() if handed == _UNSET else handed
        if caller is not None:
            service = self.meta.service_model.service_name
            action = f"{_ACTION_PREFIX.get(service, service)}:{operation_name}"
            credentials = self._request_signer._credentials
            key = credentials.access_key if credentials else ""
            if caller == "doctor":
                DOCTOR_RECORDED.add(action)
            elif caller == "history":
                HISTORY_RECORDED.add(action)
                if key.startswith("ASIA"):  # temporary credentials: a member account's role
                    HISTORY_ASSUMED_RECORDED.add(action)
            elif caller == "reevaluation":
                REEVALUATION_RECORDED.add(action)
            else:
                RECORDED.add((action, key))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    monkeypatch.setattr(DeadlineClient, "_call", calling)
