"""Region names, and which CloudTrail event histories a home region searches."""

from __future__ import annotations

import pytest

from root_account_usage.core.regions import cloudtrail_regions, is_region_name


@pytest.mark.parametrize(
    ("home", "searched"),
    [
        ("us-east-1", ("us-east-1",)),
        ("eu-west-1", ("us-east-1", "eu-west-1")),
        ("ap-southeast-7", ("us-east-1", "ap-southeast-7")),
        # Other partitions: us-east-1 is not theirs (it was always reported incomplete).
        ("cn-north-1", ("cn-north-1",)),
        ("us-gov-west-1", ("us-gov-west-1",)),
        ("eusc-de-east-1", ("eusc-de-east-1",)),
        ("us-isob-east-1", ("us-isob-east-1",)),
    ],
)
def test_a_home_region_searches_its_partitions_sign_in_history(home, searched):
    assert cloudtrail_regions(home) == searched


@pytest.mark.parametrize(
    "region", ["eusc-de-east-1", "us-gov-west-1", "cn-northwest-1", "ap-southeast-7"]
)
def test_every_partitions_region_is_a_region_name_for_the_rule_and_the_removal(region):
    assert is_region_name(region)  # the removal checks by it too (it embeds core/regions.py)
