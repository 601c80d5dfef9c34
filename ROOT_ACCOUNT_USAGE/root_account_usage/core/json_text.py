"""JSON that comes from outside (invoking events, CloudTrail and SSM records, Config
items, saved files), read so that every way it can be wrong is one ValueError. Pure."""

from __future__ import annotations

import json
from typing import Any


def load_json(text: str | bytes, **options: Any) -> Any:
    """json.loads, failing only with ValueError: text that is not JSON, an integer past
    Python's 4,300-digit limit (json.loads raises a plain ValueError for it, not a
    JSONDecodeError), or nesting too deep for the parser (a RecursionError otherwise)."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class RepeatedKeyError(ValueError):
    """A JSON object gives a key twice (json.loads would silently keep the last)."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """load_json's object_pairs_hook for outside records: raises RepeatedKeyError for a
    key given twice, so that a tampered record is refused, never read last-wins."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise RepeatedKeyError("a key given twice")
    return dict(pairs)
