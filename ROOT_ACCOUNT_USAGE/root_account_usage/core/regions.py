"""AWS region names: the one pattern the whole package checks them by. Pure."""

from __future__ import annotations

import re

# us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1, and the European
# Sovereign Cloud's eusc-de-east-1: a 2- to 4-letter prefix, words, a number.
_REGION_NAME = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}")


def is_region_name(text: str) -> bool:
    """Whether `text` is, whole (no trailing newline), a region name."""
    return _REGION_NAME.fullmatch(text) is not None
