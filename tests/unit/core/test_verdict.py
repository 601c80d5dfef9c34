"""The verdict: exact time spans, the latest of three credentials, peers' bugs."""

from __future__ import annotations

from datetime import timedelta

import botocore.session
import pytest

from root_account_usage.core import annotation as text
from root_account_usage.core.annotation import MAX_ANNOTATION_LENGTH, UNABLE_PREFIX
from root_account_usage.core.cloudtrail_evidence import RootActivity, apply_activity
from root_account_usage.core.exceptions import (
    AccountMismatchError,
    MalformedReportError,
    ReportUnavailableError,
    RootRowMissingError,
    StaleReportError,
)
from root_account_usage.core.report import CredentialUse, RootCredentials, parse_credential_report
from root_account_usage.core.timestamps import format_timestamp
from root_account_usage.core.verdict import (
    COMPLIANT,
    NON_COMPLIANT,
    RememberedUse,
    Verdict,
    apply_memory,
    decide,
    remembered_use,
    require_account,
    unable_to_evaluate,
)
from root_account_usage.simulation.credential_report import RootUse
from tests.reports import ACCOUNT_ID, NOW, report_with_root

GENERATED = NOW - timedelta(hours=1)


def judge(use: RootUse, threshold_days: int = 7, now=NOW, generated=GENERATED) -> Verdict:
    root = parse_credential_report(report_with_root(use))
    return decide(root, now=now, threshold_days=threshold_days, report_generated_at=generated)


def test_never_used_root_is_compliant_and_says_so():
    verdict = judge(RootUse())
    assert verdict.compliance_type == COMPLIANT
    assert verdict.credential is None
    assert verdict.last_used is None
    assert "no recorded use" in verdict.annotation
    assert "threshold 7 days" in verdict.annotation
    assert "report generated 2026-11-27T11:00:00Z" in verdict.annotation
    assert verdict.account_id == ACCOUNT_ID


def test_password_used_two_days_ago_is_non_compliant():
    verdict = judge(RootUse.at(password=NOW - timedelta(days=2)))
    assert verdict.compliance_type == NON_COMPLIANT
    assert verdict.credential == "password"
    assert verdict.last_used == NOW - timedelta(days=2)
    assert "console password" in verdict.annotation
    assert "2026-11-25T12:00:00Z" in verdict.annotation
    assert "7-day threshold" in verdict.annotation


def test_old_password_does_not_hide_fresh_access_key_1():
    # Prowler reads only the first non-empty date.
    verdict = judge(
        RootUse.at(password=NOW - timedelta(days=400), access_key_1=NOW - timedelta(hours=2))
    )
    assert verdict.compliance_type == NON_COMPLIANT
    assert verdict.credential == "access_key_1"
    assert "access key 1" in verdict.annotation


def test_no_information_password_does_not_beat_fresh_access_key_2():
    # CloudSploit compares the strings: "no_information" > "2026-...".
    verdict = judge(RootUse(access_key_2_last_used="2026-11-26T12:00:00+00:00"))
    assert verdict.compliance_type == NON_COMPLIANT
    assert verdict.credential == "access_key_2"


def test_access_key_used_100_days_ago_is_compliant():
    # Steampipe's key comparison is inverted.
    verdict = judge(RootUse.at(access_key_1=NOW - timedelta(days=100)))
    assert verdict.compliance_type == COMPLIANT
    assert verdict.credential == "access_key_1"
    assert "outside the 7-day threshold" in verdict.annotation


def test_use_seven_days_and_one_minute_ago_is_outside_threshold():
    verdict = judge(RootUse.at(password=NOW - timedelta(days=7, minutes=1)))
    assert verdict.compliance_type == COMPLIANT


def test_use_six_days_23_hours_ago_is_inside_threshold():
    # A tool that truncates to whole days calls this 6 days either way; the
    # next case shows the span is exact, not rounded.
    verdict = judge(RootUse.at(password=NOW - timedelta(days=6, hours=23)))
    assert verdict.compliance_type == NON_COMPLIANT


def test_use_exactly_at_the_threshold_edge_is_inside():
    verdict = judge(RootUse.at(password=NOW - timedelta(days=7)))
    assert verdict.compliance_type == NON_COMPLIANT


def test_a_remembered_use_exactly_at_the_threshold_edge_is_inside_as_a_reported_one():
    remembered = remembered_use(judge(RootUse.at(password=NOW - timedelta(days=7))).annotation)
    assert remembered is not None
    for now, expected in ((NOW, NON_COMPLIANT), (NOW + timedelta(seconds=1), COMPLIANT)):
        verdict = apply_memory(judge(RootUse()), remembered, now=now, threshold_days=7)
        assert verdict.compliance_type == expected


