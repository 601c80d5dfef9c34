"""The lines the function writes under Lambda's JSON log format (template.yaml's
LoggingConfig), formatted by the runtime's own handler (awslambdaric): every line keeps
the level and the request id, and the UnableToEvaluate metric filter matches the
fail-closed line and nothing else."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from awslambdaric import bootstrap
from awslambdaric.lambda_runtime_log_utils import LogFormat
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.cfn import load_template

NOW = datetime.now(UTC).replace(microsecond=0)
TEMPLATE = load_template("template.yaml")
ROOT = Path(__file__).resolve().parents[3] / "ROOT_ACCOUNT_USAGE"
REQUEST_ID = "8f5c3e4a-1b2c-4d5e-9f60-0123456789ab"


class Sink:
    def __init__(self) -> None:
        self.lines = io.StringIO()

    def log(self, message: str, frame_type: bytes | None = None) -> None:
        self.lines.write(message)


def filter_matches(pattern: str, line: str) -> bool:
    """CloudWatch Logs' JSON filter `{ $.key = "value" }`, the one form the template uses."""
    match = re.fullmatch(r'\{ \$\.(\w+) = "([^"]*)" \}', pattern)
    assert match, f"a filter form this test does not read: {pattern}"
    return json.loads(line).get(match[1]) == match[2]


@pytest.fixture
def lambda_json_logs(monkeypatch):
    """The root logger as the python3.13 runtime sets it up for LogFormat JSON, level INFO."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    for handler in before:
        root.removeHandler(handler)
    sink = Sink()
    bootstrap._setup_logging(LogFormat.JSON, "INFO", sink)
    monkeypatch.setattr(bootstrap, "_GLOBAL_AWS_REQUEST_ID", REQUEST_ID)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    yield sink
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in before:
        root.addHandler(handler)
    root.setLevel(level)


def test_template_selects_lambdas_json_log_format():
    for name in ("Function", "ReevaluationFunction"):
        config = TEMPLATE["Resources"][name]["Properties"]["LoggingConfig"]
        assert config["LogFormat"] == "JSON", name
        assert config["ApplicationLogLevel"] == "INFO", name


@pytest.mark.parametrize(
    ("generated_ago", "fail_closed"), [(timedelta(minutes=5), False), (timedelta(days=2), True)]
)
def test_every_line_keeps_level_and_request_id_and_the_filter_counts_fail_closed_only(
    lambda_json_logs, generated_ago, fail_closed
):
    with mock_aws(), root_in_credential_report(DEFAULT_ACCOUNT_ID, RootUse(), NOW - generated_ago):
        event = periodic_event(DEFAULT_ACCOUNT_ID, NOW, {"AssumeRoleMode": "false"})
        lambda_handler(event, None)
    lines = lambda_json_logs.lines.getvalue().splitlines()
    assert lines
    for line in lines:
        entry = json.loads(line)
        assert entry["requestId"] == REQUEST_ID, line
        assert entry["level"] in {"INFO", "WARNING", "ERROR"}, line
    pattern = TEMPLATE["Resources"]["UnableToEvaluateMetricFilter"]["Properties"]["FilterPattern"]
    counted = [line for line in lines if filter_matches(pattern, line)]
    assert len(counted) == (1 if fail_closed else 0), lines
    if fail_closed:
        [line] = counted
        assert json.loads(line)["fields"]["error_code"] == "StaleReport"


@pytest.mark.parametrize("module", ["ROOT_ACCOUNT_USAGE", "root_account_usage.rule.reevaluate"])
def test_either_function_keeps_the_sdk_loggers_at_warning(module):
    # The SDK logs whole responses at DEBUG, the credential report among them. A fresh
    # interpreter: what importing the function's module alone does.
    sdk = ("boto3", "botocore", "urllib3", "s3transfer")
    script = f"import logging, {module}; print([logging.getLogger(n).level for n in {sdk}])"
    levels = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert levels.strip() == str([logging.WARNING] * len(sdk))
