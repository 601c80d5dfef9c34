"""The CLI: exit codes, both report formats, stdin, --as-of, the live account."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from root_account_usage.cli import evaluate as evaluate_command
from root_account_usage.cli.main import main
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.scenarios import SCENARIOS
from tests.reports import ACCOUNT_ID, NOW, report_with_root, report_without_root

AS_OF = "2026-11-27T12:00:00Z"


@pytest.fixture
def write(tmp_path):
    def write_file(content: bytes, name: str = "report.csv") -> str:
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return write_file


def cli_json(content: bytes, generated: str = "2026-11-27T10:00:00+00:00") -> bytes:
    document = {
        "Content": base64.b64encode(content).decode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": generated,
    }
    return json.dumps(document).encode()


def evaluate(capsys, *args):
    code = main(["evaluate", "--as-of", AS_OF, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_compliant_report_exits_0(capsys, write):
    code, out, err = evaluate(capsys, "--report", write(report_with_root(RootUse())))
    assert code == 0
    assert out.startswith(f"COMPLIANT  AWS::::Account {ACCOUNT_ID}")
    assert err == ""


def test_recent_use_exits_1(capsys, write):
    use = RootUse.at(password=NOW - timedelta(days=1))
    code, out, _ = evaluate(capsys, "--report", write(report_with_root(use)))
    assert code == 1
    assert "Root console password was used at 2026-11-26T12:00:00Z" in out


def test_unreadable_report_exits_2_with_one_line_on_stderr(capsys, write):
    code, out, err = evaluate(capsys, "--report", write(report_without_root()))
    assert code == 2
    assert err.count("\n") == 1
    assert "Unable to evaluate: credential report has no <root_account> row" in err
    assert "Traceback" not in err
    assert out.startswith("NON_COMPLIANT")


def test_json_format_has_the_documented_fields(capsys, write):
    use = RootUse.at(access_key_2=NOW - timedelta(hours=3))
    report = write(cli_json(report_with_root(use)), "report.json")
    code, out, _ = evaluate(
        capsys, "--report", report, "--format", "json", "--threshold-days", "30"
    )
    assert code == 1
    document = json.loads(out)
    assert document == {
        "compliance_type": "NON_COMPLIANT",
        "annotation": document["annotation"],
        "credential": "access_key_2",
        "last_used": "2026-11-27T09:00:00Z",
        "threshold_days": 30,
        "resource_type": "AWS::::Account",
        "resource_id": ACCOUNT_ID,
        "report_generated_at": "2026-11-27T10:00:00Z",
        "evaluated_at": "2026-11-27T12:00:00Z",
        "error_code": None,
    }
    assert "30-day threshold" in document["annotation"]


def test_cli_json_report_older_than_a_day_exits_2(capsys, write):
    report = write(cli_json(report_with_root(RootUse()), "2026-11-20T10:00:00Z"), "r.json")
    code, out, _err = evaluate(capsys, "--report", report, "--format", "json")
    assert code == 2
    assert json.loads(out)["error_code"] == "StaleReport"


def test_as_of_reevaluates_a_past_report(capsys, write):
    use = RootUse.at(password=NOW - timedelta(days=10))
    report = write(report_with_root(use))
    assert evaluate(capsys, "--report", report)[0] == 0
    code = main(["evaluate", "--report", report, "--as-of", "2026-11-20T12:00:00+00:00"])
    assert code == 1


def test_report_from_stdin(capsys, monkeypatch):
    data = cli_json(report_with_root(RootUse.at(password=NOW - timedelta(days=2))))
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    assert evaluate(capsys, "--report", "-")[0] == 1


def test_report_whose_root_arn_names_no_account_is_judged_for_an_unknown_account(capsys, write):
    report = report_with_root(RootUse()).replace(
        f"arn:aws:iam::{ACCOUNT_ID}:root".encode(), b"arn:aws:iam::redacted:root"
    )
    code, out, _ = evaluate(capsys, "--report", write(report), "--format", "json")
    assert code == 0
    assert json.loads(out)["compliance_type"] == "COMPLIANT"
    assert json.loads(out)["resource_id"] is None
    code, out, _ = evaluate(capsys, "--report", write(report))
    assert out.startswith("COMPLIANT  AWS::::Account unknown account")


def test_cli_json_saved_by_powershell_is_read(capsys, write):
    use = RootUse.at(password=NOW - timedelta(days=1))
    saved = json.dumps(json.loads(cli_json(report_with_root(use))), indent=4)
    for data in (b"\xef\xbb\xbf" + saved.encode(), saved.encode("utf-16")):
        code, out, err = evaluate(capsys, "--report", write(data, "report.json"))
        assert code == 1, err
        assert "Root console password was used at 2026-11-26T12:00:00Z" in out


def test_yaml_output_exits_2_saying_what_to_save_instead(capsys, write):
    yaml = b"Content: " + base64.b64encode(report_with_root(RootUse())) + b"\n"
    code, _, err = evaluate(capsys, "--report", write(yaml, "report.yaml"))
    assert code == 2
    assert err.count("\n") == 1
    assert "`--output yaml`; save `aws iam get-credential-report --output json` instead" in err


def test_malformed_json_report_exits_2(capsys, write):
    code, _, err = evaluate(capsys, "--report", write(b'{"Content": 5}', "r.json"))
    assert code == 2
    assert "no Content string" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold-days", "abc"], "--threshold-days: ThresholdDays must be a whole number"),
        (["--threshold-days", "0"], "--threshold-days: ThresholdDays must be from 1 to 3650"),
        (["--as-of", "yesterday"], "--as-of: 'yesterday' is not an ISO-8601 timestamp"),
        # now - ThresholdDays would overflow: refused, not an OverflowError traceback
        (["--as-of", "0001-01-01T00:00:00Z"], "--as-of: '0001-01-01T00:00:00Z' is before"),
        (["--as-of", "9999-12-31T23:59:59-01:00"], "is not an ISO-8601 timestamp"),
        (["--format", "xml"], "argument --format: invalid choice"),
        (
            ["--report", "/nonexistent/report.csv"],
            "--report: cannot read /nonexistent/report.csv: No such file or directory (see",
        ),
    ],
)
def test_bad_usage_exits_2_with_one_clear_line(capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--report", "/dev/null", *args])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert message in err
    assert err.count("\n") == 1


def test_missing_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "required" in capsys.readouterr().err


def test_live_account_is_read_with_the_same_lifecycle(capsys, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with (
        mock_aws(),
        root_in_credential_report(
            DEFAULT_ACCOUNT_ID, RootUse.at(access_key_1=NOW - timedelta(hours=1)), NOW
        ),
    ):
        code, out, _ = evaluate(capsys, "--format", "json", "--region", "us-east-1")
    assert code == 1
    assert json.loads(out)["credential"] == "access_key_1"
    assert json.loads(out)["resource_id"] == DEFAULT_ACCOUNT_ID


@pytest.fixture
def restore_root_logger():
    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in set(root.handlers) - before:
        root.removeHandler(handler)
    root.setLevel(level)


def test_quiet_by_default_verbose_writes_logs_to_stderr(capsys, write, restore_root_logger):
    report = write(report_without_root())
    evaluate(capsys, "--report", report)  # quiet: only the one error line (checked above)
    code, _, err = evaluate(capsys, "--verbose", "--report", report)
    assert code == 2
    [log_line, error_line] = err.splitlines()
    assert log_line.startswith("ERROR root_account_usage.rule.evaluation: unable to evaluate")
    assert error_line.startswith("root-account-usage: error: Unable to evaluate")


def test_module_entry_point_and_version():
    result = subprocess.run(
        [sys.executable, "-m", "root_account_usage", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("root-account-usage ")


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:9"])
def test_demo_prints_each_scenario_evaluation(capsys, monkeypatch, endpoint, tmp_path):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    if endpoint:  # a LocalStack user's shell and config: the accounts are still the demo's
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", endpoint)
        configured = tmp_path / "config"
        configured.write_text(f"[default]\nendpoint_url = {endpoint}\n")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(configured))
    assert main(["demo"]) == 0
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint  # the shell's, given back
    header, *blocks = capsys.readouterr().out.split("\n\n")
    now = datetime.strptime(header.rsplit(" now ", 1)[1], "%Y-%m-%dT%H:%M:%SZ")
    generated = f"report generated {now - timedelta(minutes=30):%Y-%m-%dT%H:%M:%SZ}"
    assert len(blocks) == len(SCENARIOS)
    annotations = []
    for number, (block, scenario) in enumerate(zip(blocks, SCENARIOS, strict=True), start=1):
        title, body = block.split("\n", 1)
        assert title == f"{number}. {scenario.title}"  # as README shows it
        evaluation = json.loads(body)
        assert body.rstrip("\n") == json.dumps(evaluation, indent=2)
        assert evaluation["ComplianceType"] == scenario.compliance_type
        assert scenario.annotation_contains in evaluation["Annotation"]
        annotations.append(evaluation["Annotation"])
    # Each report was generated half an hour before the demo's now.
    dated = [annotation for annotation in annotations if "report generated" in annotation]
    assert dated
    assert all(generated in annotation for annotation in dated)


def test_unexpected_failure_is_one_line_not_a_traceback(capsys, write, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("root_account_usage.cli.evaluate.load_saved_report", broken)
    code, _, err = evaluate(capsys, "--report", write(report_without_root()))
    assert code == 2
    assert err == "root-account-usage: error: unexpected RuntimeError: disk on fire\n"


def test_stale_report_names_its_account_and_the_as_of_that_judges_it(capsys, write):
    report = write(cli_json(report_with_root(RootUse()), "2026-11-20T10:00:00Z"), "r.json")
    code, out, err = evaluate(capsys, "--report", report)
    assert code == 2
    assert f"AWS::::Account {ACCOUNT_ID}" in out
    assert "give --as-of 2026-11-20T10:00:00Z" in err


def test_an_unable_message_is_printed_once(capsys, write):
    code, out, err = evaluate(capsys, "--report", write(report_without_root()))
    assert code == 2
    assert (out + err).count("no <root_account> row") == 1


def test_unknown_profile_is_a_usage_error_not_a_verdict(capsys):
    with pytest.raises(SystemExit) as exit_:
        evaluate(capsys, "--profile", "no-such-profile")
    out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert out == ""
    assert err.startswith("root-account-usage evaluate: error: --profile:")
    assert "no-such-profile" in err


def test_a_report_given_without_the_option_is_pointed_at_it(capsys, write):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", write(report_with_root(RootUse()))])
    assert exit_.value.code == 2
    assert "give a saved report as --report FILE" in capsys.readouterr().err


# Every form Python reads a time of day in, the week date too (a length test missed it).
@pytest.mark.parametrize("as_of", ["2026-11-27T12:00:00", "2026-11-27 12:00", "2026W01T10"])
def test_as_of_without_a_zone_is_refused(as_of, capsys, write):
    with pytest.raises(SystemExit):
        main(["evaluate", "--report", write(report_with_root(RootUse())), "--as-of", as_of])
    assert "names no time zone; add Z for UTC" in capsys.readouterr().err


def test_a_duplicated_column_name_cannot_redraw_the_terminal(capsys, write, monkeypatch):
    forged = "\x1b[1A\x1b[2KCOMPLIANT"
    content = report_with_root(RootUse()).replace(b"user,", f"user,{forged},{forged},".encode(), 1)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    code, out, err = evaluate(capsys, "--report", write(content), "--format", "json")
    assert code == 2
    assert "\x1b" not in out + err
    assert "\\x1b[1A" in err


def test_as_of_a_date_alone_is_midnight_utc(capsys, write):
    report = write(cli_json(report_with_root(RootUse()), "2026-11-26T20:00:00Z"), "r.json")
    code = main(["evaluate", "--report", report, "--as-of", "2026-11-27", "--format", "json"])
    assert (code, json.loads(capsys.readouterr().out)["evaluated_at"]) == (
        0,
        "2026-11-27T00:00:00Z",
    )


def test_a_fresh_verdict_carries_no_as_of_hint(capsys, write):
    # Only a stale report's verdict points at --as-of (the report's own time).
    report = write(cli_json(report_with_root(RootUse())), "report.json")
    code, out, _ = evaluate(capsys, "--report", report, "--format", "json")
    assert code == 0
    assert json.loads(out)["report_generated_at"] == "2026-11-27T10:00:00Z"
    assert "--as-of" not in json.loads(out)["annotation"]


def test_a_saved_report_is_read_up_to_its_limit_and_refused_one_byte_over(capsys, write):
    content = cli_json(report_with_root(RootUse()))
    report = write(content, "report.json")
    with mock.patch.object(evaluate_command, "MAX_SAVED_REPORT_BYTES", len(content)):
        assert evaluate(capsys, "--report", report)[0] == 0
    with (
        mock.patch.object(evaluate_command, "MAX_SAVED_REPORT_BYTES", len(content) - 1),
        pytest.raises(SystemExit),
    ):
        evaluate(capsys, "--report", report)
    assert f"is larger than {len(content) - 1} bytes" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # Characters outside base64 are refused, never skipped to decode what is left.
        (b'{"Content": "dXNlcg==!"}', "report JSON Content is not valid base64"),
        # Letters that do not decode are not taken for an undecoded Content.
        (b"abcde\n", "credential report lacks column(s) user"),
    ],
)
def test_text_that_is_not_base64_is_named_for_what_it_is(content, message, capsys, write):
    code, _, err = evaluate(capsys, "--report", write(content, "report"))
    assert code == 2
    assert message in err
