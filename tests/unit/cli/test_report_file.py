"""Saved reports: raw CSV or the JSON of `aws iam get-credential-report`."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from root_account_usage.cli.report_file import load_saved_report
from root_account_usage.core.exceptions import MalformedReportError
from root_account_usage.simulation.credential_report import RootUse
from tests.reports import report_with_root

CSV = report_with_root(RootUse())


def cli_json(**document) -> bytes:
    base = {
        "Content": base64.b64encode(CSV).decode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": "2026-11-27T10:00:00+00:00",
    }
    base.update(document)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def test_raw_csv_has_no_generation_time():
    saved = load_saved_report(CSV)
    assert saved.content == CSV
    assert saved.generated_at is None


def test_cli_json_is_decoded_with_its_generation_time():
    saved = load_saved_report(b"  \n" + cli_json())
    assert saved.content == CSV
    assert saved.generated_at == datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_cli_json_without_generated_time_is_accepted():
    assert load_saved_report(cli_json(GeneratedTime=None)).generated_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"ReportFormat": "text/csv"}', "no Content"),
        (cli_json(Content="***not base64***"), "not valid base64"),
        (cli_json(GeneratedTime="soon"), "GeneratedTime"),
    ],
)
def test_bad_cli_json_is_malformed(data, message):
    with pytest.raises(MalformedReportError, match=message):
        load_saved_report(data)
