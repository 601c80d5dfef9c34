"""The rule's scenarios, one list for the demo, `rdk test-local` and the handler tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from .credential_report import RootUse


class Scenario(NamedTuple):
    name: str  # an identifier, for test ids
    title: str  # what the demo prints
    root_use: Callable[[datetime], RootUse | None]  # None: the report has no root row
    compliance_type: str
    annotation_contains: str
    parameters: Mapping[str, str] = {"ThresholdDays": "7"}


SCENARIOS = (
    Scenario(
        "never_used", "Root never used", lambda now: RootUse(), "COMPLIANT", "no recorded use"
    ),
    Scenario(
        "console_sign_in_two_days_ago",
        "Root console sign-in two days ago",
        lambda now: RootUse.at(password=now - timedelta(days=2)),
        "NON_COMPLIANT",
        "console password was used at",
    ),
    Scenario(
        "old_password_hides_no_fresh_key",
        "Old root password (400 days ago), access key 1 used two hours ago",
        lambda now: RootUse.at(
            password=now - timedelta(days=400), access_key_1=now - timedelta(hours=2)
        ),
        "NON_COMPLIANT",
        "access key 1 was used at",
    ),
    Scenario(
        "used_30_days_ago",
        "Root used 30 days ago (outside the 7-day threshold)",
        lambda now: RootUse.at(password=now - timedelta(days=30)),
        "COMPLIANT",
        "outside the 7-day threshold",
    ),
    Scenario(
        "threshold_widened_to_60_days",
        "ThresholdDays 60: root used 40 days ago",
        lambda now: RootUse.at(password=now - timedelta(days=40)),
        "NON_COMPLIANT",
        "within the 60-day threshold",
        {"ThresholdDays": "60"},
    ),
    Scenario(
        "no_root_row",
        "Credential report without a root row: fail closed",
        lambda now: None,
        "NON_COMPLIANT",
        "[RootRowMissing]",
    ),
    Scenario(
        "invalid_threshold",
        'ThresholdDays "seven": fail closed, naming the parameter',
        lambda now: RootUse(),
        "NON_COMPLIANT",
        "ThresholdDays",
        {"ThresholdDays": "seven"},
    ),
)
