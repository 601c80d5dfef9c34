"""Evidence from the compliance history: JSON (stable), CSV, text, and a self-contained
HTML page with a timeline chart. Pure: rendering only, from data already read."""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

from ..core.timestamps import format_timestamp, parse_timestamp
from ..core.verdict import COMPLIANT, NON_COMPLIANT
from .model import UNABLE_TO_EVALUATE, UNKNOWN, AccountHistory, EvidenceReport
from .timeline import STATES, most_recent_root_use, segments, share

FORMAT_VERSION = 1
COLOURS = {
    COMPLIANT: "#2e7d32",
    NON_COMPLIANT: "#c62828",
    UNABLE_TO_EVALUATE: "#ef6c00",
    UNKNOWN: "#b0bec5",
}
LABELS = {
    COMPLIANT: "compliant",
    NON_COMPLIANT: "non-compliant",
    UNABLE_TO_EVALUATE: "unable to evaluate",
    UNKNOWN: "no record",
}


def evidence_document(report: EvidenceReport) -> dict[str, Any]:
    """The report as plain data: the JSON format, and what every other format shows."""
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": format_timestamp(report.generated_at),
        "period": {
            "since": format_timestamp(report.since),
            "until": format_timestamp(report.until),
        },
        "rule_name": report.rule_name,
        "rules": [
            {"name": name, "parameters": report.rules[name]} for name in sorted(report.rules)
        ],
        "source": report.source,
        "notes": list(report.notes),
        "accounts": [_account(history, report) for history in report.accounts],
        "unreadable_accounts": [
            {"account_id": u.account_id, "region": u.region, "error": u.error}
            for u in report.unreadable
        ],
    }


def _account(history: AccountHistory, report: EvidenceReport) -> dict[str, Any]:
    pieces = segments(history, report.since, report.until) if history.history_note is None else []
    current = history.current
    root_use = most_recent_root_use(current)
    return {
        "account_id": history.account_id,
        "region": history.region,
        "history_available": history.history_note is None,
        "history_note": history.history_note,
        "state_at_start": history.state_at_start,
        "changes": [
            {
                "time": format_timestamp(c.time),
                "compliance_type": c.compliance_type,
                "rule_name": c.rule_name,
            }
            for c in history.changes
        ],
        "timeline": [
            {"start": format_timestamp(p.start), "end": format_timestamp(p.end), "state": p.state}
            for p in pieces
        ],
        "non_compliant_share": round(share(pieces, {NON_COMPLIANT, UNABLE_TO_EVALUATE}), 4)
        if pieces
        else None,
        "unknown_share": round(share(pieces, {UNKNOWN}), 4) if pieces else None,
        "current": None
        if current is None
        else {
            "rule_name": current.rule_name,
            "compliance_type": current.compliance_type,
            "state": current.state,
            "annotation": current.annotation,
            "recorded_at": format_timestamp(current.recorded_at) if current.recorded_at else None,
        },
        "most_recent_root_use": None
        if root_use is None
        else {"credential": root_use.credential, "time": root_use.time},
    }


def render_json(report: EvidenceReport) -> str:
    return json.dumps(evidence_document(report), indent=2) + "\n"


CSV_COLUMNS = ("kind", "account_id", "region", "time", "state", "rule_name", "detail")


