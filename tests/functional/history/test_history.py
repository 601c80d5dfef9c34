"""`history`: AWS Config read through Stubber (checked against Config's real API model),
golden files for CSV and JSON, structural checks of the HTML, and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from root_account_usage.cli.main import main
from root_account_usage.core.annotation import report_use
from root_account_usage.core.rule_identity import derived_creator
from root_account_usage.core.timestamps import parse_timestamp
from root_account_usage.history.config_reader import (
    COMPLIANCE_RESOURCE_TYPE,
    EVALUATION_TYPES,
    PRIOR_PAGES,
    ConfigHistoryReader,
    HistoryUnavailableError,
)
from root_account_usage.history.evidence import render_csv, render_html, render_json, render_text
from root_account_usage.history.organization import AuditorSession, collect_evidence
from root_account_usage.simulation.config import compliance_item
from tests.doubles import stubbed

GOLDEN = Path(__file__).resolve().parent / "golden"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 11, tzinfo=UTC)
NOW = datetime(2026, 11, 11, 0, 5, tzinfo=UTC)
ACCOUNT = "111122223333"
RULE = "root-account-usage"
ORG_RULE = "OrgConfigRule-root-account-usage-abcd1234"
PACK_RULE = "root-account-usage-conformance-pack-x1y2z3"
# Other rules, whose names contain ours: never this rule.
LEGACY_RULE = "legacy-root-account-usage"
V2_RULE = "root-account-usage-v2"
RESOURCE_ID = f"AWS::::Account/{ACCOUNT}"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:root-account-usage"
ANNOTATION = (
    "Root access key 1 was used at 2026-11-10T20:00:00Z, within the 7-day threshold; "
    "report generated 2026-11-10T22:00:00Z."
)


def day(n, hours=6):
    return SINCE + timedelta(days=n, hours=hours)


def ci(when, compliance, **others):
    """A ResourceCompliance item as AWS Config records it: every rule that evaluates the
    account, each with its own verdict (a legacy rule first: it must never decide)."""
    states = {LEGACY_RULE: "COMPLIANT", RULE: compliance, ORG_RULE: "COMPLIANT"}
    states |= {PACK_RULE: "COMPLIANT", "s3-bucket-logging": "NON_COMPLIANT"}
    states |= {name.replace("_", "-"): value for name, value in others.items()}
    return compliance_item(when, states, account_id=ACCOUNT) | {"configurationItemStatus": "OK"}


def evaluation_result(rule, compliance, annotation, recorded, account=ACCOUNT, region=None):
    result = {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": rule,
                "ResourceType": "AWS::::Account",
                "ResourceId": account,
            },
            "OrderingTimestamp": recorded,
        },
        "ComplianceType": compliance,
        "ResultRecordedTime": recorded,
        "ConfigRuleInvokedTime": recorded,
        "Annotation": annotation,
    }
    if region:
        result |= {"AccountId": account, "AwsRegion": region}
    return result


def history_request(**extra):
    return {"resourceType": COMPLIANCE_RESOURCE_TYPE, "resourceId": RESOURCE_ID, **extra}


def window(start, end, token=None):
    request = history_request(
        earlierTime=start, laterTime=end, chronologicalOrder="Forward", limit=100
    )
    return request | ({"nextToken": token} if token else {})


def expect_rules(stub, *names):
    stub.add_response(
        "describe_config_rules",
        {
            "ConfigRules": [{"ConfigRuleName": "s3-bucket-logging", "Source": {"Owner": "AWS"}}],
            "NextToken": "p2",
        },
        {},
    )
    stub.add_response(
        "describe_config_rules",
        {
            "ConfigRules": [
                {
                    "ConfigRuleName": name,
                    "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": FUNCTION},
                    "InputParameters": '{"ThresholdDays": "7"}',
                }
                | ({"CreatedBy": by} if (by := derived_creator(name, RULE)) else {})
                for name in names
            ]
        },
        {"NextToken": "p2"},
    )


def expect_recorder(stub, recording_group):
    recorder = {"name": "default"}
    if recording_group is not None:  # None: AWS's default group, all supported types
        recorder["recordingGroup"] = recording_group
    stub.add_response(
        "describe_configuration_recorders", {"ConfigurationRecorders": [recorder]}, {}
    )


def expect_current(stub, rule, compliance, annotation, when):
    stub.add_response(
        "get_compliance_details_by_config_rule",
        {"EvaluationResults": [evaluation_result(rule, compliance, annotation, when)]},
        {"ConfigRuleName": rule, "ComplianceTypes": EVALUATION_TYPES, "Limit": 100},
    )


def expect_no_current(stub, rule):
    stub.add_response(
        "get_compliance_details_by_config_rule",
        {"EvaluationResults": []},
        {"ConfigRuleName": rule, "ComplianceTypes": EVALUATION_TYPES, "Limit": 100},
    )


def expect_compliant_before(stub, when):
    """The rule, the recorder, and the last record before the period: COMPLIANT at `when`."""
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": True})
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [ci(when, "COMPLIANT")]},
        history_request(laterTime=SINCE, limit=1),
    )


def single_account_responses(stub):
    expect_rules(stub, LEGACY_RULE, RULE, ORG_RULE, PACK_RULE, V2_RULE)
    expect_recorder(stub, {"allSupported": True})
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [ci(SINCE - timedelta(days=3), "COMPLIANT")]},
        history_request(laterTime=SINCE, limit=1),
    )
    # First seven days: two pages.
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [ci(day(2), "NON_COMPLIANT")], "nextToken": "n1"},
        window(SINCE, SINCE + timedelta(days=7)),
    )
    stub.add_response(
        "get_resource_config_history",
        {
            "configurationItems": [
                ci(day(5), "COMPLIANT"),
                ci(day(6), "COMPLIANT", s3_bucket_logging="COMPLIANT"),  # another rule changed
            ]
        },
        window(SINCE, SINCE + timedelta(days=7), token="n1"),
    )
    # Last three days: throttled once, then answered.
    stub.add_client_error(
        "get_resource_config_history", "ThrottlingException", http_status_code=400
    )
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [ci(day(9, 22), "NON_COMPLIANT")]},
        window(SINCE + timedelta(days=7), UNTIL),
    )
    for rule, compliance, annotation, when in (
        (ORG_RULE, "COMPLIANT", "Root user has no recorded use", day(9, 20)),
        (RULE, "NON_COMPLIANT", ANNOTATION, day(9, 22)),
        (PACK_RULE, "COMPLIANT", "Root user has no recorded use", day(9, 21)),
    ):
        expect_current(stub, rule, compliance, annotation, when)


@pytest.fixture
def config():
    client, stub = stubbed("config")
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


def collect(client, aggregator=None, **options):
    sleeps = []
    report = collect_evidence(
        AuditorSession(client, ACCOUNT, "us-east-1", aggregator=aggregator),
        rule_name=RULE,
        since=SINCE,
        until=UNTIL,
        now=NOW,
        sleep=sleeps.append,
        **options,
    )
    return report, sleeps


def test_single_account_history_reads_pages_windows_and_every_matching_rule(config):
    client, stub = config
    single_account_responses(stub)
    report, sleeps = collect(client)
    by_rule = {account.rule_name: account for account in report.accounts}
    assert sorted(by_rule) == [ORG_RULE, RULE, PACK_RULE]  # one entry per matched rule
    account = by_rule[RULE]
    assert account.state_at_start == "COMPLIANT"
    assert [(c.time, c.compliance_type) for c in account.changes] == [
        (day(2), "NON_COMPLIANT"),
        (day(5), "COMPLIANT"),
        (day(9, 22), "NON_COMPLIANT"),
    ]
    assert account.current.annotation == ANNOTATION
    assert account.threshold_days == 7
    # The organization rule's own entries: compliant throughout, its own evaluation.
    assert by_rule[ORG_RULE].changes == ()
    assert by_rule[ORG_RULE].current.compliance_type == "COMPLIANT"
    assert len(sleeps) == 1  # the throttled call was retried after a pause


def test_the_period_holds_a_change_at_its_start_and_none_at_its_end(config):
    # [since, until): an item AWS Config returns at `until` itself belongs to the next period.
    client, stub = config
    expect_compliant_before(stub, SINCE - timedelta(days=3))
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [ci(SINCE, "NON_COMPLIANT")]},
        window(SINCE, SINCE + timedelta(days=7)),
    )
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [ci(UNTIL, "COMPLIANT")]},
        window(SINCE + timedelta(days=7), UNTIL),
    )
    expect_current(stub, RULE, "NON_COMPLIANT", ANNOTATION, day(9, 22))
    [account] = [a for a in collect(client)[0].accounts if a.rule_name == RULE]
    assert [(c.time, c.compliance_type) for c in account.changes] == [(SINCE, "NON_COMPLIANT")]


def test_json_output_matches_the_golden_file(config):
    client, stub = config
    single_account_responses(stub)
    report, _ = collect(client, functions=[FUNCTION])
    assert render_json(report) == (GOLDEN / "history.json").read_text()


def test_csv_output_matches_the_golden_file(config):
    client, stub = config
    single_account_responses(stub)
    report, _ = collect(client, functions=[FUNCTION])
    assert render_csv(report) == (GOLDEN / "history.csv").read_text()


def history_read(stub, before=(), *weeks):
    """The item in force at SINCE (none: `before` empty), then each week's items."""
    prior = {"configurationItems": list(before)}
    stub.add_response(
        "get_resource_config_history", prior, history_request(laterTime=SINCE, limit=1)
    )
    weeks_read(stub, *weeks)


