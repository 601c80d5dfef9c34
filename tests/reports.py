"""Credential reports for tests, built relative to a fixed `now`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from root_account_usage.core import annotation as text
from root_account_usage.core.cloudtrail_evidence import RootActivity, apply_activity
from root_account_usage.core.verdict import Verdict
from root_account_usage.simulation.credential_report import (
    REPORT_COLUMNS,
    RootUse,
    root_row,
)

ACCOUNT_ID = "111122223333"
NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def user_row(
    account_id: str, name: str, last_used: str = "2024-05-06T07:08:09+00:00"
) -> dict[str, str]:
    """An ordinary IAM user's row, with a console password used at `last_used`."""
    row = dict.fromkeys(REPORT_COLUMNS, "N/A")
    row.update(
        {
            "user": name,
            "arn": f"arn:aws:iam::{account_id}:user/{name}",
            "user_creation_time": "2020-01-02T03:04:05+00:00",
            "password_enabled": "true",
            "password_last_used": last_used,
            "password_last_changed": "2020-01-02T03:04:05+00:00",
            "mfa_active": "true",
            "access_key_1_active": "false",
            "access_key_2_active": "false",
            "cert_1_active": "false",
            "cert_2_active": "false",
        }
    )
    return row


def render_report(
    rows: list[Mapping[str, str]], columns: tuple[str, ...] = REPORT_COLUMNS, newline: str = "\n"
) -> bytes:
    """Rows as a credential report CSV: IAM's columns and line ends unless told otherwise."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator=newline, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def report_with_root(
    use: RootUse,
    *,
    users: int = 3,
    root_position: int = 0,
    columns: tuple[str, ...] = REPORT_COLUMNS,
    newline: str = "\n",
    account_id: str = ACCOUNT_ID,
) -> bytes:
    """A report with `users` IAM users and the root row at `root_position`."""
    rows = [user_row(account_id, f"user-{number:05d}") for number in range(users)]
    rows.insert(root_position, root_row(account_id, use))
    return render_report(rows, columns=columns, newline=newline)


def report_without_root(users: int = 3) -> bytes:
    return render_report([user_row(ACCOUNT_ID, f"user-{n}") for n in range(users)])


def apply_cloudtrail(
    verdict: Verdict,
    activities: Iterable[RootActivity],
    *,
    now: datetime,
    threshold_days: int,
    unavailable: str | None = None,
) -> Verdict:
    """apply_activity for CloudTrail alone: found activity, or none, or unavailable."""
    return apply_activity(
        verdict,
        [] if unavailable is not None else activities,
        now=now,
        threshold_days=threshold_days,
        cloudtrail_read=unavailable is None,
        unavailable=(text.CLOUDTRAIL,) if unavailable is not None else (),
    )


def read_report_only(annotation: str) -> bool:
    """Whether the evaluation behind `annotation` read the credential report only."""
    return annotation.endswith(text.REPORT_ONLY) or f"{text.REPORT_ONLY} " in annotation
