"""Fuzzing the rule's inputs: parameters, the Config event, the handler and the CLI.

Only the project's own error types may escape the core; the handler publishes a
verdict or raises a clear error; the CLI exits 0, 1 or 2 and never prints a
traceback. CI runs a fixed, derandomized set of examples (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from datetime import timedelta
from typing import Any
from unittest import mock

from botocore.utils import parse_to_aware_datetime
from hypothesis import example, given
from hypothesis import strategies as st

from ROOT_ACCOUNT_USAGE import EvaluationNotPublishedError, lambda_handler
from root_account_usage.cli.main import main
from root_account_usage.core.events import PeriodicEvent, parse_periodic_event
from root_account_usage.core.exceptions import InvalidEventError, InvalidParameterError
from root_account_usage.core.parameters import parse_rule_parameters, parse_threshold_days
from root_account_usage.rule.clients import BoundedClientFactory
from root_account_usage.simulation.credential_report import RootUse
from root_account_usage.simulation.events import periodic_event
from tests.reports import ACCOUNT_ID, NOW, report_with_root

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
odd_values = json_values | st.just("x" * 200_000) | st.just("{}") | st.just("[]")

EVENT_KEYS = ["invokingEvent", "ruleParameters", "resultToken", "executionRoleArn", "accountId"]
INVOKING_KEYS = ["messageType", "notificationCreationTime", "awsAccountId"]


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid periodic event with a few fields deleted or replaced by odd values."""
    event = periodic_event(ACCOUNT_ID, NOW, {"ThresholdDays": "7", "AssumeRoleMode": "false"})
    invoking = json.loads(event["invokingEvent"])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        target, key = draw(
            st.sampled_from(
                [(event, k) for k in EVENT_KEYS] + [(invoking, k) for k in INVOKING_KEYS]
            )
        )
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(odd_values)
    if isinstance(event.get("invokingEvent"), str) and draw(st.booleans()):
        event["invokingEvent"] = json.dumps(invoking)
    return event


@given(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.lists(st.integers())
)
def test_threshold_days_is_in_range_or_refused_by_name(value):
    try:
        days = parse_threshold_days(value)
    except InvalidParameterError as error:
        message = str(error)
        days = None
    if days is None:
        assert "ThresholdDays" in message
    else:
        assert 1 <= days <= 3650


@given(st.dictionaries(st.text(max_size=20), json_values, max_size=5))
def test_rule_parameters_parse_or_raise_their_own_error(raw):
    with contextlib.suppress(InvalidParameterError):
        parse_rule_parameters(raw)


@given(mutated_events() | st.dictionaries(st.text(max_size=20), json_values, max_size=6))
def test_event_parser_raises_only_its_own_error(event):
    try:
        parsed: PeriodicEvent | str = parse_periodic_event(event)
    except InvalidEventError as error:
        parsed = str(error)
    if isinstance(parsed, str):
        assert parsed  # a message that says what was wrong
    else:
        assert len(parsed.account_id) == 12


# Timestamps near what AWS writes: separators, precision and zones varied.
near_timestamps = st.from_regex(
    r"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9]([.,][0-9]{0,9})?)?(Z|[+-](0[0-9]|1[0-3])(:?[0-5][0-9])?)?\n?",
    fullmatch=True,
)


@given(near_timestamps | st.text(max_size=40))
@example("2026-11-20T10:00:00.Z")  # Python's fromisoformat reads it; botocore does not
def test_every_notification_time_accepted_is_one_botocore_sends_as_the_same_instant(when):
    # rdklib sends the raw string as PutEvaluations' OrderingTimestamp.
    event = periodic_event(ACCOUNT_ID, NOW)
    invoking = json.loads(event["invokingEvent"]) | {"notificationCreationTime": when}
    try:
        parsed = parse_periodic_event(event | {"invokingEvent": json.dumps(invoking)})
    except InvalidEventError:
        return
    assert parse_to_aware_datetime(when) == parsed.notification_time