def weeks_read(stub, *weeks):
    """The period's two seven-day windows, each with its items (none by default)."""
    for (start, end), items in zip(
        ((SINCE, SINCE + timedelta(days=7)), (SINCE + timedelta(days=7), UNTIL)),
        weeks or ([], []),
        strict=True,
    ):
        answer = {"configurationItems": list(items)}
        stub.add_response("get_resource_config_history", answer, window(start, end))


def test_recorder_without_resource_compliance_is_said_not_shown_empty(config):
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": False, "resourceTypes": ["AWS::IAM::User"]})
    history_read(stub)  # read all the same: nothing was ever recorded
    expect_current(stub, RULE, "COMPLIANT", "Root user has no recorded use", day(9))
    report, _ = collect(client)
    [account] = report.accounts
    assert account.history_note == "not recorded"
    assert any("does not record AWS::Config::ResourceCompliance" in note for note in report.notes)
    document = json.loads(render_json(report))
    assert document["accounts"][0]["history_available"] is False
    assert document["accounts"][0]["timeline"] == []


def test_a_recorder_that_stopped_recording_the_type_hides_nothing_it_recorded(config):
    # A member administrator drops AWS::Config::ResourceCompliance from the recording
    # group today: the items recorded before stay readable, are read, and count; no
    # timeline is drawn, since when recording stopped is unknown.
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": False, "resourceTypes": ["AWS::IAM::User"]})
    history_read(
        stub,
        [ci(SINCE - timedelta(days=3), "COMPLIANT")],
        [ci(day(2), "NON_COMPLIANT"), ci(day(4), "COMPLIANT")],
        [],
    )
    expect_current(stub, RULE, "COMPLIANT", "Root user has no recorded use", day(9))
    report, _ = collect(client)
    document = json.loads(render_json(report))
    assert document["summary"]["ever_non_compliant"] == [ACCOUNT]
    [ours] = [a for a in document["accounts"] if a["rule_name"] == RULE]
    assert (ours["history_available"], ours["history_note"]) == (False, "not recorded")
    assert ours["timeline"] == []
    assert [c["compliance_type"] for c in ours["changes"]] == ["NON_COMPLIANT", "COMPLIANT"]


