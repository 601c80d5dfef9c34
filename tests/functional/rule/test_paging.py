"""Paging (rule.aws.Retrier.pages), which the rule's CloudTrail lookup and every
`history` read share: a throttled page is retried with its own token, and paging ends
whatever tokens the service returns. Real boto3 clients; botocore's Stubber checks each
request against the API model. (LookupEvents: the rule's own paged call; history's
calls are paged through the same code in tests/functional/history.)"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from root_account_usage.core.exceptions import OutOfTimeError
from root_account_usage.rule.aws import EndlessPagingError, Retrier, paging_keys
from root_account_usage.rule.budget import Budget
from tests.doubles import FakeClock, stubbed

ROOT = [{"AttributeKey": "Username", "AttributeValue": "root"}]


def events_page(event_id: str, token: str | None = None) -> dict[str, object]:
    page: dict[str, object] = {"Events": [{"EventId": event_id}]}
    return page | ({"NextToken": token} if token else {})


def request(token: str | None = None) -> dict[str, object]:
    return {"LookupAttributes": ROOT, "MaxResults": 50} | ({"NextToken": token} if token else {})


def lookup(retrier: Retrier, client, **options):
    return retrier.pages(client, "lookup_events", page_size=50, LookupAttributes=ROOT, **options)


def ids(pages) -> list[str]:
    return [event["EventId"] for page in pages for event in page["Events"]]


def test_a_throttled_page_is_retried_with_its_own_token_never_from_the_start():
    client, stub = stubbed("cloudtrail")
    stub.add_response("lookup_events", events_page("a", "p2"), request())
    stub.add_client_error("lookup_events", "ThrottlingException", http_status_code=400)
    stub.add_response("lookup_events", events_page("b"), request("p2"))
    sleeps: list[float] = []
    with stub:
        assert ids(lookup(Retrier(sleep=sleeps.append), client)) == ["a", "b"]
        stub.assert_no_pending_responses()
    assert len(sleeps) == 1


def test_a_read_throttled_every_time_is_asked_six_more_times_then_fails():
    # READ_BACKOFF: six waits, 0.5 s doubling to at most 8 s (here each at its ceiling).
    client, stub = stubbed("cloudtrail")
    for _ in range(7):
        stub.add_client_error("lookup_events", "ThrottlingException", http_status_code=400)
    sleeps: list[float] = []
    retrier = Retrier(sleep=sleeps.append, jitter=lambda _, high: high)
    with stub, pytest.raises(ClientError, match="ThrottlingException"):
        list(lookup(retrier, client))
    stub.assert_no_pending_responses()
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


@pytest.mark.parametrize(
    ("tokens", "calls"),
    [
        (["A", "B", "A"], 3),  # a cycle: A, B, A again
        (["same", "same"], 2),  # the same token twice running
    ],
)
def test_a_token_given_before_ends_paging_at_once(tokens, calls):
    client, stub = stubbed("cloudtrail")
    previous: str | None = None
    for n, token in enumerate(tokens):
        stub.add_response("lookup_events", events_page(f"e{n}", token), request(previous))
        previous = token
    read: list[dict[str, object]] = []
    with stub, pytest.raises(EndlessPagingError, match=r"page \d+ gave a page token an earlier"):
        read.extend(lookup(Retrier(), client))
    assert len(read) == calls


def test_ever_new_tokens_stop_at_the_page_limit():
    client, stub = stubbed("cloudtrail")
    for n in range(5):
        stub.add_response(
            "lookup_events", events_page(f"e{n}", f"t{n + 1}"), request(f"t{n}" if n else None)
        )
    with stub, pytest.raises(EndlessPagingError, match="more pages after 5"):
        list(lookup(Retrier(), client, max_pages=5))
    stub.assert_no_pending_responses()  # exactly five calls


def test_with_a_budget_a_next_page_starts_only_if_its_worst_case_fits():
    """Each page is a call of its own (Budget.require before it): ever-new tokens from a
    slow service stop when one more page could end past the budget, not at the page cap."""
    client, stub = stubbed("cloudtrail")
    clock = FakeClock(budget_seconds=30)
    client.meta.events.register("before-call.*.*", lambda **_: clock.sleep(5))  # 5 s a page
    for n in range(10):
        stub.add_response(
            "lookup_events", events_page(f"e{n}", f"t{n + 1}"), request(f"t{n}" if n else None)
        )
    read: list[dict[str, object]] = []
    retrier = Retrier(budget=Budget(clock.time_left), call_seconds=13)
    with stub, pytest.raises(OutOfTimeError, match="no time for page 5"):
        read.extend(lookup(retrier, client))
    assert len(read) == 4  # the fifth would start with 10 s left, 13 s its worst case
    assert clock.time_left() == 10


def test_paging_keys_come_from_botocores_model():
    config, _ = stubbed("config")
    cloudtrail, _ = stubbed("cloudtrail")
    assert paging_keys(config, "get_resource_config_history") == ("nextToken", "nextToken", "limit")
    assert paging_keys(config, "describe_config_rules") == ("NextToken", "NextToken", None)
    assert paging_keys(cloudtrail, "lookup_events") == ("NextToken", "NextToken", "MaxResults")
    with pytest.raises(ValueError, match="takes no page size"):  # raised before any call
        next(Retrier().pages(config, "describe_config_rules", page_size=10))
    s3, _ = stubbed("s3")
    with pytest.raises(ValueError, match="not supported"):  # tokens of several parts
        paging_keys(s3, "list_objects")
