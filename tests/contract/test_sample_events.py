"""The sample events under events/: they parse, they match what the simulation builds,
and the handlers act on them as documented."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.core.events import parse_periodic_event
from root_account_usage.rule import reevaluate
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.cfn import event_pattern
from tests.doubles import stubbed

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLE_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CONFIG_SAMPLES = sorted(EVENTS.glob("config-*.json"))
EVENTBRIDGE_SAMPLES = sorted(EVENTS.glob("eventbridge-*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_sample_is_listed_in_the_events_readme():
    listed = (EVENTS / "README.md").read_text()
    assert CONFIG_SAMPLES
    assert EVENTBRIDGE_SAMPLES
    for sample in (*CONFIG_SAMPLES, *EVENTBRIDGE_SAMPLES):
        assert f"`{sample.name}`" in listed


@pytest.mark.parametrize("sample", CONFIG_SAMPLES, ids=lambda path: path.stem)
def test_config_samples_parse_and_have_the_shape_the_simulation_builds(sample):
    event = load(sample)
    periodic = parse_periodic_event(event)
    assert periodic.notification_time == SAMPLE_NOW
    assert periodic.account_id == event["accountId"]
    built = periodic_event(periodic.account_id, SAMPLE_NOW, dict(periodic.rule_parameters))
    assert set(built) == set(event)
    assert set(json.loads(built["invokingEvent"])) == set(json.loads(event["invokingEvent"]))
    assert built["invokingEvent"].replace(" ", "") == event["invokingEvent"]


@pytest.mark.parametrize("sample", CONFIG_SAMPLES, ids=lambda path: path.stem)
def test_rule_judges_the_account_each_config_sample_names(sample, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    event = load(sample)
    account = event["accountId"]
    use = RootUse.at(password=SAMPLE_NOW - timedelta(days=1))
    with mock_aws(), root_in_credential_report(account, use, SAMPLE_NOW - timedelta(hours=1)):
        boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")
        [evaluation] = lambda_handler(event, None)
    assert evaluation["ComplianceResourceId"] == account
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "console password was used at 2026-11-26T12:00:00Z" in evaluation["Annotation"]


SAMPLE_ACCOUNT = "123456789012"  # the account of every sample event
PATTERN = event_pattern("template.yaml", "RootActivityRule", SAMPLE_ACCOUNT)


@pytest.mark.parametrize("sample", EVENTBRIDGE_SAMPLES, ids=lambda path: path.stem)
def test_eventbridge_samples_match_the_rule_and_start_an_evaluation(sample, monkeypatch):
    event = load(sample)
    assert EventPattern.load(PATTERN).matches_event(event)
    client, stub = stubbed("config")
    stub.add_response("start_config_rules_evaluation", {}, {"ConfigRuleNames": ["rule"]})
    monkeypatch.setenv("CONFIG_RULE_NAME", "rule")
    monkeypatch.setitem(reevaluate._state, "config", client)
    monkeypatch.setitem(reevaluate._state, "handled", {})
    with stub:
        assert reevaluate.lambda_handler(event, None) == {"started": True}
    stub.assert_no_pending_responses()
    # Each sample is root activity by the rule's own reading, so it would be recorded.
    activity = reevaluate.activity_of(event)
    assert activity is not None
    assert activity.assumed_root == ("session" in sample.stem)


FORWARD_PATTERN = event_pattern(
    "rdk_config/forward-root-signin.yaml", "ForwardRootActivity", SAMPLE_ACCOUNT
)


@pytest.mark.parametrize(
    "detail_type",
    [
        "AWS Console Sign In via CloudTrail",  # what CloudTrail puts on the bus
        "AWS Console Signin via CloudTrail",  # how the EventBridge user guide spells it
    ],
)
@pytest.mark.parametrize("pattern", [PATTERN, FORWARD_PATTERN], ids=["home", "forwarder"])
def test_a_root_sign_in_matches_under_either_spelling_of_its_detail_type(detail_type, pattern):
    event = load(EVENTS / "eventbridge-root-console-sign-in.json") | {"detail-type": detail_type}
    assert EventPattern.load(pattern).matches_event(event)


def test_an_iam_user_sign_in_does_not_match():
    event = load(EVENTS / "eventbridge-root-console-sign-in.json")
    event["detail"]["userIdentity"]["type"] = "IAMUser"
    assert not EventPattern.load(PATTERN).matches_event(event)