def test_a_recorder_not_recording_now_draws_no_compliant_days_from_an_old_item(config):
    # Its last item is COMPLIANT, a month before the period; AWS documents no item written
    # when the recording group changes: the days after are unknown, and said to be.
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": False, "resourceTypes": ["AWS::IAM::User"]})
    history_read(stub, [ci(SINCE - timedelta(days=30), "COMPLIANT")], [], [])
    expect_current(stub, RULE, "COMPLIANT", "Root user has no recorded use", day(9))
    report, _ = collect(client)
    [ours] = [a for a in report.accounts if a.rule_name == RULE]
    assert ours.history_note == "not recorded"
    assert any("does not record AWS::Config::ResourceCompliance" in note for note in report.notes)


def test_an_unreadable_item_in_force_at_the_start_leaves_the_start_unknown(config):
    # Never an older item's state, dated at the start, in place of the one in force.
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": True})
    first = history_request(laterTime=SINCE, limit=1)
    unreadable = ci(SINCE - timedelta(days=1), "NON_COMPLIANT") | {"configuration": "{"}
    answer = {"configurationItems": [unreadable], "nextToken": "older"}
    stub.add_response("get_resource_config_history", answer, first)
    weeks_read(stub)
    expect_no_current(stub, RULE)
    report, _ = collect(client)
    [ours] = report.accounts
    assert ours.state_at_start is None


