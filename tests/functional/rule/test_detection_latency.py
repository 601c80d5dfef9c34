"""The latency promise, modelled (tests/latency_model.py): with the re-evaluation function
recording the root event, a root sign-in is NON_COMPLIANT in AWS Config within
PROMISED_AFTER_DELIVERY of EventBridge delivering it, however long CloudTrail event
history lags (0, 5, 15, 30 minutes) and though the credential report shows no use yet.
Simulated time: nothing here waits. `make bench` runs the whole grid."""

from __future__ import annotations

import pytest

from tests.latency_model import (
    LOOKUP_LAGS,
    PROMISED_AFTER_DELIVERY,
    PROMISED_DETECTION,
    Scenario,
    detection_seconds,
)

# The slow corners of the grid: late delivery, slow Config, a long rule run, a busy rule.
WORST = [
    Scenario(lookup_lag=lag, delivery=300.0, config_delay=120.0, rule_runtime=runtime, busy=busy)
    for lag in LOOKUP_LAGS
    for runtime in (5.0, 270.0)
    for busy in (False, True)
]


@pytest.mark.parametrize(
    "scenario",
    WORST,
    ids=lambda s: (
        f"lag{s.lookup_lag / 60:.0f}m-run{s.rule_runtime:.0f}s-{'busy' if s.busy else 'idle'}"
    ),
)
def test_root_use_is_non_compliant_within_the_promise_whatever_the_lag(scenario):
    detected = detection_seconds(scenario)
    assert detected is not None
    assert 0 < detected <= scenario.delivery + PROMISED_AFTER_DELIVERY
    assert detected <= PROMISED_DETECTION


def test_a_recorded_event_decides_as_the_rule_starts_not_after_its_long_run():
    # Idle rule, slow run (report generation, throttled regions): the record, written on
    # delivery, is read before the report, so NON_COMPLIANT does not wait for the run.
    scenario = Scenario(lookup_lag=1800.0, delivery=300.0, config_delay=120.0, rule_runtime=270.0)
    detected = detection_seconds(scenario)
    assert detected is not None
    assert detected < scenario.delivery + 65.0 + scenario.config_delay + scenario.rule_runtime


@pytest.mark.parametrize("lag", [900.0, 1800.0], ids=["lag15m", "lag30m"])
def test_without_the_record_a_lagging_event_waits_for_the_schedule(lag):
    # The design before this one: the re-evaluation runs before event history shows the
    # sign-in, and the stale report shows nothing, so the next scheduled run catches it.
    scenario = Scenario(lookup_lag=lag, records=False)
    assert detection_seconds(scenario) >= scenario.first_scheduled
    assert detection_seconds(Scenario(lookup_lag=0.0, records=False)) <= PROMISED_AFTER_DELIVERY
