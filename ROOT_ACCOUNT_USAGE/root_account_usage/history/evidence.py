"""Evidence from the compliance history as JSON (stable), CSV, text or an HTML page. Pure.
Every value from AWS is untrusted: CSV cells cannot start a formula, text cannot gain a
line, HTML is escaped, JSON is always valid JSON."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..core.annotation import read_root_use
from ..core.plain_text import plain, writable
from ..core.rule_identity import NO_FUNCTION
from ..core.timestamps import format_timestamp, parse_timestamp
from .model import STALE, UNKNOWN, AccountHistory, EvidenceReport, counted, input_parameters
from .timeline import NON_COMPLIANT_STATES, STATES, ever_non_compliant, segments, share, stale_from

FORMAT_VERSION = 1  # fields are only ever added; a change of meaning bumps it
_MADE = ("owner", "source", "created_by")  # what runs the rule and who made it
_RULE_KEYS = ("account_id", "region", "identity", *_MADE, "parameters", "rule_exists")
_CURRENT = ("rule_name", "compliance_type", "state", "annotation", "recorded_at")
_STYLES = (  # colour and label, in the order of STATES
    ("#2e7d32", "compliant"),
    ("#c62828", "non-compliant"),
    ("#ef6c00", "unable to evaluate"),
    ("#1565c0", "not applicable"),
    ("#6a1b9a", "insufficient data"),
    ("#9e9d24", "stale (no evaluation when due)"),
    ("#b0bec5", "no record"),
)
SHOWN = dict(zip(STATES, _STYLES, strict=True))


def _style(state: str) -> tuple[str, str]:
    """Colour and label; a state AWS Config may add one day is shown as it is written."""
    return SHOWN.get(state, ("#6d4c41", state))


def evidence_document(report: EvidenceReport) -> dict[str, Any]:
    """The report as plain data: the JSON format, and what every other format shows."""
    period = {"since": format_timestamp(report.since), "until": format_timestamp(report.until)}
    accounts = [_account(history, report, period) for history in report.accounts]
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": format_timestamp(report.generated_at),
        "period": period,
        "rule_name": report.rule_name,
        "rules": [  # each account's own: parameters and identity differ by account
            {"name": a["rule_name"]} | {key: a[key] for key in _RULE_KEYS}
            for a in accounts
            if a["rule_name"] is not None
        ],
        "source": report.source,
        "notes": list(report.notes),
        "summary": _summary(accounts, report),
        "accounts": accounts,
        "unreadable_accounts": [
            _stamped(u) | {"rule_name": report.rule_name, "period": period}
            for u in report.unreadable
        ],
    }


def _stamped(record: Any, keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """A NamedTuple's fields (or `keys`) by name, each time as format_timestamp writes it."""
    fields = ((key, getattr(record, key)) for key in keys or record._fields)
    return {key: format_timestamp(v) if isinstance(v, datetime) else v for key, v in fields}


def _account(
    history: AccountHistory, report: EvidenceReport, period: dict[str, str]
) -> dict[str, Any]:
    pieces = segments(history, report.since, report.until) if history.history_note is None else []
    current = history.current
    root_use = read_root_use(current.annotation) if current else None
    identity = history.identity
    stale = stale_from(history)
    return {
        "account_id": history.account_id,
        "region": history.region,
        "rule_name": history.rule_name,
        "identity": _identity(history),
        "identity_problem": getattr(identity, "problem", None),
        **{key: getattr(identity, key, None) for key in _MADE},
        "parameters": input_parameters(identity.parameters) if identity else None,
        "rule_exists": history.exists,
        "rule_recorded": history.recorded
        and dict(zip(("first", "last"), map(format_timestamp, history.recorded), strict=True)),
        "stale": stale is not None and stale < report.until,
        "stale_from": format_timestamp(stale) if stale else None,
        "threshold_days": history.threshold_days,
        "parameters_invalid": history.parameters_invalid,
        "period": period,
        "history_available": history.history_note is None,
        "history_note": history.history_note,
        "state_at_start": history.state_at_start,
        "changes": [_stamped(change) for change in history.changes],
        "timeline": [_stamped(piece) for piece in pieces],
        "non_compliant_share": round(share(pieces, NON_COMPLIANT_STATES), 4) if pieces else None,
        "unknown_share": round(share(pieces, {UNKNOWN}), 4) if pieces else None,
        "stale_share": round(share(pieces, {STALE}), 4) if pieces else None,
        "ever_non_compliant": counted(identity)
        and ever_non_compliant(history, report.since, report.until),
        "current": current and _stamped(current, _CURRENT),
        "most_recent_root_use": root_use and _stamped(root_use),
    }


