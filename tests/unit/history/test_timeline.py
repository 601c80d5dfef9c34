"""The compliance timeline: reading Config's items, cutting the period, the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from root_account_usage.history.timeline import (
    UNABLE_TO_EVALUATE,
    UNKNOWN,
    AccountHistory,
    ComplianceChange,
    CurrentEvaluation,
    change_from_item,
    most_recent_root_use,
    segments,
    share,
)
from root_account_usage.simulation.config import compliance_item

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 11, tzinfo=UTC)
RULE = "root-account-usage"


def item(when, compliance, rule=RULE, status="OK"):
    return compliance_item(when, {rule: compliance}, status=status)


def day(n, hours=0):
    return SINCE + timedelta(days=n, hours=hours)


def test_item_gives_the_verdict_of_the_rule():
    change = change_from_item(item(day(1), "NON_COMPLIANT"), {RULE})
    assert change == ComplianceChange(day(1), "NON_COMPLIANT", RULE)


def test_item_of_another_rule_is_ignored():
    assert change_from_item(item(day(1), "NON_COMPLIANT", rule="s3-rule"), {RULE}) is None


def test_deleted_or_garbled_items_do_not_crash():
    deleted = item(day(1), "COMPLIANT", rule="other", status="ResourceDeleted")
    assert change_from_item(deleted, {RULE}).compliance_type == UNKNOWN
    assert (
        change_from_item(
            {"configuration": "{not json", "configurationItemCaptureTime": day(1)}, {RULE}
        )
        is None
    )
    assert change_from_item({"configuration": None}, {RULE}) is None


def test_segments_follow_the_changes_from_the_state_at_start():
    history = AccountHistory(
        "1",
        "r",
        changes=(
            ComplianceChange(day(2), "NON_COMPLIANT", RULE),
            ComplianceChange(day(4), "COMPLIANT", RULE),
        ),
        state_at_start="COMPLIANT",
    )
    pieces = segments(history, SINCE, UNTIL)
    assert [(p.start, p.end, p.state) for p in pieces] == [
        (SINCE, day(2), "COMPLIANT"),
        (day(2), day(4), "NON_COMPLIANT"),
        (day(4), UNTIL, "COMPLIANT"),
    ]
    assert share(pieces, {"NON_COMPLIANT"}) == 0.2


def test_no_record_before_the_first_change_is_unknown():
    history = AccountHistory("1", "r", changes=(ComplianceChange(day(5), "COMPLIANT", RULE),))
    pieces = segments(history, SINCE, UNTIL)
    assert pieces[0].state == UNKNOWN
    assert share(pieces, {UNKNOWN}) == 0.5


def test_latest_evaluation_that_failed_closed_marks_the_end_unable_to_evaluate():
    current = CurrentEvaluation(
        RULE, "NON_COMPLIANT", "Unable to evaluate: x [AccessDenied]", day(8)
    )
    history = AccountHistory(
        "1",
        "r",
        changes=(ComplianceChange(day(6), "NON_COMPLIANT", RULE),),
        state_at_start="COMPLIANT",
        current=current,
    )
    pieces = segments(history, SINCE, UNTIL)
    assert [p.state for p in pieces] == ["COMPLIANT", "NON_COMPLIANT", UNABLE_TO_EVALUATE]
    assert pieces[-1].start == day(8)
    assert current.state == UNABLE_TO_EVALUATE


def test_equal_neighbours_merge_and_changes_after_the_period_are_ignored():
    history = AccountHistory(
        "1",
        "r",
        changes=(
            ComplianceChange(day(3), "COMPLIANT", RULE),
            ComplianceChange(day(12), "NON_COMPLIANT", RULE),
        ),
        state_at_start="COMPLIANT",
    )
    assert [(p.start, p.end, p.state) for p in segments(history, SINCE, UNTIL)] == [
        (SINCE, UNTIL, "COMPLIANT")
    ]


def test_root_use_is_read_from_either_annotation_form():
    recent = CurrentEvaluation(
        RULE,
        "NON_COMPLIANT",
        "Root access key 2 was used at 2026-11-09T10:00:00Z, within ...",
        None,
    )
    old = CurrentEvaluation(
        RULE,
        "COMPLIANT",
        "Root last used at 2026-01-02T03:04:05Z (console password), outside",
        None,
    )
    assert most_recent_root_use(recent) == ("access key 2", "2026-11-09T10:00:00Z")
    assert most_recent_root_use(old) == ("console password", "2026-01-02T03:04:05Z")
    never = CurrentEvaluation(RULE, "COMPLIANT", "Root user has no recorded use ...", None)
    assert most_recent_root_use(never) is None
    assert most_recent_root_use(None) is None
