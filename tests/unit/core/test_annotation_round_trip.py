"""Every kind of annotation the rule writes is read back by read_root_use as what it says
(core/annotation.py keeps writer and reader together; this proves they agree)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from root_account_usage.core.annotation import (
    MAX_ANNOTATION_LENGTH,
    RootUseSeen,
    is_unable,
    read_recent_root_use,
    read_root_use,
)
from root_account_usage.core.cloudtrail_evidence import RootActivity, apply_activity
from root_account_usage.core.exceptions import StaleReportError
from root_account_usage.core.report import parse_credential_report
from root_account_usage.core.verdict import decide, unable_to_evaluate
from root_account_usage.simulation.credential_report import RootUse, render_report, root_row
from tests.reports import ACCOUNT_ID, NOW

GENERATED = NOW - timedelta(hours=1)


def report(use: RootUse, *, removed: bool = False) -> bytes:
    row = root_row(ACCOUNT_ID, use)
    if removed:  # every credential gone: none active, none left inactive
        row |= {"password_enabled": "false", "access_key_1_active": "false"}
        row |= {"access_key_2_active": "false"}
        row |= {"access_key_1_last_rotated": "N/A", "access_key_2_last_rotated": "N/A"}
    return render_report([row])


def judged(use: RootUse, *, removed: bool = False):
    root = parse_credential_report(report(use, removed=removed))
    return decide(root, now=NOW, threshold_days=7, report_generated_at=GENERATED)


def activity(source: str, *, assumed_root: bool = False, name: str = "ConsoleLogin"):
    return RootActivity(
        NOW - timedelta(hours=1),
        name,
        "us-east-1",
        None,
        False,
        "us-east-1",
        assumed_root=assumed_root,
        source=source,
    )


def with_activity(found: RootActivity):
    return apply_activity(judged(RootUse()), [found], now=NOW, threshold_days=7)


CASES = {
    "recent password": (
        judged(RootUse.at(password=NOW - timedelta(days=1))),
        RootUseSeen("console password", "2026-11-26T12:00:00Z"),
    ),
    "recent key, credentials since removed": (
        judged(RootUse.at(access_key_2=NOW - timedelta(days=2)), removed=True),
        RootUseSeen("access key 2", "2026-11-25T12:00:00Z"),
    ),
    "old use": (
        judged(RootUse.at(password=NOW - timedelta(days=30))),
        RootUseSeen("console password", "2026-10-28T12:00:00Z"),
    ),
    "old use, credentials removed": (
        judged(RootUse.at(access_key_1=NOW - timedelta(days=30)), removed=True),
        RootUseSeen("access key 1", "2026-10-28T12:00:00Z"),
    ),
    "never used": (judged(RootUse()), None),
    "no credentials": (judged(RootUse(), removed=True), None),
    "CloudTrail sign-in": (
        with_activity(activity("CloudTrail")),
        RootUseSeen(
            "CloudTrail: console sign-in from an unknown address without MFA",
            "2026-11-27T11:00:00Z",
        ),
    ),
    "recorded sign-in": (
        with_activity(activity("EventBridge")),
        RootUseSeen("EventBridge: console sign-in without MFA", "2026-11-27T11:00:00Z"),
    ),
    "AssumeRoot session in CloudTrail": (
        with_activity(activity("CloudTrail", assumed_root=True, name="DeleteAccessKey")),
        RootUseSeen(
            "CloudTrail: privileged session from the management account (AssumeRoot): "
            "DeleteAccessKey in us-east-1",
            "2026-11-27T11:00:00Z",
        ),
    ),
    "recorded AssumeRoot session": (
        with_activity(activity("EventBridge", assumed_root=True, name="DeleteLoginProfile")),
        RootUseSeen(
            "EventBridge: privileged session from the management account (AssumeRoot): "
            "DeleteLoginProfile in us-east-1",
            "2026-11-27T11:00:00Z",
        ),
    ),
    "fail closed": (unable_to_evaluate(StaleReportError("report too old")), None),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_annotation_is_read_back_as_written(case):
    verdict, expected = CASES[case]
    assert len(verdict.annotation) <= MAX_ANNOTATION_LENGTH
    assert read_root_use(verdict.annotation) == expected
    assert is_unable(verdict.annotation) == (case == "fail closed")


def test_no_credentials_is_said_rather_than_only_no_recorded_use():
    annotation = CASES["no credentials"][0].annotation
    assert annotation.startswith(
        "Root has no console password, access keys or signing certificates (no recorded use)"
    )
    assert (
        "no console password, access keys or signing certificates now"
        in CASES["old use, credentials removed"][0].annotation
    )
    # Still judged: a use inside the threshold stays NON_COMPLIANT after the removal.
    assert CASES["recent key, credentials since removed"][0].compliance_type == "NON_COMPLIANT"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_recent_use_is_read_only_from_a_verdict_that_counts_it(case):
    # What the credential removal acts on: a use inside the threshold, never an old one.
    verdict, expected = CASES[case]
    recent = read_recent_root_use(verdict.annotation)
    assert recent == (expected if verdict.compliance_type == "NON_COMPLIANT" else None)