def test_a_gap_in_recording_is_no_record_not_the_state_before_it(config):
    # AWS Config writes ResourceNotRecorded when the recorder stops recording the type:
    # nothing is known until the next item (botocore: ConfigurationItemStatus).
    client, stub = config
    expect_compliant_before(stub, SINCE - timedelta(days=40))
    stopped = ci(day(2), "COMPLIANT") | {"configurationItemStatus": "ResourceNotRecorded"}
    del stopped["configuration"]
    for (start, end), items in zip(
        ((SINCE, SINCE + timedelta(days=7)), (SINCE + timedelta(days=7), UNTIL)),
        ([stopped], [ci(day(8), "COMPLIANT")]),
        strict=True,
    ):
        stub.add_response(
            "get_resource_config_history", {"configurationItems": items}, window(start, end)
        )
    expect_no_current(stub, RULE)
    report, _ = collect(client)
    [account] = [a for a in json.loads(render_json(report))["accounts"] if a["rule_name"] == RULE]
    assert [(p["start"][:10], p["state"]) for p in account["timeline"]] == [
        ("2026-11-01", "COMPLIANT"),
        ("2026-11-03", "UNKNOWN"),
        ("2026-11-09", "COMPLIANT"),
    ]


def test_the_state_at_the_start_is_read_past_empty_seven_day_pages(config):
    # GetResourceConfigHistory spans seven days a call, and may answer an empty page with
    # a token (API reference): the item in force may be weeks before the period.
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": True})
    first = history_request(laterTime=SINCE, limit=1)
    stub.add_response(
        "get_resource_config_history", {"configurationItems": [], "nextToken": "w2"}, first
    )
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [ci(SINCE - timedelta(days=20), "NON_COMPLIANT")]},
        first | {"nextToken": "w2"},
    )
    weeks_read(stub)
    expect_no_current(stub, RULE)
    report, _ = collect(client)
    document = json.loads(render_json(report))
    [ours] = [a for a in document["accounts"] if a["rule_name"] == RULE]
    assert ours["state_at_start"] == "NON_COMPLIANT"
    assert document["summary"]["ever_non_compliant"] == [ACCOUNT]


def test_empty_period_keeps_the_state_it_started_with(config):
    client, stub = config
    expect_compliant_before(stub, SINCE - timedelta(days=40))
    weeks_read(stub)
    expect_no_current(stub, RULE)
    report, _ = collect(client)
    account = json.loads(render_json(report))["accounts"][0]
    assert account["changes"] == []
    assert account["timeline"] == [
        {"start": "2026-11-01T00:00:00Z", "end": "2026-11-11T00:00:00Z", "state": "COMPLIANT"}
    ]
    assert account["non_compliant_share"] == 0.0


def aggregate_entry(rule, account, region, compliance="COMPLIANT"):
    return {
        "ConfigRuleName": rule,
        "AccountId": account,
        "AwsRegion": region,
        "Compliance": {"ComplianceType": compliance},
    }


def aggregate_details(rule, account, region):
    return {
        "ConfigurationAggregatorName": "org",
        "ConfigRuleName": rule,
        "AccountId": account,
        "AwsRegion": region,
        "Limit": 100,
    }


