"""Saved reports: raw CSV or the JSON of `aws iam get-credential-report`."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import pytest

from root_account_usage.cli.evaluate import load_saved_report
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


def test_cli_json_saved_with_a_utf8_byte_order_mark_is_json():
    # Windows PowerShell: aws iam get-credential-report | Out-File -Encoding utf8
    saved = load_saved_report(b"\xef\xbb\xbf" + cli_json())
    assert saved.content == CSV
    assert saved.generated_at == datetime(2026, 11, 27, 10, tzinfo=UTC)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_text_with_a_utf16_or_utf32_byte_order_mark_is_decoded(encoding):
    # PowerShell 5.1's `>` writes UTF-16 LE with a byte order mark.
    def encoded(data: bytes) -> bytes:
        text = data.decode()
        if encoding == "utf-16-be":
            return b"\xfe\xff" + text.encode("utf-16-be")
        return text.encode(encoding)

    assert load_saved_report(encoded(cli_json())).content == CSV
    assert load_saved_report(encoded(CSV)).content == CSV


def test_byte_order_mark_over_text_that_is_not_that_encoding_is_named():
    with pytest.raises(MalformedReportError, match="UTF-16 byte order mark"):
        load_saved_report(b"\xff\xfe" + b"\x00\xd8")  # a lone surrogate


YAML = (
    "Content: " + base64.b64encode(CSV).decode() + "\n"
    "ReportFormat: text/csv\nGeneratedTime: '2026-11-27T10:00:00+00:00'\n"
).encode()
TEXT = (
    "\t".join([base64.b64encode(CSV).decode(), "2026-11-27T10:00:00+00:00", "text/csv"]) + "\n"
).encode()
XML = (
    b'<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
    b"<GetCredentialReportResult><Content>" + base64.b64encode(CSV) + b"</Content>"
    b"</GetCredentialReportResult></GetCredentialReportResponse>"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (base64.b64encode(CSV), "base64 text"),  # --query Content --output text
        (base64.encodebytes(CSV), "base64 text"),  # wrapped at 76 characters
        (YAML, "--output yaml"),
        (b"- " + YAML, "--output yaml"),
        (TEXT, "--output text"),
        (XML, "XML"),
        (b'<?xml version="1.0"?>\n' + XML, "XML"),
        (CSV.replace(b",", b";"), "';'"),  # Excel in many locales
        (CSV.replace(b",", b"\t"), "tabs"),
    ],
)
def test_common_mistakes_are_named_in_one_line(data, message):
    with pytest.raises(MalformedReportError, match=re.escape(message)) as raised:
        load_saved_report(data)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "generated",
    [
        "9" * 5000,  # a number past Python's 4,300-digit int limit (json.loads refuses it)
        "1732708800",  # epoch seconds: a number, not the timestamp the CLI writes
        "null",
    ],
)
def test_generated_time_that_is_not_a_timestamp_string_is_malformed(generated):
    content = base64.b64encode(report_with_root(RootUse())).decode()
    data = f'{{"Content": "{content}", "GeneratedTime": {generated}}}'.encode()
    if generated == "null":
        assert load_saved_report(data).generated_at is None  # absent, as the API allows
        return
    with pytest.raises(MalformedReportError):
        load_saved_report(data)
