"""Fuzzing the evidence files: whatever AWS Config returns (rule names, annotations,
compliance types, error messages, rule parameters), every format renders, JSON stays
valid JSON, no CSV cell starts a formula, text keeps one line per fact, and HTML gains
no element from the data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from root_account_usage.core.rule_identity import RuleIdentity
from root_account_usage.history.evidence import render_csv, render_html, render_json, render_text
from root_account_usage.history.model import (
    AccountHistory,
    ComplianceChange,
    CurrentEvaluation,
    EvidenceReport,
    UnreadableAccount,
)

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 11, tzinfo=UTC)
untrusted = st.text(max_size=40) | st.sampled_from(
    [
        "=1+2",
        "+1",
        "-1",
        "@x",
        "\t=1",
        "\r=1",
        "\n=1",
        "a\nAccount 1 (x)",
        "</td><script>",
        "\x1b[2J",
    ]
)
states = st.sampled_from(
    ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA", "UNKNOWN"]
) | st.text(max_size=12)
moments = st.integers(min_value=0, max_value=10 * 24).map(lambda h: SINCE + timedelta(hours=h))
raw_parameters = st.sampled_from(
    [
        '{"ThresholdDays": NaN}',
        '{"x": -Infinity, "y": [1e999]}',
        "not json",
        "[]",
        '{"a": {"b": NaN}}',
    ]
) | st.dictionaries(st.text(max_size=8), st.floats() | st.text(max_size=8), max_size=3).map(
    lambda d: json.dumps(d)
)


@st.composite
def accounts(draw: st.DrawFn) -> AccountHistory:
    rule = draw(st.none() | untrusted)
    changes = tuple(
        sorted(
            ComplianceChange(t, s, rule or "")
            for t, s in draw(st.lists(st.tuples(moments, states), max_size=4))
        )
    )
    current = draw(
        st.none() | st.builds(CurrentEvaluation, untrusted, states, untrusted, st.none() | moments)
    )
    return AccountHistory(
        draw(untrusted),
        draw(untrusted),
        changes,
        draw(st.none() | states),
        current,
        draw(st.none() | untrusted),
        rule,
        draw(st.none() | st.integers(1, 3650)),
        identity=draw(
            st.none()
            | st.builds(
                RuleIdentity, untrusted, untrusted, untrusted, untrusted, raw_parameters, untrusted
            )
        ),
        exists=draw(st.booleans()),
    )


@st.composite
def reports(draw: st.DrawFn) -> EvidenceReport:
    return EvidenceReport(
        rule_name=draw(untrusted),
        since=SINCE,
        until=UNTIL,
        generated_at=UNTIL,
        source=draw(untrusted),
        accounts=tuple(draw(st.lists(accounts(), max_size=3))),
        unreadable=tuple(
            draw(
                st.lists(st.builds(UnreadableAccount, untrusted, untrusted, untrusted), max_size=2)
            )
        ),
        notes=tuple(draw(st.lists(untrusted, max_size=2))),
    )


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


OUR_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "dl", "dt", "dd",
    "p", "span", "main", "section", "table", "tr", "th", "td", "svg", "rect", "line", "text",
    "footer", "strong", "br", "small",
}  # fmt: skip


@given(reports())
def test_every_format_renders_safely_whatever_config_returned(report):
    def refuse(constant: str) -> None:
        raise AssertionError(f"JSON holds {constant}")

    json.loads(render_json(report), parse_constant=refuse)
    for row in csv.reader(io.StringIO(render_csv(report))):
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "\n", "\0"))
    text = render_text(report)
    assert "\x1b" not in text
    assert sum(line.startswith("Account ") for line in text.splitlines()) == len(report.accounts)
    page = _Elements()
    page.feed(render_html(report))
    assert page.tags <= OUR_TAGS