def test_aggregator_lists_accounts_and_never_drops_an_unreadable_one(config):
    client, stub = config
    stub.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {
            "AggregateComplianceByConfigRules": [
                aggregate_entry(RULE, ACCOUNT, "us-east-1", "NON_COMPLIANT"),
                aggregate_entry(ORG_RULE, "222222222222", "eu-west-1"),
                aggregate_entry(LEGACY_RULE, "222222222222", "eu-west-1"),
            ],
            "NextToken": "a2",
        },
        {"ConfigurationAggregatorName": "org", "Limit": 1000},
    )
    stub.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {
            "AggregateComplianceByConfigRules": [
                aggregate_entry(ORG_RULE, "333333333333", "us-east-1", "NON_COMPLIANT"),
                aggregate_entry("s3-bucket-logging", "444444444444", "us-east-1"),
                aggregate_entry(V2_RULE, "444444444444", "us-east-1"),
            ]
        },
        {"ConfigurationAggregatorName": "org", "Limit": 1000, "NextToken": "a2"},
    )
    # The credentials' own account: its own rules, history and latest evaluation.
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": True})
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": []},
        history_request(laterTime=SINCE, limit=1),
    )
    weeks_read(stub)
    expect_current(stub, RULE, "NON_COMPLIANT", ANNOTATION, day(9, 22))
    # The others: the aggregator's latest evaluation of each matching rule.
    stub.add_client_error(
        "get_aggregate_compliance_details_by_config_rule",
        "AccessDeniedException",
        "not authorized",
        http_status_code=400,
        expected_params=aggregate_details(ORG_RULE, "222222222222", "eu-west-1"),
    )
    unable = "Unable to evaluate: IAM GetCredentialReport failed: AccessDenied [AccessDenied]"
    stub.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {
            "AggregateEvaluationResults": [
                evaluation_result(
                    ORG_RULE, "NON_COMPLIANT", unable, day(9), "333333333333", "us-east-1"
                )
            ]
        },
        aggregate_details(ORG_RULE, "333333333333", "us-east-1"),
    )
    report, _ = collect(client, aggregator="org")
    document = json.loads(render_json(report))
    accounts = {a["account_id"]: a for a in document["accounts"]}
    assert set(accounts) == {ACCOUNT, "333333333333", "444444444444"}
    assert accounts[ACCOUNT]["history_available"] is True
    assert accounts[ACCOUNT]["rule_name"] == RULE
    assert accounts["333333333333"]["history_available"] is False
    assert accounts["333333333333"]["current"]["state"] == "UNABLE_TO_EVALUATE"
    # An account with other rules only is shown as one without the rule, never dropped.
    assert accounts["444444444444"]["rule_name"] is None
    assert document["summary"]["without_rule"] == ["444444444444"]
    assert document["summary"]["ever_non_compliant"] == [ACCOUNT, "333333333333"]
    assert document["unreadable_accounts"] == [
        {
            "account_id": "222222222222",
            "region": "eu-west-1",
            "error": "get_aggregate_compliance_details_by_config_rule: "
            "AccessDeniedException: not authorized",
            "rule_name": RULE,
            "period": {"since": "2026-11-01T00:00:00Z", "until": "2026-11-11T00:00:00Z"},
        }
    ]


def test_config_that_cannot_be_read_raises_its_own_error(config):
    client, stub = config
    stub.add_client_error("describe_config_rules", "AccessDeniedException", http_status_code=400)
    with pytest.raises(HistoryUnavailableError, match="AccessDeniedException"):
        collect(client)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.states: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        values = dict(attrs)
        for attribute in ("src", "href"):
            if values.get(attribute):
                self.external.append(values[attribute])
        if tag == "rect" and "data-state" in values:
            self.states.append(values["data-state"])


def test_html_is_self_contained_with_a_timeline_and_the_table_of_changes(config):
    client, stub = config
    single_account_responses(stub)
    report, _ = collect(client)
    page_html = render_html(report)
    page = _Page()
    page.feed(page_html)
    assert page_html.startswith("<!DOCTYPE html>")
    assert page.external == []  # no external assets
    assert "script" not in page.tags
    assert page.states == [
        "COMPLIANT",  # the organization rule, all period
        "COMPLIANT",  # the rule itself: compliant, non-compliant, compliant, non-compliant
        "NON_COMPLIANT",
        "COMPLIANT",
        "NON_COMPLIANT",
        "COMPLIANT",  # the conformance pack's rule
    ]
    assert page.tags.count("tr") >= 1 + 1 + 3  # summary, start row, three changes
    assert "2026-11-01T00:00:00Z to 2026-11-11T00:00:00Z" in page_html
    assert "ThresholdDays" in page_html  # the rule's parameters
    assert "access key 1 at 2026-11-10T20:00:00Z" in page_html


