"""A model of the time from a root action to NON_COMPLIANT in AWS Config, run with the real
re-evaluation function and the real rule handler in simulated time.

What is simulated (each delay a parameter; docs/deploy.md gives the figures and sources):
- CloudTrail delivers the root event to EventBridge `delivery` seconds after it happened;
  EventBridge invokes the re-evaluation function at once.
- AWS Config invokes the rule `config_delay` seconds after StartConfigRulesEvaluation, and
  refuses a start within 60 s of the last one or while an evaluation runs
  (LimitExceededException), as its API reference says.
- The rule reads the recorded events at most `EARLY_READ` seconds after it was invoked (its memory
  read comes first): one inside the threshold decides, published at once. Otherwise it
  reads the report and CloudTrail, reads the records again `rule_runtime` seconds after
  it was invoked, and publishes.
- CloudTrail event history (LookupEvents) shows the event `lookup_lag` seconds after it
  happened; the credential report was generated hours before and shows no use.
- Scheduled evaluations run every `schedule` seconds; one may have started just before the
  event arrived (`busy`).

Real: the re-evaluation handler (recording, starting, its busy retry, its debounce), the
rule's handler (report parsing, CloudTrail reading, recorded events, the verdict), and
SSM, IAM and Config through moto. LookupEvents is answered through botocore's own
before-call hook (moto has none), after botocore validated the request.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.core.annotation import RECORD_DECIDES
from root_account_usage.rule import reevaluate
from root_account_usage.rule.budget import limits_for
from root_account_usage.rule.clients import _CLIENTS
from root_account_usage.rule.recorded_events import RECORD_BACKOFF
from root_account_usage.simulation.config import ServiceError
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.doubles import CLEAN_EVALUATION, answer_last_evaluation, last_evaluation

EVENT_TIME = datetime(2026, 11, 27, 11, 58, 2, tzinfo=UTC)
RULE = "root-account-usage"
PATH = f"/root-account-usage/{RULE}"
CONFIG_START_INTERVAL = 60.0  # AWS Config: at most one StartConfigRulesEvaluation a minute
HORIZON = timedelta(hours=48)


# The rule's start -> its first read of the records, at worst: the memory read (Config's
# bounds) and GetParameters with its one retry (SSM's bounds).
EARLY_READ = (
    limits_for("config").worst_case_seconds
    + RECORD_BACKOFF.max_attempts * limits_for("ssm").worst_case_seconds
    + RECORD_BACKOFF.max_delay
)


@dataclass(frozen=True)
class Scenario:
    lookup_lag: float  # seconds until LookupEvents shows the event
    delivery: float = 120.0  # CloudTrail -> EventBridge -> the function
    config_delay: float = 60.0  # StartConfigRulesEvaluation -> the rule runs
    rule_runtime: float = 5.0  # the rule's start -> it reads the records and publishes
    early_read: float = EARLY_READ  # the rule's start -> its first read of the records
    busy: bool = False  # a scheduled evaluation started 20 s before the event arrived
    schedule: float = 24 * 3600.0  # MaximumExecutionFrequency
    first_scheduled: float = 12 * 3600.0  # the next scheduled run after the event
    records: bool = True  # the design under test; False: the design before it


def sign_in_event() -> dict[str, Any]:
    """The EventBridge event of a root console sign-in at EVENT_TIME."""
    return {
        "version": "0",
        "id": "model-1",
        "detail-type": "AWS Console Sign In via CloudTrail",
        "source": "aws.signin",
        "account": DEFAULT_ACCOUNT_ID,
        "region": "us-east-1",
        "detail": _record(),
    }


def _record() -> dict[str, Any]:
    return {
        "eventTime": EVENT_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventName": "ConsoleLogin",
        "eventType": "AwsConsoleSignIn",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userIdentity": {
            "type": "Root",
            "arn": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root",
            "accountId": DEFAULT_ACCOUNT_ID,
        },
        "additionalEventData": {"MFAUsed": "No"},
    }


class RuleStarts:
    """StartConfigRulesEvaluation as AWS Config answers it, in simulated time. Not the
    simulation's SimulatedConfig (a rule's history, for `history`): this is the one call the
    re-evaluation function makes, answered on the model's clock, scheduling the rule's run."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.last_start: float | None = None

    def start_config_rules_evaluation(self, ConfigRuleNames: list[str]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        now = self.model.clock
        recent = self.last_start is not None and now - self.last_start < CONFIG_START_INTERVAL
        if recent or self.model.running_until > now:
            raise ServiceError("LimitExceededException", "in progress")
        self.last_start = now
        self.model.invoke_rule(now + self.model.scenario.config_delay)
        return {}


class Model:
    """One run of a scenario: a queue of timed actions, processed in order."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.clock = 0.0
        self.queue: list[tuple[float, int, str]] = []
        self.counter = 0
        self.running_until = -1.0
        self.detected_at: float | None = None
        self.config = RuleStarts(self)
        self.reading_at = 0.0
        self.last_annotation = CLEAN_EVALUATION  # the rule has run before: a full, clean run

    def push(self, at: float, action: str) -> None:
        self.counter += 1
        heapq.heappush(self.queue, (at, self.counter, action))

    def invoke_rule(self, at: float) -> None:
        """AWS Config invokes the rule at `at`: it reads the records EARLY_READ later (with
        CloudTrail not yet read), and everything rule_runtime later, then publishes."""
        self.running_until = max(self.running_until, at + self.scenario.rule_runtime)
        if self.scenario.records:
            self.push(at + min(self.scenario.early_read, self.scenario.rule_runtime), f"early@{at}")
        self.push(at + self.scenario.rule_runtime, f"evaluate@{at}")

    def run(self) -> float | None:
        """Seconds from the root action to NON_COMPLIANT (None: not within HORIZON)."""
        s = self.scenario
        self.push(s.delivery, "deliver")
        scheduled = s.first_scheduled
        while scheduled < HORIZON.total_seconds():
            self.push(scheduled, "schedule")
            scheduled += s.schedule
        if s.busy:
            self.push(s.delivery - 20.0, "schedule")
        while self.queue and self.detected_at is None:
            at, _, action = heapq.heappop(self.queue)
            self.clock = max(self.clock, at)
            if action == "deliver":
                reevaluate.lambda_handler(sign_in_event(), Context(self))
            elif action == "schedule":
                self.config.last_start = at
                self.invoke_rule(at)
            else:
                kind, invoked_at = action.split("@")
                self._evaluate(invoked_at=float(invoked_at), read_at=at, early=kind == "early")
        return self.detected_at

    def _evaluate(self, *, invoked_at: float, read_at: float, early: bool) -> None:
        """The handler as of `read_at`; an early read sees no CloudTrail (read later)."""
        now = EVENT_TIME + timedelta(seconds=invoked_at)
        parameters = {"AssumeRoleMode": "false", "CloudTrailEvidence": "true"}
        if self.scenario.records:
            parameters["RootActivityEvidence"] = PATH
        self.reading_at = -1.0 if early else read_at
        _CLIENTS.clear()
        [evaluation] = lambda_handler(periodic_event(DEFAULT_ACCOUNT_ID, now, parameters), None)
        # Early, only a verdict the records decided before the report is published then.
        published = not early or RECORD_DECIDES in evaluation.get("Annotation", "")
        if published:
            self.last_annotation = evaluation["Annotation"]  # the rule's memory reads it
        if published and evaluation["ComplianceType"] == "NON_COMPLIANT":
            self.detected_at = read_at

    def lookup_events(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        """LookupEvents as event history answers while it lags behind."""
        visible = self.reading_at >= self.scenario.lookup_lag
        events = []
        if visible:
            events.append(
                {
                    "EventId": "model-1",
                    "EventName": "ConsoleLogin",
                    "Username": "root",
                    "CloudTrailEvent": json.dumps(_record()),
                }
            )
        return AWSResponse("https://cloudtrail", 200, {}, None), {"Events": events}


class Context:
    """What the re-evaluation function reads of its Lambda context (120 s timeout)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.started = model.clock

    def get_remaining_time_in_millis(self) -> int:
        return int((120.0 - (self.model.clock - self.started)) * 1000)


@contextmanager
def _simulated(model: Model) -> Iterator[None]:
    saved_state = dict(reevaluate._state)
    saved_time = reevaluate.time
    saved_env = {k: os.environ.get(k) for k in ("CONFIG_RULE_NAME", "ROOT_ACTIVITY_EVIDENCE")}

    def sleep(seconds: float) -> None:
        model.clock += seconds

    reevaluate.time = SimpleNamespace(monotonic=lambda: model.clock, sleep=sleep)  # type: ignore[assignment]
    os.environ["CONFIG_RULE_NAME"] = RULE
    if model.scenario.records:
        os.environ["ROOT_ACTIVITY_EVIDENCE"] = PATH
    else:
        os.environ.pop("ROOT_ACTIVITY_EVIDENCE", None)
    try:
        with mock_aws():
            boto3.setup_default_session()
            boto3.DEFAULT_SESSION.events.register(
                "before-call.cloudtrail.LookupEvents", model.lookup_events
            )
            answer_last_evaluation(
                boto3.DEFAULT_SESSION,
                lambda: last_evaluation(model.last_annotation, DEFAULT_ACCOUNT_ID, RULE),
            )
            ssm = boto3.client("ssm", region_name="us-east-1")
            for slot in ("root", "assumed-root"):
                ssm.put_parameter(Name=f"{PATH}/{slot}", Value="none", Type="String")
            boto3.client("iam", region_name="us-east-1").generate_credential_report()
            reevaluate._state.update(config=model.config, ssm=ssm, handled={})
            stale = EVENT_TIME - timedelta(hours=3)  # IAM regenerates at most every 4 hours
            with root_in_credential_report(DEFAULT_ACCOUNT_ID, RootUse(), stale):
                yield
    finally:
        reevaluate.time = saved_time  # type: ignore[assignment]
        reevaluate._state.clear()
        reevaluate._state.update(saved_state)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        boto3.DEFAULT_SESSION = None
        _CLIENTS.clear()


def detection_seconds(scenario: Scenario) -> float | None:
    """Seconds from the root action to NON_COMPLIANT in AWS Config under `scenario`."""
    model = Model(scenario)
    with _simulated(model):
        return model.run()


LOOKUP_LAGS = (0.0, 300.0, 900.0, 1800.0)  # 0, 5, 15, 30 minutes
# The promise: NON_COMPLIANT at most this long after EventBridge delivers the event
# (busy retry 65 s + Config's invocation + the longest rule run before it reads).
PROMISED_AFTER_DELIVERY = 10 * 60.0
# And from the root action itself, with CloudTrail delivering within 5 minutes: the rule
# reads the records as it starts, so a recorded event decides without the report's wait.
PROMISED_DETECTION = 10 * 60.0


def scenarios(records: bool = True) -> list[Scenario]:
    """Every combination the test and the benchmark run."""
    return [
        Scenario(
            lookup_lag=lag,
            delivery=delivery,
            config_delay=config_delay,
            rule_runtime=runtime,
            busy=busy,
            early_read=early_read,
            records=records,
        )
        for lag in LOOKUP_LAGS
        for delivery in (30.0, 300.0)
        for config_delay in (20.0, 120.0)
        for runtime in (5.0, 270.0)
        for busy in (False, True)
        for early_read in (1.0, EARLY_READ)  # quick, or the memory and SSM at their worst
    ]
