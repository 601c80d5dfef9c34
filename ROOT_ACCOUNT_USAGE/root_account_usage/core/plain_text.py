"""Text from outside (AWS, a report file) made safe to show, and cut to size; JSON from
outside (events, records, Config items, files) read with every fault one ValueError. Pure."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from typing import Any

# Control (newlines, escapes), invisible format and separator characters, lone surrogates.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def plain(value: object) -> str:
    """One line of text, each character of the categories above escaped (\\x1b, \\u202e):
    a value cannot add a line of evidence, redraw the terminal, or break the file."""
    text = "" if value is None else str(value)
    if text.isprintable():  # no control, format or separator character but the space
        return text
    return "".join(
        (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        if unicodedata.category(ch) in _ESCAPED_CATEGORIES
        else ch
        for ch in text
    )


# How much outside text is shown: a typed value (a flag, an ID), a longer one (a timestamp),
# a name (of a rule), a reason (an error message), and a reason with its context.
SHORT, VALUE, NAME, REASON, LONG = 20, 40, 128, 200, 300


def shortened(value: object, limit: int = REASON) -> str:
    """str(value), cut to `limit` characters."""
    return str(value)[:limit]


def _aws_error(error: BaseException) -> dict[str, Any]:
    response = getattr(error, "response", None)  # botocore's ClientError has one
    return response.get("Error", {}) if isinstance(response, dict) else {}


def aws_error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError; "" for any other error."""
    return str(_aws_error(error).get("Code") or "")


def aws_error_message(error: BaseException) -> str:
    """The AWS error message of a botocore ClientError; "" for any other error."""
    return str(_aws_error(error).get("Message") or "")


def error_text(error: BaseException, limit: int = REASON) -> str:
    """An AWS error as "Code: message" (shortened); any other error's class name."""
    code, message = aws_error_code(error), aws_error_message(error)
    if not code:
        return type(error).__name__
    return f"{code}: {shortened(message, limit)}" if message else code


def writable(text: str) -> str:
    """`text` with each lone surrogate (from a JSON escape) escaped, so UTF-8 can hold it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def for_terminal(text: str) -> str:
    """Whole output for a terminal: each line made plain, the line breaks kept."""
    return "\n".join(plain(line) for line in text.split("\n"))


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
