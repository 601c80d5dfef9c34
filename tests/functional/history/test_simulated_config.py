"""The simulated AWS Config (`history --demo`, the history tests, the bench) keeps what
the Config API reference (and botocore's model) says of GetResourceConfigHistory: newest
first by default, pages of 10 (or `limit`) joined by nextToken, "each call ... limited to
span a duration of seven days"; and of DescribeAggregateComplianceByConfigRules: Limit
up to 1,000, "the default is maximum"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from root_account_usage.core.verdict import RESOURCE_TYPE
from root_account_usage.simulation.config import (
    SimulatedConfig,
    compliance_item,
    simulated_client,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOURS = [NOW - timedelta(hours=n) for n in range(25, 0, -1)]  # oldest first
RESOURCE = {"resourceType": "AWS::Config::ResourceCompliance", "resourceId": f"{RESOURCE_TYPE}/1"}


def config_holding(aggregated: int = 0, throttled: int = 0) -> Any:
    """A client of a simulated Config holding 25 hourly items and `aggregated` rules."""
    config = SimulatedConfig(NOW, rules={}, throttled_calls=throttled)
    config.items = [compliance_item(t, {"r": "COMPLIANT"}) for t in HOURS]
    entry = {"AccountId": "1", "AwsRegion": "us-east-1"}
    config.aggregate = [entry | {"ConfigRuleName": f"r{n}"} for n in range(aggregated)]
    return simulated_client("config", config)


def times(client: Any, **request: Any) -> list[list[datetime]]:
    """Each page's capture times, following nextToken to the end."""
    pages = client.get_paginator("get_resource_config_history").paginate(**RESOURCE, **request)
    return [[i["configurationItemCaptureTime"] for i in p["configurationItems"]] for p in pages]


def test_history_comes_newest_first_in_pages_of_ten_by_default():
    client = config_holding()
    newest_first = HOURS[::-1]
    assert times(client) == [newest_first[:10], newest_first[10:20], newest_first[20:]]


def test_history_comes_oldest_first_in_pages_of_limit_when_asked():
    client = config_holding()
    pages = times(client, chronologicalOrder="Forward", limit=5)
    assert pages == [HOURS[n : n + 5] for n in range(0, 25, 5)]  # no empty page after


def test_history_is_what_lies_between_the_earlier_and_later_time():
    client = config_holding()
    # Bounds between items: whether AWS includes an item captured at a bound, no page says.
    half = timedelta(minutes=30)
    window = {"earlierTime": HOURS[5] - half, "laterTime": HOURS[8] + half}
    window |= {"chronologicalOrder": "Forward"}
    assert times(client, **window) == [HOURS[5:9]]


def test_a_call_may_span_seven_days_and_no_more():
    client = config_holding()
    week = RESOURCE | {"earlierTime": NOW - timedelta(days=7), "laterTime": NOW}
    assert len(client.get_resource_config_history(**week)["configurationItems"]) == 10
    longer = week | {"earlierTime": NOW - timedelta(days=7, seconds=1)}
    with pytest.raises(ClientError) as error:
        client.get_resource_config_history(**longer)
    assert error.value.response["Error"]["Code"] == "InvalidTimeRangeException"


def test_an_aggregate_comes_in_pages_of_its_maximum_1000_or_of_limit():
    client = config_holding(aggregated=1_001)
    pages = client.get_paginator("describe_aggregate_compliance_by_config_rules")
    request = {"ConfigurationAggregatorName": "organization"}
    for limit, sizes in ((None, [1_000, 1]), (400, [400, 400, 201])):
        limited = {"Limit": limit} if limit else {}
        found = [
            p["AggregateComplianceByConfigRules"] for p in pages.paginate(**request, **limited)
        ]
        assert [len(page) for page in found] == sizes
        assert [e["ConfigRuleName"] for page in found for e in page] == [
            f"r{n}" for n in range(1_001)
        ]


def test_the_first_calls_are_throttled_as_configured():
    client = config_holding(throttled=1)
    with pytest.raises(ClientError) as error:
        client.get_resource_config_history(**RESOURCE)
    assert error.value.response["Error"]["Code"] == "ThrottlingException"
    assert len(client.get_resource_config_history(**RESOURCE)["configurationItems"]) == 10
