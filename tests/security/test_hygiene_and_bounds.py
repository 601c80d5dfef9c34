"""Log hygiene's own check, and the documented input bounds."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest

from root_account_usage.cli.evaluate import MAX_SAVED_REPORT_BYTES
from root_account_usage.cli.main import main
from root_account_usage.core.events import (
    MAX_INVOKING_EVENT_CHARS,
    MAX_RULE_PARAMETERS_CHARS,
    parse_periodic_event,
)
from root_account_usage.core.exceptions import InvalidEventError, MalformedReportError
from root_account_usage.core.report import MAX_REPORT_BYTES, parse_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.log_hygiene import leaks
from tests.reports import ACCOUNT_ID, NOW


def record(logger: str, message: str, **fields: object) -> logging.LogRecord:
    entry = logging.LogRecord(logger, logging.DEBUG, __file__, 1, message, None, None)
    entry.fields = fields
    return entry


@pytest.mark.parametrize(
    "leak",
    [
        "arn:aws:iam::111122223333:user/alice",
        "AKIAABCDEFGHIJKLMNOP",
        "<root_account>,arn:aws:iam::111122223333:root,2019-03-04",
        "user,arn,user_creation_time,password_enabled",
        "deploy-bot",
    ],
)
def test_hygiene_check_catches_each_kind_of_leak(leak):
    assert leaks([record("root_account_usage.x", "m", value=leak)]) != []
    assert leaks([record("root_account_usage.x", leak)]) != []


def test_hygiene_check_passes_the_rules_real_lines_and_ignores_other_loggers():
    clean = record(
        "ROOT_ACCOUNT_USAGE",
        "evaluated root account usage",
        compliance_type="NON_COMPLIANT",
        credential="access_key_1",
        error_code=None,
    )
    assert leaks([clean, record("tests.helper", "alice")]) == []


def test_report_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(MalformedReportError, match="over the"):
        parse_credential_report(b"x" * (MAX_REPORT_BYTES + 1))


def test_oversized_invoking_event_is_refused():
    event = periodic_event(ACCOUNT_ID, NOW)
    invoking = json.loads(event["invokingEvent"])
    invoking["padding"] = "x" * MAX_INVOKING_EVENT_CHARS
    event["invokingEvent"] = json.dumps(invoking)
    with pytest.raises(InvalidEventError, match=r"invokingEvent is .* over the"):
        parse_periodic_event(event)


def test_oversized_rule_parameters_are_refused():
    event = periodic_event(ACCOUNT_ID, NOW, {"ThresholdDays": "7" * MAX_RULE_PARAMETERS_CHARS})
    with pytest.raises(InvalidEventError, match=r"ruleParameters is .* over the"):
        parse_periodic_event(event)


def test_cli_refuses_an_oversized_report_file_without_reading_it_all(tmp_path, capsys):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(MAX_SAVED_REPORT_BYTES + 10)  # sparse: no real disk use
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--report", str(path)])
    assert exit_.value.code == 2
    assert f"larger than {MAX_SAVED_REPORT_BYTES} bytes" in capsys.readouterr().err


def literal_cuts():
    """Each `x[:N]`, N an integer written in product code, as "file:line" -> N."""
    rule_dir = Path(__file__).resolve().parents[2] / "ROOT_ACCOUNT_USAGE"
    for path in sorted(rule_dir.rglob("*.py")):
        if path.name.endswith("_test.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            upper = node.upper if isinstance(node, ast.Slice) and node.lower is None else None
            if isinstance(upper, ast.Constant) and isinstance(upper.value, int):
                yield f"{path.relative_to(rule_dir)}:{node.lineno}", upper.value


def test_text_from_outside_is_cut_only_to_the_named_lengths():
    # The cuts written as numbers are counts (the first three keys) and an account ID's
    # 12 digits; a text's length is one of core/plain_text's SHORT .. LONG.
    cuts = dict(literal_cuts())
    assert cuts, "the scan found no slice at all"
    assert {where: n for where, n in cuts.items() if n > 12} == {}
