"""Read a credential report saved to a file: raw CSV, or `aws iam get-credential-report`
JSON, in any encoding PowerShell writes."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from datetime import datetime
from typing import NamedTuple

from ..core.exceptions import MalformedReportError
from ..core.json_text import load_json
from ..core.plain_text import VALUE, shortened
from ..core.timestamps import parse_timestamp

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_TEXT_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAVE_JSON = "save `aws iam get-credential-report --output json` instead"
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\s]+")
_YAML_KEY = re.compile(rb"(- )?(Content|GeneratedTime|ReportFormat):")
_XML = re.compile(rb"<(\?xml|[A-Za-z]+Response\b)")


class SavedReport(NamedTuple):
    """The CSV bytes and, when the file says so, when IAM generated them."""

    content: bytes
    generated_at: datetime | None


def load_saved_report(data: bytes) -> SavedReport:
    """Tell the formats apart by the first character and decode them."""
    data = _as_utf8(data)
    if data.lstrip()[:1] == b"{":
        return _from_cli_json(data)
    _refuse_known_mistakes(data)
    return SavedReport(content=data, generated_at=None)


def _as_utf8(data: bytes) -> bytes:
    """UTF-8 without a byte order mark, from UTF-8, UTF-16 or UTF-32 with one."""
    for mark, encoding in _TEXT_ENCODINGS:
        if data.startswith(mark):
            try:
                return data.decode(encoding).encode("utf-8")
            except UnicodeError:
                raise MalformedReportError(
                    f"report file starts with a {encoding.upper()} byte order mark "
                    f"but is not {encoding.upper()} text"
                ) from None
    return data.removeprefix(codecs.BOM_UTF8)


def _refuse_known_mistakes(data: bytes) -> None:
    start = data.lstrip()
    first_line = start.split(b"\n", 1)[0].rstrip(b"\r")
    if _XML.match(start):
        raise MalformedReportError(f"report file is XML (the raw IAM API answer); {_SAVE_JSON}")
    if _YAML_KEY.match(first_line):
        raise MalformedReportError(f"report file looks like `--output yaml`; {_SAVE_JSON}")
    if b"\t" in first_line and b"text/csv" in first_line:
        raise MalformedReportError(f"report file looks like `--output text`; {_SAVE_JSON}")
    if start and _BASE64_TEXT.fullmatch(start) and _decodes_to_a_report(start):
        raise MalformedReportError(
            "report file is base64 text (the Content field, not decoded): decode it "
            f"(base64 --decode) or {_SAVE_JSON}"
        )
    for separator, name in ((b";", "';'"), (b"\t", "tabs")):
        if b"," not in first_line and b"user" in first_line.split(separator):
            raise MalformedReportError(
                f"report file separates fields with {name}, not commas (a spreadsheet "
                "saved it in another format); use the file IAM gave"
            )


def _decodes_to_a_report(text: bytes) -> bool:
    try:
        decoded = base64.b64decode(re.sub(rb"\s", b"", text), validate=True)
    except (binascii.Error, ValueError):
        return False
    return decoded.removeprefix(codecs.BOM_UTF8).startswith(b"user")


def _from_cli_json(data: bytes) -> SavedReport:
    try:
        document = load_json(data)
    except ValueError:
        raise MalformedReportError("report file starts like JSON but is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("Content"), str):
        raise MalformedReportError(
            "report JSON has no Content string (expected `aws iam get-credential-report` output)"
        )
    try:
        content = base64.b64decode(document["Content"], validate=True)
    except (binascii.Error, ValueError):
        raise MalformedReportError("report JSON Content is not valid base64") from None
    generated = document.get("GeneratedTime")
    if generated is None:  # absent, as the API allows
        return SavedReport(content, None)
    if not isinstance(generated, str):
        raise MalformedReportError(
            f"report JSON GeneratedTime is a {type(generated).__name__}, not a timestamp"
        )
    try:
        return SavedReport(content, parse_timestamp(generated))
    except ValueError:
        raise MalformedReportError(
            f"report JSON GeneratedTime {shortened(generated, VALUE)!r} is not an ISO-8601 "
            "date and time in range"
        ) from None
