"""Read a credential report saved to a file: raw CSV, or the JSON of
`aws iam get-credential-report` (base64 Content, GeneratedTime)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from ..core.exceptions import MalformedReportError
from ..core.timestamps import parse_timestamp


@dataclass(frozen=True)
class SavedReport:
    """The CSV bytes and, when the file says so, when IAM generated them."""

    content: bytes
    generated_at: datetime | None


def load_saved_report(data: bytes) -> SavedReport:
    """Tell the two formats apart by the first character and decode them."""
    if data.lstrip()[:1] == b"{":
        return _from_cli_json(data)
    return SavedReport(content=data, generated_at=None)


def _from_cli_json(data: bytes) -> SavedReport:
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MalformedReportError("report file starts like JSON but is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("Content"), str):
        raise MalformedReportError(
            "report JSON has no Content string (expected `aws iam get-credential-report` output)"
        )
    try:
        content = base64.b64decode(document["Content"], validate=True)
    except (binascii.Error, ValueError):
        raise MalformedReportError("report JSON Content is not valid base64") from None
    generated_raw = document.get("GeneratedTime")
    generated_at = None
    if generated_raw is not None:
        try:
            generated_at = parse_timestamp(str(generated_raw))
        except ValueError:
            raise MalformedReportError(
                f"report JSON GeneratedTime {str(generated_raw)[:40]!r} is not ISO-8601"
            ) from None
    return SavedReport(content=content, generated_at=generated_at)
