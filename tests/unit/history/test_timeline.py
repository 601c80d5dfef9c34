"""The compliance timeline: reading Config's items, cutting the period, the figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from root_account_usage.core.annotation import read_root_use
from root_account_usage.history.model import (
    STALE,
    UNABLE_TO_EVALUATE,
    UNKNOWN,
    AccountHistory,
    ComplianceChange,
    CurrentEvaluation,
    PeriodOutOfReachError,
    bounded,
    match_rule,
)
from root_account_usage.history.timeline import (
    changes_by_rule,
    ever_non_compliant,
    segments,
    share,
    states_from_item,
)
from root_account_usage.simulation.config import compliance_item

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 11, tzinfo=UTC)
RULE = "root-account-usage"


ORG_RULE = "OrgConfigRule-root-account-usage-ab12cd34"
LEGACY = "legacy-root-account-usage"


def item(when, states, status="OK"):
    return compliance_item(when, states) | {"configurationItemStatus": status}


def day(n, hours=0):
    return SINCE + timedelta(days=n, hours=hours)


def test_item_gives_each_rule_its_own_verdict():
    recorded = states_from_item(
        item(day(1), {LEGACY: "COMPLIANT", ORG_RULE: "COMPLIANT", RULE: "NON_COMPLIANT"}),
        {RULE, ORG_RULE}.__contains__,
    )
    assert recorded.states == {RULE: "NON_COMPLIANT", ORG_RULE: "COMPLIANT"}


def test_a_rule_the_item_does_not_list_has_no_record_there():
    recorded = states_from_item(item(day(1), {"s3-rule": "NON_COMPLIANT"}), {RULE}.__contains__)
    assert recorded.states == {}  # no record of RULE there: UNKNOWN to whoever asks


def test_deleted_or_garbled_items_do_not_crash():
    deleted = item(day(1), {"other": "COMPLIANT"}, status="ResourceDeleted")
    assert states_from_item(deleted, {RULE}.__contains__).states == {}
    garbled = {"configuration": "{not json", "configurationItemCaptureTime": day(1)}
    assert states_from_item(garbled, {RULE}.__contains__) is None
    assert states_from_item({"configuration": None}, {RULE}.__contains__) is None
    not_a_list = {"configuration": '{"configRuleList": 5}', "configurationItemCaptureTime": day(1)}
    assert states_from_item(not_a_list, {RULE}.__contains__) is None
    # Entries that are not a rule's (not an object, or no name as text) are passed over.
    entries = ["junk", {"complianceType": "COMPLIANT"}, {"configRuleName": 5}]
    entries += [{"configRuleName": RULE, "complianceType": "NON_COMPLIANT"}]
    odd = {"configuration": json.dumps({"configRuleList": entries})}
    odd |= {"configurationItemCaptureTime": day(1)}
    assert states_from_item(odd, {RULE}.__contains__).states == {RULE: "NON_COMPLIANT"}


def test_changes_are_each_rules_own_and_only_real_changes():
    items = [
        states_from_item(
            item(day(1), {ORG_RULE: "COMPLIANT", RULE: "NON_COMPLIANT"}),
            {RULE, ORG_RULE}.__contains__,
        ),
        # Another rule's change: not a change of RULE.
        states_from_item(
            item(day(2), {ORG_RULE: "NON_COMPLIANT", RULE: "NON_COMPLIANT"}),
            {RULE, ORG_RULE}.__contains__,
        ),
        states_from_item(item(day(3), {ORG_RULE: "NON_COMPLIANT"}), {RULE, ORG_RULE}.__contains__),
    ]
    changes = changes_by_rule(items, [RULE, ORG_RULE], {RULE: "COMPLIANT", ORG_RULE: None})
    assert changes[RULE] == [
        ComplianceChange(day(1), "NON_COMPLIANT", RULE),
        ComplianceChange(day(3), UNKNOWN, RULE),  # the rule went: no record, never "as before"
    ]
    assert changes[ORG_RULE] == [
        ComplianceChange(day(1), "COMPLIANT", ORG_RULE),
        ComplianceChange(day(2), "NON_COMPLIANT", ORG_RULE),
    ]


def test_ever_non_compliant_reads_the_timeline_or_else_the_latest_evaluation():
    flat = AccountHistory("1", "r", state_at_start="COMPLIANT")
    assert not ever_non_compliant(flat, SINCE, UNTIL)
    failed = CurrentEvaluation(RULE, "NON_COMPLIANT", "Unable to evaluate: x [X]", day(5))
    assert ever_non_compliant(flat._replace(current=failed), SINCE, UNTIL)
    no_history = AccountHistory("1", "r", history_note="history kept in that account")
    assert not ever_non_compliant(no_history, SINCE, UNTIL)
    assert ever_non_compliant(no_history._replace(current=failed), SINCE, UNTIL)
    later = failed._replace(recorded_at=day(20))  # after the period: says nothing of it
    assert not ever_non_compliant(no_history._replace(current=later), SINCE, UNTIL)
    at_end = failed._replace(recorded_at=UNTIL)  # [since, until): the end is after it
    assert not ever_non_compliant(no_history._replace(current=at_end), SINCE, UNTIL)


def used(when: datetime, compliance: str = "NON_COMPLIANT", recorded: datetime | None = None):
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if compliance == "NON_COMPLIANT":
        text = f"Root console password was used at {stamp}, within the 7-day threshold; x."
    else:
        text = f"Root last used at {stamp} (access key 1), outside the 7-day threshold; x."
    return CurrentEvaluation(RULE, compliance, text, recorded or UNTIL + timedelta(minutes=1))


def test_a_root_use_the_latest_evaluation_names_inside_the_period_is_non_compliance():
    no_history = AccountHistory("1", "r", history_note="not recorded", threshold_days=7)
    # Recorded a minute after the period (AWS's clock ahead of the auditor's), naming a
    # use ten minutes before the period ended.
    skewed = used(UNTIL - timedelta(minutes=10))
    assert ever_non_compliant(no_history._replace(current=skewed), SINCE, UNTIL)
    # A past period, and a much later evaluation that says the use is old by now.
    later = used(day(3), "COMPLIANT", recorded=day(40))
    assert ever_non_compliant(no_history._replace(current=later), SINCE, UNTIL)
    # Whatever the timeline recorded: the rule judges the days after a use non-compliant.
    flat = AccountHistory("1", "r", state_at_start="COMPLIANT", threshold_days=7, current=later)
    assert ever_non_compliant(flat, SINCE, UNTIL)


def test_a_root_use_counts_for_its_threshold_days_and_no_longer():
    no_history = AccountHistory("1", "r", history_note="not recorded", threshold_days=7)

    def ever(use: datetime, **changes) -> bool:
        current = used(use, "COMPLIANT", recorded=day(40))
        return ever_non_compliant(no_history._replace(current=current, **changes), SINCE, UNTIL)

    assert ever(SINCE - timedelta(days=6, hours=23))  # still within 7 days when it began
    # As the rule judges (last use >= now - 7 days): still inside at the period's first instant.
    assert ever(SINCE - timedelta(days=7))
    assert not ever(SINCE - timedelta(days=7, seconds=1))
    assert not ever(SINCE - timedelta(days=2), threshold_days=1)
    # Parameters the rule refuses (no threshold): the shortest it can apply, one day.
    assert ever(SINCE - timedelta(hours=23), threshold_days=None)
    assert not ever(SINCE - timedelta(days=1, seconds=1), threshold_days=None)
    assert not ever(UNTIL)  # after the period
    never = CurrentEvaluation(RULE, "COMPLIANT", "Root user has no recorded use; x.", day(40))
    assert not ever_non_compliant(no_history._replace(current=never), SINCE, UNTIL)
    impossible = CurrentEvaluation(
        RULE, "COMPLIANT", "Root last used at 2026-02-30T00:00:00Z (access key 1), x", None
    )
    assert not ever_non_compliant(no_history._replace(current=impossible), SINCE, UNTIL)


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


def test_a_failure_recorded_after_the_period_leaves_the_period_as_config_recorded_it():
    # A real root use on day 2 (NON_COMPLIANT), the period ends on day 5, and the rule
    # failed closed only on day 9: the period's end was non-compliant, not "unable".
    failed = CurrentEvaluation(
        RULE, "NON_COMPLIANT", "Unable to evaluate: x [AccessDenied]", day(9)
    )
    history = AccountHistory(
        "1",
        "r",
        changes=(ComplianceChange(day(2), "NON_COMPLIANT", RULE),),
        state_at_start="COMPLIANT",
        current=failed,
    )
    assert [(p.start, p.end, p.state) for p in segments(history, SINCE, day(5))] == [
        (SINCE, day(2), "COMPLIANT"),
        (day(2), day(5), "NON_COMPLIANT"),
    ]
    # Recorded exactly when the period ends: still after it ([since, until)).
    at_end = history._replace(current=failed._replace(recorded_at=day(5)))
    assert segments(at_end, SINCE, day(5))[-1].state == "NON_COMPLIANT"
    # A time unknown says nothing of when it began either.
    unknown = history._replace(current=failed._replace(recorded_at=None))
    assert segments(unknown, SINCE, day(5))[-1].state == "NON_COMPLIANT"
    # Recorded before the period: in force throughout it, from the first change on.
    earlier = history._replace(current=failed._replace(recorded_at=SINCE - timedelta(days=1)))
    assert segments(earlier, SINCE, day(5))[-1] == (day(2), day(5), UNABLE_TO_EVALUATE)


COMPLIANT_FROM_DAY_4 = CurrentEvaluation(RULE, "COMPLIANT", "Root user has no recorded use", day(4))


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        # A change recorded exactly as the period starts: the period is its state throughout.
        (
            AccountHistory(
                "1", "r", (ComplianceChange(SINCE, "NON_COMPLIANT", RULE),), "COMPLIANT"
            ),
            [(SINCE, UNTIL, "NON_COMPLIANT")],
        ),
        # Failed closed, recorded exactly as the change to NON_COMPLIANT: unable from then.
        (
            AccountHistory(
                "1",
                "r",
                (ComplianceChange(day(6), "NON_COMPLIANT", RULE),),
                "COMPLIANT",
                CurrentEvaluation(RULE, "NON_COMPLIANT", "Unable to evaluate: x [X]", day(6)),
            ),
            [(SINCE, day(6), "COMPLIANT"), (day(6), UNTIL, UNABLE_TO_EVALUATE)],
        ),
        # Due again exactly as the period ends: not stale within it.
        (
            AccountHistory(
                "1", "r", (), "COMPLIANT", COMPLIANT_FROM_DAY_4, stale_after=UNTIL - day(4)
            ),
            [(SINCE, UNTIL, "COMPLIANT")],
        ),
        # Due again exactly when the rule's record ended: stale from then, nothing else.
        (
            AccountHistory(
                "1",
                "r",
                (ComplianceChange(day(6), UNKNOWN, RULE),),
                "COMPLIANT",
                COMPLIANT_FROM_DAY_4,
                stale_after=timedelta(days=2),
            ),
            [(SINCE, day(6), "COMPLIANT"), (day(6), UNTIL, STALE)],
        ),
    ],
)
def test_a_timeline_has_no_piece_of_no_time_at_its_edges(history, expected):
    assert [(p.start, p.end, p.state) for p in segments(history, SINCE, UNTIL)] == expected


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
    assert read_root_use(recent.annotation) == ("access key 2", "2026-11-09T10:00:00Z")
    assert read_root_use(old.annotation) == ("console password", "2026-01-02T03:04:05Z")
    never = CurrentEvaluation(RULE, "COMPLIANT", "Root user has no recorded use ...", None)
    assert read_root_use(never.annotation) is None


def test_a_period_at_the_edges_of_what_aws_config_holds_is_kept_whole_and_uncommented():
    # AWS Config keeps history 2,557 days at most (PutRetentionConfiguration: 30 to 2,557).
    now = datetime(2026, 12, 3, tzinfo=UTC)
    earliest = now - timedelta(days=2557)
    assert bounded(earliest, now, now) == (earliest, now, [])
    cut = bounded(earliest - timedelta(seconds=1), now + timedelta(seconds=1), now)
    assert cut[:2] == (earliest, now)
    assert len(cut[2]) == 2


def test_a_period_of_no_time_is_refused():
    now = datetime(2026, 12, 3, tzinfo=UTC)
    with pytest.raises(PeriodOutOfReachError, match="entirely outside"):
        bounded(now, now, now)


def test_a_rule_is_stale_after_its_own_periodic_frequency_and_two_hours():
    # ConfigRule (AWS Config API): a periodic rule runs every 24 hours unless it names
    # another frequency, on its ScheduledNotification source detail.
    def stale_after(*details: dict) -> timedelta:
        source = {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": "x", "SourceDetails": [*details]}
        rule = {"ConfigRuleName": "root-account-usage", "Source": source}
        matched = match_rule(rule, "root-account-usage", functions=())
        assert matched is not None
        return matched.stale_after

    hourly = {"MessageType": "ScheduledNotification", "MaximumExecutionFrequency": "One_Hour"}
    other = dict(hourly, MessageType="ConfigurationItemChangeNotification")
    assert stale_after(hourly) == timedelta(hours=3)
    assert stale_after(other) == stale_after() == timedelta(hours=26)