def test_a_reported_use_keeps_the_words_the_removal_reads_after_every_caveat():
    # ThresholdDays 365; a key used after the evaluation time (the report generated later);
    # CloudTrail searched to the end; a recorded event unreadable; the memory unavailable.
    used = NOW + timedelta(minutes=5)
    root = RootCredentials(ACCOUNT_ID, (CredentialUse("access_key_1", used),))
    reported = decide(
        root, now=NOW, threshold_days=365, report_generated_at=NOW + timedelta(minutes=10)
    )
    searched = apply_activity(
        reported,
        [],
        now=NOW,
        threshold_days=365,
        cloudtrail_read=True,
        scope=text.searched_scope(17, 90, 365),
        notes=[text.record_note(["unreadable"])],
    )
    verdict = apply_memory(searched, None, now=NOW, threshold_days=365, unavailable=True)
    assert verdict.compliance_type == NON_COMPLIANT
    assert text.read_threshold(verdict.annotation) == 365
    assert text.read_recent_root_use(verdict.annotation) == text.RootUseSeen(
        "access key 1", format_timestamp(used)
    )


def test_the_memory_carried_past_an_older_report_use_is_what_is_remembered():
    # The report shows an old password use; the memory carries a newer key use, deleted
    # since. The newer one is remembered, or a threshold raised later would not see it.
    key_used = NOW - timedelta(days=100)
    reported = judge(RootUse.at(password=NOW - timedelta(days=700)))
    carried = apply_memory(
        reported, RememberedUse("access key 1", key_used), now=NOW, threshold_days=7
    )
    assert carried.compliance_type == COMPLIANT
    assert carried.annotation.startswith("Root last used at ")
    assert remembered_use(carried.annotation) == RememberedUse("access key 1", key_used)


def test_a_remembered_use_the_report_still_shows_changes_nothing():
    reported = judge(RootUse.at(access_key_1=NOW - timedelta(days=2)))
    remembered = remembered_use(reported.annotation)
    assert remembered is not None
    assert remembered.time == reported.last_used
    assert apply_memory(reported, remembered, now=NOW, threshold_days=7) == reported


def test_the_caveats_of_a_compliant_verdict_outlast_the_memory_note():
    # A failed sign-in (anyone who knows the root e-mail can cause one) fills the
    # annotation; that the search did not finish must still be said after the memory's note.
    attempt = RootActivity(
        NOW - timedelta(hours=2), "ConsoleLogin", "us-east-1", "203.0.113.9", None, "us-east-1"
    )._replace(attempt=True)
    incomplete = text.incomplete_note(text.CLOUDTRAIL)
    searched = apply_activity(
        judge(RootUse()), [attempt], now=NOW, threshold_days=7, notes=[incomplete]
    )
    assert "Failed root sign-in attempt from 203.0.113.9" in searched.annotation
    verdict = apply_memory(searched, None, now=NOW, threshold_days=7, unavailable=True)
    assert verdict.compliance_type == COMPLIANT
    assert verdict.annotation.endswith(incomplete + text.unavailable_note(text.LAST_EVALUATION))
    assert len(verdict.annotation) <= MAX_ANNOTATION_LENGTH


def test_use_seven_days_and_one_second_ago_is_outside():
    # Whole-day truncation would call this "7 days" and flag it.
    verdict = judge(RootUse.at(password=NOW - timedelta(days=7, seconds=1)))
    assert verdict.compliance_type == COMPLIANT


@pytest.mark.parametrize(
    ("threshold", "age", "expected"),
    [
        (30, timedelta(days=29, hours=23), NON_COMPLIANT),
        (30, timedelta(days=30, minutes=1), COMPLIANT),
        (1, timedelta(hours=23, minutes=59), NON_COMPLIANT),
        (1, timedelta(days=1, minutes=1), COMPLIANT),
    ],
)
def test_threshold_30_and_1_days(threshold, age, expected):
    verdict = judge(RootUse.at(password=NOW - age), threshold_days=threshold)
    assert verdict.compliance_type == expected
    assert f"{threshold}-day threshold" in verdict.annotation


def test_future_timestamp_counts_as_recent_use():
    verdict = judge(RootUse.at(access_key_1=NOW + timedelta(minutes=10)))
    assert verdict.compliance_type == NON_COMPLIANT
    assert "after the evaluation time" in verdict.annotation


def test_a_use_at_the_evaluation_time_itself_is_not_after_it():
    verdict = judge(RootUse.at(access_key_1=NOW))
    assert verdict.compliance_type == NON_COMPLIANT
    assert "after the evaluation time" not in verdict.annotation


def test_latest_of_three_credentials_is_reported():
    verdict = judge(
        RootUse.at(
            password=NOW - timedelta(days=3),
            access_key_1=NOW - timedelta(days=1),
            access_key_2=NOW - timedelta(days=2),
        )
    )
    assert verdict.credential == "access_key_1"
    assert verdict.last_used == NOW - timedelta(days=1)


