"""JSON from outside (events, records, Config items, files): every fault one ValueError."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


def load_json(text: str | bytes, **options: Any) -> Any:
    """json.loads raising only ValueError, also for nesting too deep and huge integers."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def load_with_repeats(text: str) -> tuple[Any, list[frozenset[str]]]:
    """load_json's value, and the keys each object gives twice, innermost first (top last)."""
    repeated: list[frozenset[str]] = []

    def keep_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        counts = Counter(key for key, _ in pairs)
        repeated.append(frozenset(key for key, count in counts.items() if count > 1))
        return dict(pairs)

    return load_json(text, object_pairs_hook=keep_repeats), repeated


def load_record(text: str, error: type[ValueError], what: str) -> Any:
    """A record from outside. Raises `error` naming `what` for non-JSON or a key given twice."""
    try:
        loaded, repeated = load_with_repeats(text)
    except ValueError:
        raise error(f"{what} is not valid JSON") from None
    if any(repeated):
        raise error(f"{what} gives a key twice")
    return loaded
