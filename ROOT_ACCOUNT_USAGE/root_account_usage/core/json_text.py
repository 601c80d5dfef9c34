"""JSON from outside (events, records, Config items, files): every fault one ValueError."""

from __future__ import annotations

import json
from typing import Any


def load_json(text: str | bytes, **options: Any) -> Any:
    """json.loads; raises only ValueError, also for an integer past Python's 4,300-digit
    limit and for nesting too deep for the parser (a RecursionError otherwise)."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class _RepeatedKeyError(ValueError):
    """A JSON object gives a key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _RepeatedKeyError
    return dict(pairs)


def load_record(text: str, error: type[ValueError], what: str) -> Any:
    """A record from outside, as load_json reads it. Raises `error`, naming `what`, for
    text that is not JSON or an object that gives a key twice: a tampered record is
    refused, never read last-wins (as json.loads would)."""
    try:
        return load_json(text, object_pairs_hook=_unique_keys)
    except _RepeatedKeyError:
        raise error(f"{what} gives a key twice") from None
    except ValueError:
        raise error(f"{what} is not valid JSON") from None