def test_report_older_than_24_hours_is_stale():
    with pytest.raises(StaleReportError, match="more than 24 hours"):
        judge(RootUse(), generated=NOW - timedelta(hours=24, seconds=1))


def test_report_exactly_24_hours_old_is_still_evidence():
    assert judge(RootUse(), generated=NOW - timedelta(hours=24)).compliance_type == COMPLIANT


def test_unknown_generation_time_is_said_in_the_annotation():
    verdict = judge(RootUse(), generated=None)
    assert "report generation time unknown" in verdict.annotation


def test_unable_to_evaluate_is_non_compliant_with_reason_and_code():
    verdict = unable_to_evaluate(RootRowMissingError("credential report has no root row"))
    assert verdict.compliance_type == NON_COMPLIANT
    assert verdict.annotation == (
        "Unable to evaluate: credential report has no root row [RootRowMissing]"
    )
    assert not verdict.evaluated
    assert verdict.error_code == "RootRowMissing"


def test_unable_to_evaluate_truncates_a_long_reason_but_keeps_the_code():
    verdict = unable_to_evaluate(RootRowMissingError("x" * 1000))
    assert len(verdict.annotation) == MAX_ANNOTATION_LENGTH
    assert verdict.annotation.startswith(UNABLE_PREFIX)
    assert verdict.annotation.endswith("... [RootRowMissing]")


def test_longest_annotation_fits_config_limit():
    far_future = NOW + timedelta(days=3000)
    verdict = judge(RootUse.at(access_key_2=far_future), threshold_days=3650)
    assert verdict.compliance_type == NON_COMPLIANT
    assert len(verdict.annotation) <= MAX_ANNOTATION_LENGTH
    for use in (
        RootUse(),
        RootUse.at(access_key_2=NOW - timedelta(days=4000)),
    ):
        assert len(judge(use, threshold_days=3650).annotation) <= MAX_ANNOTATION_LENGTH


def test_report_of_the_named_account_is_its_own():
    require_account(parse_credential_report(report_with_root(RootUse())), ACCOUNT_ID)


def test_report_of_another_account_is_refused_naming_both():
    root = parse_credential_report(report_with_root(RootUse()))
    with pytest.raises(
        AccountMismatchError,
        match=f"credential report belongs to account {ACCOUNT_ID}, not 999999999999",
    ):
        require_account(root, "999999999999")


def test_report_whose_root_arn_names_no_account_cannot_be_shown_to_be_the_accounts():
    root = parse_credential_report(report_with_root(RootUse()))._replace(account_id=None)
    with pytest.raises(MalformedReportError, match="not an account root ARN"):
        require_account(root, ACCOUNT_ID)


def _judged_without_credentials(use: RootUse):
    """`use` judged in a report whose root has no credential left, active or not."""
    from root_account_usage.simulation.credential_report import render_report, root_row

    row = root_row(ACCOUNT_ID, use) | {
        "password_enabled": "false",
        "access_key_1_active": "false",
        "access_key_2_active": "false",
        "access_key_1_last_rotated": "N/A",
        "access_key_2_last_rotated": "N/A",
    }
    root = parse_credential_report(render_report([row]))
    return decide(root, now=NOW, threshold_days=7, report_generated_at=NOW - timedelta(hours=1))


def test_no_credentials_is_said_rather_than_only_no_recorded_use():
    assert _judged_without_credentials(RootUse()).annotation.startswith(
        "Root has no console password, access keys or signing certificates (no recorded use)"
    )
    old = _judged_without_credentials(RootUse.at(access_key_1=NOW - timedelta(days=30)))
    assert "no console password, access keys or signing certificates now" in old.annotation
    # Still judged: a use inside the threshold stays NON_COMPLIANT after the removal.
    recent = _judged_without_credentials(RootUse.at(access_key_2=NOW - timedelta(days=2)))
    assert recent.compliance_type == "NON_COMPLIANT"


def test_an_error_code_too_long_for_an_annotation_still_yields_one_aws_config_accepts():
    # The code comes from the answer of an AWS endpoint: its length is not ours to choose.
    verdict = unable_to_evaluate(ReportUnavailableError("refused", code="X" * 300))
    assert len(verdict.annotation) == MAX_ANNOTATION_LENGTH
    assert verdict.compliance_type == "NON_COMPLIANT"


def test_the_annotation_limit_is_aws_configs_own():
    # botocore's model of PutEvaluations: Evaluation.Annotation is a StringWithCharLimit256.
    config = botocore.session.get_session().get_service_model("config")
    annotation = config.shape_for("Evaluation").members["Annotation"]
    assert annotation.metadata["max"] == MAX_ANNOTATION_LENGTH == 256