def _identity(history: AccountHistory) -> str:
    """Whether the rule is shown to be this one: "this rule", "not this rule: why", or
    "unverified: why" (counted, flagged)."""
    if history.identity is None:
        why = "read through the aggregator" if history.exists else "the rule no longer exists"
        return f"unverified: {why}"
    problem = history.identity.problem
    if problem == NO_FUNCTION:
        return "unverified: no --function-arn to compare its source with"
    return f"not this rule: {problem}" if problem else "this rule"


def _summary(accounts: list[dict[str, Any]], report: EvidenceReport) -> dict[str, Any]:
    """The organization at a glance: each list names accounts once, sorted."""

    def ids(entries: Iterable[dict[str, Any]]) -> list[str]:
        return sorted({entry["account_id"] for entry in entries})

    ruled = [a for a in accounts if a["rule_name"] is not None]
    unreadable = {u.account_id for u in report.unreadable}
    return {
        "accounts": len({a.account_id for a in report.accounts} | unreadable),
        "ever_non_compliant": ids(a for a in ruled if a["ever_non_compliant"]),
        "unreadable": sorted(unreadable),
        "without_rule": ids(a for a in accounts if a["rule_name"] is None),
        "without_history": ids(a for a in ruled if not a["history_available"]),
        "not_this_rule": ids(a for a in ruled if a["identity"].startswith("not this rule")),
        "identity_unverified": ids(a for a in ruled if a["identity"].startswith("unverified")),
        "stale": ids(a for a in ruled if a["stale"]),
        "rule_deleted": ids(a for a in ruled if not a["rule_exists"]),
    }


def _threshold_shown(account: dict[str, Any], unit: str = " days") -> str | None:
    """The threshold the rule applies, or why its parameters are invalid (it fails closed)."""
    if account.get("parameters_invalid"):
        return f"invalid: {account['parameters_invalid']}"
    days = account.get("threshold_days")
    return None if days is None else f"{days}{unit}"


def render_json(report: EvidenceReport) -> str:
    # allow_nan=False: JSON has no NaN or Infinity (parameters carrying them are kept as text).
    return json.dumps(evidence_document(report), indent=2, allow_nan=False) + "\n"


# Only ever added at the end: the first seven are the original; every row says what it
# is evidence of; `identity` is this rule / unverified: why / not this rule: why.
_COLUMNS = "kind account_id region time state rule_name detail period_since period_until "
CSV_COLUMNS = tuple(
    (_COLUMNS + "threshold_days root_use_credential root_use_time identity stale").split()
)
# OWASP (CSV injection): a cell starting with one of these is a formula to a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def csv_cell(value: object) -> str:
    """A cell no spreadsheet runs and no terminal obeys: made plain, then quoted with a
    leading ' when it would start a formula (after any blank)."""
    text = plain(value)
    return "'" + text if text.lstrip().startswith(_FORMULA_STARTS) else text


