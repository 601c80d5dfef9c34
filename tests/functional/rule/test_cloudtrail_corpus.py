"""Real CloudTrail records others published (AWS's documentation examples, Panther's
detection-rule tests; each names its source in cloudtrail_corpus.json), run through the
rule's handler with LookupEvents stubbed (checked against CloudTrail's API model), and
through the re-evaluation path's EventBridge pattern and reader.

`expect` says what the record is: `use` (NON_COMPLIANT, described as `described`),
`attempt` (a sign-in that did not authenticate: no use), `none` (not root's own action),
`unreadable` (a root record the rule cannot place: its region's search is incomplete)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.rule import reevaluate
from root_account_usage.rule.clients import BoundedClientFactory
from root_account_usage.simulation.credential_report import RootUse
from root_account_usage.simulation.events import periodic_event
from tests.cfn import event_pattern
from tests.doubles import (
    FakeClock,
    FakeLambdaContext,
    expect_no_last_evaluation,
    report_response,
    stubbed,
)
from tests.reports import ACCOUNT_ID, report_with_root

CORPUS = json.loads((Path(__file__).with_name("cloudtrail_corpus.json")).read_text())
# A record's own time when it has one; the rule is run a day after it.
UNDATED = datetime(2019, 1, 1, tzinfo=UTC)


def account_of(record):
    for named in (record.get("recipientAccountId"), record["userIdentity"].get("accountId")):
        if isinstance(named, str) and re.fullmatch(r"[0-9]{12}", named):
            return named
    return ACCOUNT_ID


def time_of(record):
    try:
        return datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).replace(
            tzinfo=UTC
        )
    except ValueError:
        return UNDATED


def run(entry, monkeypatch):
    record = entry["record"]
    account, when = account_of(record), time_of(record)
    now = when + timedelta(days=1)
    iam, iam_stub = stubbed("iam")
    config, config_stub = stubbed("config")
    trail, trail_stub = stubbed("cloudtrail")
    account_client, account_stub = stubbed("account")
    clients = {"iam": iam, "config": config, "cloudtrail": trail, "account": account_client}
    monkeypatch.setattr(
        BoundedClientFactory, "build_client", lambda self, service, *a, **k: clients[service]
    )
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for stub in (iam_stub, config_stub, trail_stub, account_stub):
        stub.activate()
    only_us_east_1 = {"Regions": [{"RegionName": "us-east-1"}]}
    account_stub.add_response("list_regions", only_us_east_1)
    content = report_with_root(RootUse(), account_id=account)
    iam_stub.add_response("get_credential_report", report_response(content, now))
    trail_stub.add_response(
        "lookup_events",
        {
            "Events": [
                {
                    "EventId": "corpus-1",
                    "EventName": str(record.get("eventName")),
                    "EventTime": when,
                    "Username": "root",
                    "CloudTrailEvent": json.dumps(record),
                }
            ]
        },
    )
    expect_no_last_evaluation(config_stub)
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    event = periodic_event(account, now, {"CloudTrailEvidence": "true", "AssumeRoleMode": "false"})
    [evaluation] = lambda_handler(event, FakeLambdaContext(FakeClock()))
    trail_stub.assert_no_pending_responses()
    return evaluation


@pytest.mark.parametrize("entry", CORPUS, ids=[e["source"].split("/")[-1][:70] for e in CORPUS])
def test_a_published_record_is_decided_as_the_docs_say(entry, monkeypatch):
    evaluation = run(entry, monkeypatch)
    annotation = evaluation["Annotation"]
    expect = entry["expect"]
    if expect == "use":
        assert evaluation["ComplianceType"] == "NON_COMPLIANT"
        assert annotation.startswith(f"Root {entry['described']} at "), annotation
    else:
        assert evaluation["ComplianceType"] == "COMPLIANT"
        assert annotation.endswith(
            {
                "attempt": " No root use in CloudTrail (1 region, last 7 days).",
                "none": " No root activity in CloudTrail (1 region, last 7 days).",
                "unreadable": " CloudTrail search incomplete in us-east-1.",
            }[expect]
        ), annotation


PATTERNS = {
    where: event_pattern(template, resource, ACCOUNT_ID)
    for where, template, resource in (
        ("home", "template.yaml", "RootActivityRule"),
        ("forwarder", "rdk_config/forward-root-signin.yaml", "ForwardRootActivity"),
    )
}


@pytest.mark.parametrize("where", PATTERNS)
@pytest.mark.parametrize("entry", CORPUS, ids=[e["source"].split("/")[-1][:70] for e in CORPUS])
def test_a_published_root_use_starts_a_re_evaluation(entry, where):
    record = entry["record"]
    sign_in = record.get("eventType", "").lower() == "awsconsolesignin"
    event = {
        "version": "0",
        "id": "corpus",
        "detail-type": "AWS Console Sign In via CloudTrail"
        if sign_in
        else "AWS API Call via CloudTrail",
        "source": "aws.signin" if sign_in else "aws.iam",
        "account": ACCOUNT_ID,
        "region": "us-east-1",
        "detail": record,
    }
    matched = EventPattern.load(PATTERNS[where]).matches_event(event)
    # Root's records reach the function; it records and starts only for a use.
    assert matched is (entry["expect"] != "none")
    activity = reevaluate.activity_of(event)
    assert (activity is not None and not activity.attempt) is (entry["expect"] == "use")