def render_csv(report: EvidenceReport) -> str:
    """One row per change, per current evaluation and per unreadable account."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    document = evidence_document(report)
    for account in document["accounts"]:
        ids = (account["account_id"], account["region"])
        if account["state_at_start"]:
            writer.writerow(
                ("start", *ids, document["period"]["since"], account["state_at_start"], "", "")
            )
        for change in account["changes"]:
            writer.writerow(
                ("change", *ids, change["time"], change["compliance_type"], change["rule_name"], "")
            )
        if not account["history_available"]:
            writer.writerow(("no-history", *ids, "", "", "", account["history_note"]))
        current = account["current"]
        if current:
            writer.writerow(
                (
                    "current",
                    *ids,
                    current["recorded_at"] or "",
                    current["state"],
                    current["rule_name"],
                    current["annotation"],
                )
            )
    for unreadable in document["unreadable_accounts"]:
        writer.writerow(
            (
                "unreadable",
                unreadable["account_id"],
                unreadable["region"],
                "",
                "",
                "",
                unreadable["error"],
            )
        )
    return buffer.getvalue()


def render_text(report: EvidenceReport) -> str:
    document = evidence_document(report)
    period = document["period"]
    matched = ", ".join(sorted(report.rules)) or "no rule found"
    lines = [
        f"Root account usage evidence: rule {report.rule_name} ({matched})",
        f"Period {period['since']} .. {period['until']}, generated {document['generated_at']}",
        f"Source: {report.source}",
        *(f"Note: {note}" for note in report.notes),
    ]
    for account in document["accounts"]:
        lines.append("")
        lines.append(f"Account {account['account_id']} ({account['region']})")
        if account["history_available"]:
            lines.append(f"  state at start: {account['state_at_start'] or 'no record'}")
            for change in account["changes"]:
                lines.append(f"  {change['time']}  {change['compliance_type']}")
            lines.append(
                f"  non-compliant share of the period: {account['non_compliant_share']:.1%}"
            )
        else:
            lines.append(f"  no timeline: {account['history_note']}")
        current = account["current"]
        if current:
            lines.append(
                f"  current: {current['state']} ({current['recorded_at']}): {current['annotation']}"
            )
        root_use = account["most_recent_root_use"]
        if root_use:
            lines.append(
                f"  most recent root use seen: {root_use['credential']} at {root_use['time']}"
            )
    for unreadable in document["unreadable_accounts"]:
        lines.append(
            f"\nUnreadable: {unreadable['account_id']} ({unreadable['region']}): "
            f"{unreadable['error']}"
        )
    return "\n".join(lines) + "\n"


def render_html(report: EvidenceReport) -> str:
    """A self-contained evidence page: inline CSS and SVG, no external assets."""
    document = evidence_document(report)
    e = html.escape
    period = document["period"]
    parameters = "; ".join(
        f"{rule['name']}: {json.dumps(rule['parameters'], sort_keys=True)}"
        for rule in document["rules"]
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Root account usage evidence - {e(report.rule_name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>Root account usage: compliance evidence</h1>",
        '<dl class="meta">',
        f"<dt>Period</dt><dd>{e(period['since'])} to {e(period['until'])}</dd>",
        f"<dt>Generated</dt><dd>{e(document['generated_at'])}</dd>",
        f"<dt>Rule</dt><dd>{e(report.rule_name)}</dd>",
        f"<dt>Rules matched</dt><dd>{e(parameters) or 'none'}</dd>",
        f"<dt>Source</dt><dd>{e(report.source)}</dd>",
        "</dl>",
        *(f'<p class="note">{e(note)}</p>' for note in report.notes),
        _legend(),
        "</header><main>",
    ]
    parts.append(_summary_table(document))
    for account in document["accounts"]:
        parts.append(_account_section(account, report))
    if document["unreadable_accounts"]:
        parts.append('<section class="unreadable"><h2>Accounts that could not be read</h2><table>')
        parts.append("<tr><th>Account</th><th>Region</th><th>Error</th></tr>")
        for u in document["unreadable_accounts"]:
            parts.append(
                f"<tr><td>{e(u['account_id'])}</td><td>{e(u['region'])}</td><td>{e(u['error'])}</td></tr>"
            )
        parts.append("</table></section>")
    parts.append(
        "</main><footer>Produced by root-account-usage history from AWS Config records.</footer>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _legend() -> str:
    items = "".join(
        f'<span class="key"><span class="swatch" style="background:{COLOURS[s]}"></span>'
        f"{LABELS[s]}</span>"
        for s in STATES
    )
    return f'<p class="legend">{items}</p>'


def _summary_table(document: dict[str, Any]) -> str:
    e = html.escape
    rows = [
        '<table class="summary"><tr><th>Account</th><th>Region</th><th>Current</th>'
        "<th>Non-compliant share</th><th>Most recent root use</th></tr>"
    ]
    for account in document["accounts"]:
        current = account["current"]
        state = current["state"] if current else UNKNOWN
        share_text = (
            "n/a"
            if account["non_compliant_share"] is None
            else f"{account['non_compliant_share']:.1%}"
        )
        root_use = account["most_recent_root_use"]
        use_text = f"{root_use['credential']} at {root_use['time']}" if root_use else "none seen"
        rows.append(
            f"<tr><td>{e(account['account_id'])}</td><td>{e(account['region'])}</td>"
            f'<td class="state" style="color:{COLOURS[state]}">{e(LABELS[state])}</td>'
            f"<td>{share_text}</td><td>{e(use_text)}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _account_section(account: dict[str, Any], report: EvidenceReport) -> str:
    e = html.escape
    parts = [
        f'<section class="account"><h2>Account {e(account["account_id"])} '
        f"({e(account['region'])})</h2>"
    ]
    if account["history_available"]:
        parts.append(_chart(account["timeline"], report))
        parts.append(
            '<table class="changes"><tr><th>Time (UTC)</th><th>Verdict</th><th>Rule</th></tr>'
        )
        if account["state_at_start"]:
            parts.append(
                f"<tr><td>{e(format_timestamp(report.since))} (start)</td>"
                f"<td>{e(account['state_at_start'])}</td><td></td></tr>"
            )
        for change in account["changes"]:
            parts.append(
                f"<tr><td>{e(change['time'])}</td><td>{e(change['compliance_type'])}</td>"
                f"<td>{e(change['rule_name'])}</td></tr>"
            )
        if not account["changes"]:
            parts.append('<tr><td colspan="3">No change of compliance in the period.</td></tr>')
        parts.append("</table>")
    else:
        parts.append(f'<p class="note">No timeline: {e(account["history_note"] or "")}</p>')
    current = account["current"]
    if current:
        parts.append(
            f"<p><strong>Latest evaluation</strong> "
            f"({e(current['recorded_at'] or 'time unknown')}, "
            f"{e(current['rule_name'])}): {e(current['annotation'])}</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _chart(timeline: list[dict[str, str]], report: EvidenceReport) -> str:
    """A horizontal bar across the period, one coloured rectangle per state."""
    width, left, height = 900.0, 10.0, 40.0
    total = (report.until - report.since).total_seconds() or 1.0
    shapes = []
    for piece in timeline:
        start = (parse_timestamp(piece["start"]) - report.since).total_seconds() / total
        end = (parse_timestamp(piece["end"]) - report.since).total_seconds() / total
        x, w = left + start * width, max((end - start) * width, 0.5)
        title = html.escape(f"{LABELS[piece['state']]}: {piece['start']} to {piece['end']}")
        shapes.append(
            f'<rect class="seg" data-state="{piece["state"]}" x="{x:.1f}" y="5" width="{w:.1f}" '
            f'height="{height:.0f}" fill="{COLOURS[piece["state"]]}"><title>{title}</title></rect>'
        )
    ticks = []
    for step in range(5):  # the two ends and three dates between
        moment = report.since + (report.until - report.since) * step / 4
        x = left + width * step / 4
        anchor = ("start", "middle", "middle", "middle", "end")[step]
        ticks.append(
            f'<line x1="{x:.1f}" y1="45" x2="{x:.1f}" y2="50" stroke="#90a4ae"/>'
            f'<text x="{x:.1f}" y="62" text-anchor="{anchor}">{moment:%Y-%m-%d}</text>'
        )
    axis = "".join(ticks)
    return (
        f'<svg class="timeline" role="img" aria-label="compliance over the period" '
        f'viewBox="0 0 {width + 2 * left:.0f} 70" xmlns="http://www.w3.org/2000/svg">'
        + "".join(shapes)
        + axis
        + "</svg>"
    )


_CSS = "\n".join(
    [
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;",
        "max-width:980px;color:#1c2833}",
        "h1{font-size:1.5rem;margin-bottom:.5rem}",
        "h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}",
        "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}",
        "dl.meta dt{font-weight:600}",
        "dl.meta dd{margin:0}",
        "table{border-collapse:collapse;width:100%;margin:.8rem 0;font-size:.92rem}",
        "th,td{border:1px solid #d5dbe0;padding:.35rem .5rem;text-align:left;vertical-align:top}",
        "th{background:#f2f4f6}",
        ".state{font-weight:600}",
        ".note{color:#6d4c00;background:#fff8e1;padding:.4rem .6rem}",
        ".legend .key{margin-right:1.2rem;white-space:nowrap}",
        ".swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.35rem;",
        "vertical-align:-2px;border-radius:2px}",
        "svg.timeline{width:100%;height:auto;background:#fafbfc;border:1px solid #e0e4e8}",
        "svg.timeline text{font-size:11px;fill:#455a64}",
        "footer{margin-top:2rem;font-size:.8rem;color:#78909c}",
        "@media print{body{margin:0} section{break-inside:avoid}}",
    ]
)
