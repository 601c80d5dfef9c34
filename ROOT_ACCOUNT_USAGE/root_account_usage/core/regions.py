"""AWS region names: the one pattern the whole package checks them by. Pure."""

from __future__ import annotations

import re

# us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1: prefix, words, number.
_REGION_NAME = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}")
_OTHER_PARTITIONS = ("cn-", "us-gov-", "us-iso", "eusc-")  # not the commercial partition
# In the commercial partition, root console sign-ins and the other global-service events
# (IAM, STS, sign-in) are recorded in us-east-1's event history, whatever the home region.
COMMERCIAL_SIGN_IN_REGION = "us-east-1"


def is_region_name(text: str) -> bool:
    """Whether `text` is, whole (no trailing newline), a region name."""
    return _REGION_NAME.fullmatch(text) is not None


def cloudtrail_regions(home_region: str) -> tuple[str, ...]:
    """The event histories to search: us-east-1 and the home region in the commercial
    partition, else the home region (deploy where the partition records global events)."""
    if home_region.startswith(_OTHER_PARTITIONS):
        return (home_region,)
    return tuple(dict.fromkeys((COMMERCIAL_SIGN_IN_REGION, home_region)))
