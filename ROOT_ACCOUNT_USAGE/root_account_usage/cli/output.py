"""Render a verdict for people (text) or for tools (JSON)."""

from __future__ import annotations

import json
from datetime import datetime

from ..core.timestamps import format_timestamp
from ..core.verdict import RESOURCE_TYPE, Verdict


def verdict_document(verdict: Verdict, evaluated_at: datetime) -> dict[str, object]:
    """The stable JSON shape of a verdict."""
    return {
        "compliance_type": verdict.compliance_type,
        "annotation": verdict.annotation,
        "credential": verdict.credential,
        "last_used": _optional_time(verdict.last_used),
        "threshold_days": verdict.threshold_days,
        "resource_type": RESOURCE_TYPE,
        "resource_id": verdict.account_id,
        "report_generated_at": _optional_time(verdict.report_generated_at),
        "evaluated_at": format_timestamp(evaluated_at),
        "error_code": verdict.error_code,
    }


def render_json(verdict: Verdict, evaluated_at: datetime) -> str:
    return json.dumps(verdict_document(verdict, evaluated_at), indent=2)


def render_text(verdict: Verdict, evaluated_at: datetime) -> str:
    account = verdict.account_id or "unknown account"
    return (
        f"{verdict.compliance_type}  {RESOURCE_TYPE} {account}"
        f"  (evaluated at {format_timestamp(evaluated_at)})\n"
        f"  {verdict.annotation}"
    )


def _optional_time(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)