def test_cli_demo_writes_each_format(tmp_path, capsys):
    for fmt in ("text", "csv", "json", "html"):
        target = tmp_path / f"evidence.{fmt}"
        assert main(["history", "--demo", "--format", fmt, "--output", str(target)]) == 0
        assert target.stat().st_size > 200
    document = json.loads((tmp_path / "evidence.json").read_text())
    since, until = (parse_timestamp(document["period"][end]) for end in ("since", "until"))
    assert until - since == timedelta(days=90)  # without --since: 90 days before --until
    [account] = document["accounts"]
    assert account["current"]["compliance_type"] == "NON_COMPLIANT"
    assert {change["compliance_type"] for change in account["changes"]} == {
        "COMPLIANT",
        "NON_COMPLIANT",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "--since: 'last week' is not an ISO-8601 timestamp"),
        (
            ["--since", "2026-11-02T00:00:00Z", "--until", "2026-11-01T00:00:00Z"],
            "--since must be before",
        ),
        (  # an empty period too
            ["--since", "2026-11-02T00:00:00Z", "--until", "2026-11-02T00:00:00Z"],
            "--since must be before",
        ),
        (["--format", "pdf"], "invalid choice"),
        (["--function-arn", "root-account-usage"], "is not a Lambda function ARN"),
    ],
)
def test_cli_history_bad_usage_is_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["history", "--demo", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_cli_history_without_config_access_exits_2(monkeypatch, capsys):
    client, stub = stubbed("config")
    stub.add_client_error("describe_config_rules", "AccessDeniedException", http_status_code=400)
    stub.activate()
    monkeypatch.setattr(
        "root_account_usage.history.organization.open_session",
        lambda profile, region: AuditorSession(client, ACCOUNT, "us-east-1"),
    )
    assert main(["history"]) == 2
    assert "cannot read AWS Config" in capsys.readouterr().err


def test_resource_never_evaluated_has_no_timeline_but_keeps_the_report(config):
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": True})
    stub.add_client_error(
        "get_resource_config_history", "ResourceNotDiscoveredException", http_status_code=400
    )
    expect_no_current(stub, RULE)
    report, _ = collect(client)
    assert report.accounts[0].history_note == "no compliance history recorded"
    text = render_text(report)
    assert "no timeline: no compliance history recorded" in text


def test_throttling_that_never_ends_makes_the_account_unreadable(config):
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": True})
    for _ in range(7):
        stub.add_client_error(
            "get_resource_config_history", "ThrottlingException", http_status_code=400
        )
    report, sleeps = collect(client)
    assert report.accounts == ()
    [unreadable] = report.unreadable
    assert "ThrottlingException" in unreadable.error
    assert len(sleeps) == 6
    page = render_html(report)
    assert "could not be read: get_resource_config_history: ThrottlingException" in page
    assert "Unreadable: 111122223333" in render_text(report)
    last_row = list(csv.reader(io.StringIO(render_csv(report))))[-1]
    assert last_row[:3] == ["unreadable", "111122223333", "us-east-1"]


def test_cli_history_against_a_live_account_in_moto(capsys):
    from moto import mock_aws

    with mock_aws():
        code = main(["history", "--region", "us-east-1", "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    document = json.loads(out)
    assert document["source"] == "account 123456789012 in us-east-1"
    assert any("No AWS Config rule" in note for note in document["notes"])


def test_cli_history_output_that_cannot_be_written_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["history", "--demo", "--output", "/nonexistent/folder/evidence.html"])
    assert exit_.value.code == 2
    assert (
        "--output: cannot write /nonexistent/folder/evidence.html: No such file or directory (see"
        in capsys.readouterr().err
    )


def test_aggregator_can_be_narrowed_to_one_account(config):
    client, stub = config
    stub.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {
            "AggregateComplianceByConfigRules": [
                aggregate_entry(ORG_RULE, "222222222222", "eu-west-1"),
                aggregate_entry(ORG_RULE, "333333333333", "us-east-1"),
            ]
        },
        {"ConfigurationAggregatorName": "org", "Limit": 1000},
    )
    stub.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {"AggregateEvaluationResults": []},
        aggregate_details(ORG_RULE, "333333333333", "us-east-1"),
    )
    report, _ = collect(client, aggregator="org", only_account="333333333333")
    assert [a.account_id for a in report.accounts] == ["333333333333"]


