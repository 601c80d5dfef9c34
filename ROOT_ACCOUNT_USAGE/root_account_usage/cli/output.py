"""Render a verdict for people (text) or for tools (JSON)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TextIO

from ..core.plain_text import for_terminal, plain
from ..core.timestamps import format_timestamp
from ..core.verdict import RESOURCE_TYPE, Verdict


def render_json(verdict: Verdict, evaluated_at: datetime) -> str:
    """A verdict in its stable JSON shape (times as format_timestamp writes them)."""
    document = {
        "compliance_type": verdict.compliance_type,
        "annotation": verdict.annotation,
        "credential": verdict.credential,
        "last_used": verdict.last_used,
        "threshold_days": verdict.threshold_days,
        "resource_type": RESOURCE_TYPE,
        "resource_id": verdict.account_id,
        "report_generated_at": verdict.report_generated_at,
        "evaluated_at": evaluated_at,
        "error_code": verdict.error_code,
    }
    return json.dumps(document, indent=2, default=format_timestamp)


def render_text(verdict: Verdict, evaluated_at: datetime, *, reason: bool = True) -> str:
    """The verdict line, then (with `reason`) its annotation, each value made plain."""
    account = plain(verdict.account_id or "unknown account")
    line = f"{verdict.compliance_type}  {RESOURCE_TYPE} {account}"
    line += f"  (evaluated at {format_timestamp(evaluated_at)})"
    return f"{line}\n  {plain(verdict.annotation)}" if reason else line


def emit(text: str, stream: TextIO | None = None) -> None:
    """Write `text` to `stream` (stdout); on a terminal, control characters but line breaks
    escaped (core.plain_text), whatever the format."""
    stream = stream or sys.stdout
    stream.write(for_terminal(text) if stream.isatty() else text)