def render_csv(report: EvidenceReport) -> str:
    """One row per start state, change, latest evaluation, missing history and
    unreadable account; every cell quoted (whatever the separator) and a csv_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    document = evidence_document(report)
    since, until = document["period"]["since"], document["period"]["until"]

    def row(kind: str, account: dict[str, Any], time: Any, state: Any, detail: Any) -> None:
        root_use = account.get("most_recent_root_use") or {}
        stale = f"stale since {account['stale_from']}" if account.get("stale") else ""
        cells: tuple[object, ...] = (kind, account["account_id"], account["region"], time, state)
        cells += (account["rule_name"], detail, since, until, _threshold_shown(account, unit=""))
        cells += (root_use.get("credential"), root_use.get("time"), account.get("identity"), stale)
        writer.writerow([csv_cell(cell) for cell in cells])

    for account in document["accounts"]:
        if account["state_at_start"]:
            row("start", account, since, account["state_at_start"], "")
        for change in account["changes"]:
            row("change", account, change["time"], change["compliance_type"], "")
        if not account["history_available"]:
            row("no-history", account, "", "", account["history_note"])
        if current := account["current"]:
            row("current", account, current["recorded_at"], current["state"], current["annotation"])
    for unreadable in document["unreadable_accounts"]:
        row("unreadable", unreadable, "", "", unreadable["error"])
    return writable(buffer.getvalue())


def render_text(report: EvidenceReport) -> str:
    """The report for reading: every line made plain (no value can add a line)."""
    document = evidence_document(report)
    period = document["period"]
    summary = document["summary"]
    lines = [
        f"Root account usage evidence: rule {report.rule_name}",
        f"Period {period['since']} .. {period['until']}, generated {document['generated_at']}",
        f"Source: {report.source}",
        *(f"Note: {note}" for note in report.notes),
        f"Accounts: {summary['accounts']}",
        *(_listed(what, summary[key]) for key, what in SUMMARY_LISTS),
    ]
    for account in document["accounts"]:
        threshold = _threshold_shown(account)
        days = f", threshold {threshold}" if threshold is not None else ""
        lines += ["", _heading(account) + days]
        if account["rule_name"]:
            lines.append(f"  rule: {_rule_shown(account)}")
        if account["stale"]:
            lines.append(f"  STALE since {account['stale_from']}: no evaluation when one was due")
        if account["history_available"]:
            lines.append(f"  state at start: {account['state_at_start'] or 'no record'}")
            lines += [f"  {c['time']}  {c['compliance_type']}" for c in account["changes"]]
            lines.append(
                f"  non-compliant share of the period: {account['non_compliant_share']:.1%}"
                f", stale: {account['stale_share']:.1%}"
            )
        else:
            lines.append(f"  no timeline: {account['history_note']}")
        if current := account["current"]:
            lines.append(
                f"  current: {current['state']} ({current['recorded_at']}): {current['annotation']}"
            )
        if account["most_recent_root_use"]:
            lines.append(f"  most recent root use seen: {_root_use_shown(account)}")
    for unreadable in document["unreadable_accounts"]:
        where = f"{unreadable['account_id']} ({unreadable['region']})"
        lines += ["", f"Unreadable: {where}: {unreadable['error']}"]
    return writable("\n".join(plain(line) for line in lines) + "\n")


def _heading(account: dict[str, Any]) -> str:
    rule = account["rule_name"] or "no matching rule"
    return f"Account {account['account_id']} ({account['region'] or 'all regions'}), {rule}"


def _root_use_shown(account: dict[str, Any]) -> str:
    root_use = account["most_recent_root_use"]
    return f"{root_use['credential']} at {root_use['time']}" if root_use else "none seen"


def _rule_shown(account: dict[str, Any]) -> str:
    """What the rule is, runs and was made by, as one line."""
    recorded = account["rule_recorded"] or {"first": "?", "last": "?"}
    gone = "" if account["rule_exists"] else "deleted since, named in the records from "
    gone += "" if account["rule_exists"] else f"{recorded['first']} to {recorded['last']}; "
    made = account["created_by"] or "an account principal"
    runs = f"{account['owner']} {account['source']}, created by {made}, parameters "
    runs += json.dumps(account["parameters"], sort_keys=True)
    return f"{account['identity']}; {gone}" + (runs if account["owner"] else "")


# The summary's lists of accounts, as every format names them.
SUMMARY_LISTS = (
    ("ever_non_compliant", "ever non-compliant in the period"),
    ("unreadable", "could not be read"),
    ("without_rule", "without the rule"),
    ("without_history", "without history (latest evaluation only)"),
    ("not_this_rule", "with a rule that is not this rule (not counted)"),
    ("identity_unverified", "with the rule's identity unverified"),
    ("rule_deleted", "with a rule deleted since"),
    ("stale", "stale (latest evaluation overdue)"),
)


def _listed(what: str, ids: list[str]) -> str:
    return f"  {what}: {len(ids)} ({', '.join(ids)})" if ids else f"  {what}: none"


def render_html(report: EvidenceReport) -> str:
    """A self-contained page (inline CSS and SVG): the summary, then each account."""
    document = evidence_document(report)
    e = html.escape
    period = document["period"]
    parameters = "; ".join(
        f"{rule['account_id']} {rule['region']} {rule['name']}: "
        f"{json.dumps(rule['parameters'], sort_keys=True)}"
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
        _legend(document),
        "</header><main>",
        _organization_summary(document),
        _summary_table(document),
        *(_account_section(account, report) for account in document["accounts"]),
        "</main><footer>Produced by root-account-usage history from AWS Config records.</footer>",
        "</body></html>",
    ]
    return writable("\n".join(parts) + "\n")


def _legend(document: dict[str, Any]) -> str:
    """Every known state, then any other state the document holds (as Config wrote it)."""
    seen = {p["state"] for a in document["accounts"] for p in a["timeline"]}
    seen |= {a["current"]["state"] for a in document["accounts"] if a["current"]}
    items = "".join(
        f'<span class="key" data-state="{html.escape(s)}"><span class="swatch" '
        f'style="background:{_style(s)[0]}"></span>{html.escape(_style(s)[1])}</span>'
        for s in [*STATES, *sorted(seen - set(STATES))]
    )
    return f'<p class="legend">{items}</p>'


def _organization_summary(document: dict[str, Any]) -> str:
    summary = document["summary"]
    rows = [("Accounts", str(summary["accounts"]))]
    for key, what in SUMMARY_LISTS:
        ids = summary[key]
        listed = f"{len(ids)}: {html.escape(', '.join(ids))}" if ids else "none"
        rows.append((what[0].upper() + what[1:], listed))
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    table = f'<table class="org">{body}</table>'
    return f'<section class="organization"><h2>Summary</h2>{table}</section>'


def _summary_table(document: dict[str, Any]) -> str:
    e = html.escape
    columns = ("Account", "Region", "Rule", "Threshold", "Current", "Non-compliant share")
    rows = ['<table class="summary">' + _row(*columns, "Most recent root use", tag="th")]
    for account in document["accounts"]:
        current = account["current"]
        state = STALE if account["stale"] else current["state"] if current else UNKNOWN
        fraction = account["non_compliant_share"]
        share_text = "n/a" if fraction is None else f"{fraction:.1%}"
        threshold = _threshold_shown(account)
        rows.append(
            f"<tr><td>{e(account['account_id'])}</td><td>{e(account['region'] or 'all')}</td>"
            f"<td>{e(account['rule_name'] or 'none')}<br><small>"
            f"{e(account['identity'] if account['rule_name'] else '')}</small></td>"
            f"<td>{'' if threshold is None else e(threshold)}</td>"
            f'<td class="state" data-state="{e(state)}" style="color:{_style(state)[0]}">'
            f"{e(_style(state)[1])}</td>"
            f"<td>{share_text}</td><td>{e(_root_use_shown(account))}</td></tr>"
        )
    for unreadable in document["unreadable_accounts"]:  # in the table too, never only counted
        rows.append(
            f"<tr><td>{e(unreadable['account_id'])}</td><td>{e(unreadable['region'])}</td>"
            f'<td colspan="5" class="state" data-state="UNREADABLE">could not be read: '
            f"{e(unreadable['error'])}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _account_section(account: dict[str, Any], report: EvidenceReport) -> str:
    e = html.escape
    parts = [f'<section class="account"><h2>{e(_heading(account))}</h2>']
    if account["rule_name"]:
        parts.append(f'<p class="rule">Rule: {e(plain(_rule_shown(account)))}</p>')
    if account["history_available"]:
        parts.append(_chart(account["timeline"], report))
        parts.append('<table class="changes">' + _row("Time (UTC)", "Verdict", "Rule", tag="th"))
        if account["state_at_start"]:
            start = f"{format_timestamp(report.since)} (start)"
            rule = account["rule_name"] or "no matching rule"
            parts.append(_row(start, account["state_at_start"], rule))
        parts += [_row(c["time"], c["compliance_type"], c["rule_name"]) for c in account["changes"]]
        if not account["changes"]:
            parts.append('<tr><td colspan="3">No change of compliance in the period.</td></tr>')
        parts.append("</table>")
    else:
        parts.append(f'<p class="note">No timeline: {e(account["history_note"] or "")}</p>')
    if current := account["current"]:
        parts.append(
            f"<p><strong>Latest evaluation</strong> "
            f"({e(current['recorded_at'] or 'time unknown')}, "
            f"{e(current['rule_name'])}): {e(current['annotation'])}</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _row(*cells: object, tag: str = "td") -> str:
    """A table row of escaped cells."""
    return "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def _chart(timeline: list[dict[str, str]], report: EvidenceReport) -> str:
    """A horizontal bar across the period, one coloured rectangle per state."""
    width, left, height = 900.0, 10.0, 40.0
    total = (report.until - report.since).total_seconds() or 1.0
    shapes = []
    for piece in timeline:
        start = (parse_timestamp(piece["start"]) - report.since).total_seconds() / total
        end = (parse_timestamp(piece["end"]) - report.since).total_seconds() / total
        # Every state at least 6 of the bar's 900 units wide, drawn over its neighbour and
        # inside the bar: the state the period ends in shows even when it began minutes before.
        w = max((end - start) * width, 6.0)
        x = min(left + start * width, left + width - w)
        state = piece["state"]
        title = html.escape(f"{_style(state)[1]}: {piece['start']} to {piece['end']}")
        shapes.append(
            f'<rect class="seg" data-state="{html.escape(state)}" x="{x:.1f}" y="5" '
            f'width="{w:.1f}" height="{height:.0f}" fill="{_style(state)[0]}">'
            f"<title>{title}</title></rect>"
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
    return (
        f'<svg class="timeline" role="img" aria-label="compliance over the period" '
        f'viewBox="0 0 {width + 2 * left:.0f} 70" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(shapes + ticks)}</svg>"
    )


_CSS = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;"
    "max-width:980px;color:#1c2833} h1{font-size:1.5rem;margin-bottom:.5rem}h2{font-size:1.15rem;"
    "margin-top:2rem;border-bottom:1px solid #ccd}dl.meta{display:grid;"
    "grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dl.meta dt{font-weight:600} "
    "dl.meta dd{margin:0}table{border-collapse:collapse;width:100%;margin:.8rem 0;font-size:.92rem}"
    "th,td{border:1px solid #d5dbe0;padding:.35rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f2f4f6} .state{font-weight:600} table.org th{width:22rem}.note{color:#6d4c00;"
    "background:#fff8e1;padding:.4rem .6rem}.legend .key{margin-right:1.2rem;white-space:nowrap} "
    ".swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.35rem;vertical-align:-2px;"
    "border-radius:2px}svg.timeline{width:100%;height:auto;background:#fafbfc;border:1px solid "
    "#e0e4e8}svg.timeline text{font-size:11px;fill:#455a64} footer{margin-top:2rem;font-size:.8rem;"
    "color:#78909c} @media print{body{margin:0} section{break-inside:avoid}}"
)
