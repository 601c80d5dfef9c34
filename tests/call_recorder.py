"""Record every AWS API call the product makes (not the tests' own set-up calls).

The innermost frame of rdklib or root_account_usage on the stack says who called:
the `history` command (config_history.py, an auditor's credentials), the demo's
simulation (seeding accounts: not counted), or else the rule itself. Each call is
kept as (IAM action, access key id), so calls made with an assumed role can be told
from the function's.
"""

from __future__ import annotations

import sys
from typing import Any

from botocore.client import BaseClient

# botocore's service names that differ from IAM's action prefix.
_ACTION_PREFIX = {"config-service": "config", "configservice": "config"}
_PRODUCT_PATHS = ("/rdklib/", "/root_account_usage/", "/ROOT_ACCOUNT_USAGE.py")
_NOT_PRODUCT = ("simulated_aws.py", "simulated_config.py", "demo.py")
_HISTORY = ("config_history.py", "history_command.py")
_REEVALUATION = ("reevaluate.py",)

RECORDED: set[tuple[str, str]] = set()  # the rule's calls
HISTORY_RECORDED: set[str] = set()  # the history command's calls
REEVALUATION_RECORDED: set[str] = set()  # the re-evaluation function's calls


def _caller() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if any(part in filename for part in _PRODUCT_PATHS):
            if filename.endswith(_NOT_PRODUCT):
                return None
            if filename.endswith(_HISTORY):
                return "history"
            return "reevaluation" if filename.endswith(_REEVALUATION) else "rule"
        frame = frame.f_back
    return None


def install(monkeypatch: Any) -> None:
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        caller = _caller()
        if caller is not None:
            service = self.meta.service_model.service_name
            action = f"{_ACTION_PREFIX.get(service, service)}:{operation_name}"
            if caller == "history":
                HISTORY_RECORDED.add(action)
            elif caller == "reevaluation":
                REEVALUATION_RECORDED.add(action)
            else:
                credentials = self._request_signer._credentials
                RECORDED.add((action, credentials.access_key if credentials else ""))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