class _Iam:
    def get_credential_report(self) -> dict[str, Any]:
        use = RootUse.at(password=NOW - timedelta(days=3))
        return {"Content": report_with_root(use), "GeneratedTime": NOW}

    def generate_credential_report(self) -> dict[str, Any]:
        return {"State": "COMPLETE"}


class _Config:
    meta = mock.Mock()  # rdklib's client: the handler hooks its events

    def get_compliance_details_by_config_rule(self, **request: Any) -> dict[str, Any]:
        return {"EvaluationResults": []}

    def put_evaluations(self, **request: Any) -> dict[str, Any]:
        assert 1 <= len(request["Evaluations"]) <= 100
        return {"FailedEvaluations": []}


@given(mutated_events())
def test_handler_publishes_a_verdict_or_raises_a_clear_error(event):
    clients = {"iam": _Iam(), "config": _Config()}
    build = mock.patch.object(
        BoundedClientFactory, "build_client", lambda self, name, *a, **k: clients[name]
    )
    with build, mock.patch("time.sleep"):
        try:
            evaluations = lambda_handler(event, None)
        except (InvalidEventError, EvaluationNotPublishedError) as error:
            evaluations = str(error)
    if isinstance(evaluations, str):
        assert evaluations  # a clear error, and one of the rule's own
        return
    [evaluation] = evaluations
    assert evaluation["ComplianceType"] in ("COMPLIANT", "NON_COMPLIANT")
    assert 0 < len(evaluation["Annotation"]) <= 256
    assert evaluation["ComplianceResourceType"] == "AWS::::Account"


OPTIONS = ["--threshold-days", "--as-of", "--format", "json", "text", "--verbose", "--report"]
VALUES = ["-", "0", "7", "3650", "3651", "-1", "abc", "2026-11-27T12:00:00Z", "yesterday", ""]
CLI_TOKENS = st.sampled_from([*OPTIONS, *VALUES, "--"]) | st.text(max_size=12)


def run_cli(argv: list[str]) -> tuple[int, str]:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, stderr.getvalue()


@given(st.lists(CLI_TOKENS, max_size=6))
def test_cli_exits_0_1_or_2_without_traceback_for_any_options(tokens):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "report.csv")
        with open(path, "wb") as handle:
            handle.write(report_with_root(RootUse()))
        # A report is always given, so no fuzzed case reaches for a live account.
        code, stderr = run_cli(["evaluate", "--report", path, *tokens])
    assert code in (0, 1, 2)
    assert "Traceback" not in stderr


@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_cli_exits_0_1_or_2_without_traceback_for_any_report_file(content):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "report")
        with open(path, "wb") as handle:
            handle.write(content)
        code, stderr = run_cli(["evaluate", "--report", path, "--as-of", "2026-11-27T12:00:00Z"])
    assert code in (0, 1, 2)
    assert "Traceback" not in stderr
    if code == 2:
        assert stderr.count("\n") == 1


@given(st.integers(min_value=-3 * 24 * 3600, max_value=60 * 24 * 3600))
def test_handler_judges_the_event_instant_not_the_wall_clock(offset_seconds):
    # The fake report says root was used 3 days before NOW, generated at NOW. Moving
    # only the event's notificationCreationTime moves the verdict, so no example above
    # depends on when the test runs.
    event_time = NOW + timedelta(seconds=offset_seconds)
    event = periodic_event(ACCOUNT_ID, event_time, {"AssumeRoleMode": "false"})
    clients = {"iam": _Iam(), "config": _Config()}
    build = mock.patch.object(
        BoundedClientFactory, "build_client", lambda self, name, *a, **k: clients[name]
    )
    with build, mock.patch("time.sleep"):
        [evaluation] = lambda_handler(event, None)
    if event_time - NOW > timedelta(hours=24):
        assert evaluation["Annotation"].endswith("[StaleReport]")
    elif event_time - (NOW - timedelta(days=3)) <= timedelta(days=7):
        assert evaluation["ComplianceType"] == "NON_COMPLIANT"
        assert "was used at 2026-11-24T12:00:00Z" in evaluation["Annotation"]
    else:
        assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["OrderingTimestamp"].startswith(f"{event_time:%Y-%m-%dT%H:%M:%S}")