def test_an_account_the_aggregator_does_not_know_is_shown_as_a_gap_not_an_empty_report(config):
    client, stub = config
    stub.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {
            "AggregateComplianceByConfigRules": [
                aggregate_entry(ORG_RULE, "222222222222", "eu-west-1")
            ]
        },
        {"ConfigurationAggregatorName": "org", "Limit": 1000},
    )
    report, _ = collect(client, aggregator="org", only_account="999999999999")
    document = json.loads(render_json(report))
    [account] = document["accounts"]
    assert account["account_id"] == "999999999999"
    assert account["history_note"] == "the aggregator has no results for this account"
    assert document["summary"]["accounts"] == 1
    assert any("has no results for account 999999999999" in note for note in report.notes)


@pytest.mark.parametrize(
    ("account", "code", "said"),
    [
        ("123456789012", 0, None),  # moto's account: the credentials' own
        (
            "999999999999",
            2,
            "--account: these credentials belong to account 123456789012, not 999999999999",
        ),
        ("12345", 2, "--account: '12345' is not an AWS account id (12 digits)"),
        ("1234567890123", 2, "is not an AWS account id"),
        ("", 2, "--account: '' is not an AWS account id"),
    ],
)
def test_cli_account_is_checked_against_the_credentials(account, code, said, capsys):
    from moto import mock_aws

    with mock_aws():
        if code:
            with pytest.raises(SystemExit) as exit_:
                main(["history", "--region", "us-east-1", "--account", account])
            assert exit_.value.code == code
        else:
            assert main(["history", "--region", "us-east-1", "--account", account]) == 0
    out, err = capsys.readouterr()
    if said:
        assert said in err
        assert err.count("\n") == 1
        assert out == ""
    else:
        assert "Source: account 123456789012 in us-east-1" in out


def test_cli_demo_refuses_another_account_too(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["history", "--demo", "--account", "999999999999"])
    assert exit_.value.code == 2
    assert "only their own account can be read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("group", "recorded"),
    [
        (None, True),  # no group given: AWS records every supported type
        ({"recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}, True),
        ({"allSupported": False, "resourceTypes": ["AWS::IAM::User"]}, False),
        (
            {
                "allSupported": True,
                "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
            },
            True,
        ),
        (
            {
                "allSupported": False,
                "resourceTypes": [COMPLIANCE_RESOURCE_TYPE],
                "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
            },
            True,
        ),
        (
            {
                "allSupported": False,
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Volume"]},
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
            },
            True,
        ),
        (
            {
                "allSupported": False,
                "exclusionByResourceTypes": {"resourceTypes": [COMPLIANCE_RESOURCE_TYPE]},
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
            },
            False,
        ),
    ],
)
def test_each_recording_strategy_is_read_as_aws_defines_it(group, recorded, config):
    client, stub = config
    expect_recorder(stub, group)
    assert ConfigHistoryReader(client).records_compliance() is recorded


def test_aggregator_judges_each_account_with_its_own_threshold_and_lists_its_rule(config):
    client, stub = config
    stub.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {
            "AggregateComplianceByConfigRules": [
                aggregate_entry(ORG_RULE, "333333333333", "eu-west-1")
            ]
        },
        {"ConfigurationAggregatorName": "org", "Limit": 1000},
    )
    # Used 20 days before the period; that account's rule keeps 25 days (a 1-day
    # threshold would call the whole period compliant).
    seen = report_use(
        "password",
        SINCE - timedelta(days=20),
        threshold_days=25,
        report_generated_at=day(9),
        recent=False,
    )
    stub.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {
            "AggregateEvaluationResults": [
                evaluation_result(ORG_RULE, "COMPLIANT", seen, day(9), "333333333333", "eu-west-1")
            ]
        },
        aggregate_details(ORG_RULE, "333333333333", "eu-west-1"),
    )
    report, _ = collect(client, aggregator="org")
    document = json.loads(render_json(report))
    [account] = document["accounts"]
    assert account["threshold_days"] == 25
    assert document["summary"]["ever_non_compliant"] == ["333333333333"]
    assert [(r["account_id"], r["region"], r["name"]) for r in document["rules"]] == [
        ("333333333333", "eu-west-1", ORG_RULE)
    ]
    assert not any("No AWS Config rule" in note for note in document["notes"])
    assert "333333333333 eu-west-1 " + ORG_RULE in render_html(report)


