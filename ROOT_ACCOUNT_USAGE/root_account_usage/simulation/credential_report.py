"""Credential reports as IAM writes them, and moto's gaps filled (in IAM, Config, CloudTrail)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from ..core.timestamps import format_timestamp


@dataclass(frozen=True)
class RootUse:
    """Last-use values of the root row, as IAM writes them (timestamps or markers)."""

    password_last_used: str = "no_information"  # noqa: S105 - an IAM marker, not a secret
    access_key_1_last_used: str = "N/A"
    access_key_2_last_used: str = "N/A"

    @classmethod
    def at(
        cls,
        password: datetime | None = None,
        access_key_1: datetime | None = None,
        access_key_2: datetime | None = None,
    ) -> RootUse:
        """Build from datetimes; None becomes IAM's 'no recorded use' marker."""
        return cls(
            password_last_used=_iam_time(password, "no_information"),
            access_key_1_last_used=_iam_time(access_key_1, "N/A"),
            access_key_2_last_used=_iam_time(access_key_2, "N/A"),
        )


def root_row(account_id: str, use: RootUse) -> dict[str, str]:
    """A root row as IAM writes it, in IAM's column order (password columns: not_supported)."""
    row = {
        "user": "<root_account>",
        "arn": f"arn:aws:iam::{account_id}:root",
        "user_creation_time": "2019-03-04T09:10:11+00:00",
        "password_enabled": "not_supported",
        "password_last_used": use.password_last_used,
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "true",
    }
    for n, last_used, region, service in (
        (1, use.access_key_1_last_used, "us-east-1", "iam"),
        (2, use.access_key_2_last_used, "eu-west-1", "s3"),
    ):
        used = last_used not in ("N/A", "")
        row |= {
            f"access_key_{n}_active": str(used).lower(),
            f"access_key_{n}_last_rotated": f"2019-03-04T09:1{n + 1}:00+00:00" if used else "N/A",
            f"access_key_{n}_last_used_date": last_used,
            f"access_key_{n}_last_used_region": region if used else "N/A",
            f"access_key_{n}_last_used_service": service if used else "N/A",
        }
    row |= {"cert_1_active": "false", "cert_1_last_rotated": "N/A"}
    return row | {"cert_2_active": "false", "cert_2_last_rotated": "N/A"}


# The columns of a real credential report, in IAM's order.
REPORT_COLUMNS = tuple(root_row("", RootUse()))


def render_report(rows: list[Mapping[str, str]]) -> bytes:
    """Render rows as a credential report CSV, as IAM writes it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, REPORT_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


@contextmanager
def root_in_credential_report(
    account_id: str, use: RootUse | None, generated_at: datetime
) -> Iterator[None]:
    """moto's GetCredentialReport with a root row first (none if `use` is None), as IAM."""
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def get_credential_report(self: IamResponse) -> ActionResult:
        report = self.backend.get_credential_report()
        if use is not None:
            header, _, users = report.partition("\n")
            root = render_report([root_row(account_id, use)]).decode().partition("\n")[2]
            report = f"{header}\n{root}{users}"
        at = format_timestamp(generated_at)
        return ActionResult({"Content": report, "ReportFormat": "text/csv", "GeneratedTime": at})

    with mock.patch.object(IamResponse, "get_credential_report", get_credential_report):
        yield


def _iam_time(moment: datetime | None, marker: str) -> str:
    return marker if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def config_without_history() -> AbstractContextManager[Any]:
    """moto's Config has no GetComplianceDetailsByConfigRule (it records nothing in TestMode):
    answered as for a rule yet to evaluate the account, so the rule's memory reads "none"."""
    from moto.config.responses import ConfigResponse

    return _answering(ConfigResponse, "get_compliance_details_by_config_rule", "EvaluationResults")


def cloudtrail_without_root_events() -> AbstractContextManager[Any]:
    """moto's CloudTrail has no LookupEvents: answered as a clean account's event history
    answers (no events), so that the demo shows the rule's clean CloudTrail sentence."""
    from moto.cloudtrail.responses import CloudTrailResponse

    return _answering(CloudTrailResponse, "lookup_events", "Events")


def _answering(responses: type, operation: str, key: str) -> AbstractContextManager[Any]:
    """moto's `responses` answering `operation` with an empty `key` list."""
    empty = json.dumps({key: []})
    # A function, not a Mock's return_value: moto dispatches only to functions.
    return mock.patch.object(responses, operation, lambda self: empty, create=True)  # noqa: PT008
