"""Paging (rule.aws.Retrier.pages), which the rule's CloudTrail lookup and every
`history` read share: a throttled page is retried with its own token, and paging ends
whatever tokens the service returns. Real boto3 clients; botocore's Stubber checks each
request against the API model."""

from __future__ import annotations

import pytest

from root_account_usage.rule.aws import EndlessPagingError, Retrier, paging_keys
from tests.doubles import stubbed


def rules_page(name: str, token: str | None = None) -> dict[str, object]:
    page: dict[str, object] = {
        "ConfigRules": [{"ConfigRuleName": name, "Source": {"Owner": "AWS"}}]
    }
    return page | ({"NextToken": token} if token else {})


def names(pages) -> list[str]:
    return [rule["ConfigRuleName"] for page in pages for rule in page["ConfigRules"]]


def test_a_throttled_page_is_retried_with_its_own_token_never_from_the_start():
    client, stub = stubbed("config")
    stub.add_response("describe_config_rules", rules_page("a", "p2"), {})
    stub.add_client_error("describe_config_rules", "ThrottlingException", http_status_code=400)
    stub.add_response("describe_config_rules", rules_page("b"), {"NextToken": "p2"})
    sleeps: list[float] = []
    with stub:
        assert names(Retrier(sleep=sleeps.append).pages(client, "describe_config_rules")) == [
            "a",
            "b",
        ]
        stub.assert_no_pending_responses()
    assert len(sleeps) == 1


def test_the_page_size_goes_in_the_operations_own_limit_parameter():
    client, stub = stubbed("config")
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": [], "nextToken": "n2"},
        {"resourceType": "AWS::IAM::User", "resourceId": "u", "limit": 100},
    )
    stub.add_response(
        "get_resource_config_history",
        {"configurationItems": []},
        {"resourceType": "AWS::IAM::User", "resourceId": "u", "limit": 100, "nextToken": "n2"},
    )
    with stub:
        pages = Retrier().pages(
            client,
            "get_resource_config_history",
            page_size=100,
            resourceType="AWS::IAM::User",
            resourceId="u",
        )
        assert len(list(pages)) == 2
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("tokens", "calls"),
    [
        (["A", "B", "A"], 3),  # a cycle: A, B, A again
        (["same", "same"], 2),  # the same token twice running
    ],
)
def test_a_token_given_before_ends_paging_at_once(tokens, calls):
    client, stub = stubbed("config")
    previous: dict[str, str] = {}
    for n, token in enumerate(tokens):
        stub.add_response("describe_config_rules", rules_page(f"r{n}", token), previous)
        previous = {"NextToken": token}
    read: list[dict[str, object]] = []
    with stub, pytest.raises(EndlessPagingError, match=r"page \d+ gave a page token an earlier"):
        read.extend(Retrier().pages(client, "describe_config_rules"))
    assert len(read) == calls


def test_ever_new_tokens_stop_at_the_page_limit():
    client, stub = stubbed("config")
    for n in range(5):
        stub.add_response(
            "describe_config_rules",
            rules_page(f"r{n}", f"t{n + 1}"),
            {"NextToken": f"t{n}"} if n else {},
        )
    with stub, pytest.raises(EndlessPagingError, match="more pages after 5"):
        list(Retrier().pages(client, "describe_config_rules", max_pages=5))
    # exactly five calls: the stub has nothing left, and nothing was refused
    stub.assert_no_pending_responses()


def test_paging_keys_come_from_botocores_model():
    config, _ = stubbed("config")
    cloudtrail, _ = stubbed("cloudtrail")
    assert paging_keys(config, "get_resource_config_history") == ("nextToken", "nextToken", "limit")
    assert paging_keys(config, "describe_config_rules") == ("NextToken", "NextToken", None)
    assert paging_keys(cloudtrail, "lookup_events") == ("NextToken", "NextToken", "MaxResults")
    with pytest.raises(ValueError, match="takes no page size"):
        next(Retrier().pages(config, "describe_config_rules", page_size=10))
    s3, _ = stubbed("s3")
    with pytest.raises(ValueError, match="not supported"):  # tokens of several parts
        paging_keys(s3, "list_objects")