def test_cli_function_arn_proves_the_rule_and_a_folder_gets_the_file(tmp_path, capsys):
    ours = "arn:aws:lambda:us-east-1:123456789012:function:root-account-usage"
    args = ["history", "--demo", "--format", "json", "--output", f"{tmp_path}/"]
    assert main([*args, "--function-arn", ours]) == 0
    [account] = json.loads((tmp_path / "root-account-usage-history.json").read_text())["accounts"]
    assert account["identity"] == "this rule"
    other = ours.replace("root-account-usage", "always-compliant")
    assert main([*args, "--function-arn", other]) == 0
    document = json.loads((tmp_path / "root-account-usage-history.json").read_text())
    assert document["accounts"][0]["identity"].startswith("not this rule: runs ")
    assert document["summary"]["ever_non_compliant"] == []


def test_aggregator_rows_are_stale_after_a_day_without_evaluation(config):
    client, stub = config
    stub.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {
            "AggregateComplianceByConfigRules": [
                aggregate_entry(ORG_RULE, "333333333333", "eu-west-1")
            ]
        },
        {"ConfigurationAggregatorName": "org", "Limit": 1000},
    )
    stub.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {
            "AggregateEvaluationResults": [
                evaluation_result(
                    ORG_RULE, "COMPLIANT", "no use", day(2), "333333333333", "eu-west-1"
                )
            ]
        },
        aggregate_details(ORG_RULE, "333333333333", "eu-west-1"),
    )
    report, _ = collect(client, aggregator="org")
    [account] = json.loads(render_json(report))["accounts"]
    assert account["stale"] is True
    assert account["stale_from"] == "2026-11-04T08:00:00Z"


def test_the_current_evaluation_is_only_ever_this_accounts_under_this_rule():
    # Newer results for another account, another resource type and another rule: none of
    # them is this account's evaluation, however recent; of its own, the latest recorded.
    def result(annotation, recorded, rule=RULE, account=ACCOUNT):
        return evaluation_result(rule, "NON_COMPLIANT", annotation, recorded, account)

    another_type = result("another type", day(9))
    qualifier = another_type["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
    qualifier["ResourceType"] = "AWS::S3::Bucket"
    untimed = result("untimed", day(9))
    del untimed["ResultRecordedTime"]
    answer = [
        result("older", day(1)),
        result("another account", day(9), account="999988887777"),
        another_type,
        result("another rule", day(9), rule=f"{RULE}-v2"),
        result("ours", day(5)),
        untimed,
    ]
    # One recorded with no time is taken only when none has one.
    for given, expected in ((answer, "ours"), ([untimed], "untimed")):
        client, stub = stubbed("config")
        stub.add_response("get_compliance_details_by_config_rule", {"EvaluationResults": given})
        with stub:
            found = ConfigHistoryReader(client).current(ACCOUNT, RULE)
        assert found is not None
        assert found.annotation == expected


def test_the_state_at_the_start_is_looked_for_60_pages_back_and_no_further(config):
    client, stub = config
    expect_rules(stub, RULE)
    expect_recorder(stub, {"allSupported": True})
    first = history_request(laterTime=SINCE, limit=1)
    for page in range(PRIOR_PAGES):
        token = {"nextToken": f"w{page}"} if page else {}
        answer = {"configurationItems": [], "nextToken": f"w{page + 1}"}
        stub.add_response("get_resource_config_history", answer, first | token)
    weeks_read(stub)
    expect_no_current(stub, RULE)
    report, _ = collect(client)
    [account] = report.accounts
    assert account.state_at_start is None
    assert account.history_note is None
