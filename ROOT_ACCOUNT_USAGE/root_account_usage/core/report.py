"""The root row of an IAM credential report (CSV), read by header name. Pure."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import datetime
from typing import NamedTuple

from .exceptions import MalformedReportError, RootRowMissingError
from .plain_text import VALUE, shortened
from .timestamps import parse_timestamp

ROOT_USER = "<root_account>"
_ROOT_MARKER = ROOT_USER.encode()
# Values IAM writes when a credential has no recorded use.
NO_RECORDED_USE = frozenset({"N/A", "no_information", "not_supported", ""})
# (credential, column holding its last use), in the order ties are reported.
CREDENTIAL_COLUMNS = (
    ("password", "password_last_used"),
    ("access_key_1", "access_key_1_last_used_date"),
    ("access_key_2", "access_key_2_last_used_date"),
)
REQUIRED_COLUMNS = ("user", "arn", *(column for _, column in CREDENTIAL_COLUMNS))
# Each column with the value that says root holds no such credential (docs/development.md,
# "The credential-report lifecycle": why only these values).
ABSENT_CREDENTIALS = {"password_enabled": "false"} | {
    f"{credential}_{column}": absent
    for credential in ("access_key_1", "access_key_2", "cert_1", "cert_2")
    for column, absent in (("active", "false"), ("last_rotated", "n/a"))
}
# IAM's largest report (5,000 users and root) is about 2.5 MB: far larger input is refused.
MAX_REPORT_BYTES = 32 * 1024 * 1024
# arn:<partition>:iam::<12 digits>:root, matched whole (fullmatch), ASCII digits only.
_ROOT_ARN = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):root")


class CredentialUse(NamedTuple):
    """When one root credential was last used (None: no recorded use)."""

    credential: str
    last_used: datetime | None


class RootCredentials(NamedTuple):
    """The root row of a credential report, reduced to what the verdict needs."""

    account_id: str | None  # None when the root row's ARN names no account
    uses: tuple[CredentialUse, ...]
    credentials_removed: bool = False  # the report says so of every credential


def parse_credential_report(content: bytes | str) -> RootCredentials:
    """The root row of a credential report (only the header and root's lines decoded).
    Raises MalformedReportError (RootRowMissingError when no row is root's)."""
    data = content.encode() if isinstance(content, str) else content
    if len(data) > MAX_REPORT_BYTES:
        raise MalformedReportError(
            f"credential report is {len(data)} bytes, over the {MAX_REPORT_BYTES} limit"
        )
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
    header, header_end = _line_at(data, 0)
    if not header or header == [""]:
        raise MalformedReportError("credential report is empty")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise MalformedReportError("credential report lacks column(s) " + ", ".join(missing))
    repeated = sorted(column for column, times in Counter(header).items() if times > 1)
    if repeated:
        shown = ", ".join(shortened(column, VALUE) for column in repeated[:3])
        raise MalformedReportError(f"credential report has column(s) {shown} more than once")
    row = _root_row(data, header_end, header.index("user"))
    if len(row) != len(header):
        raise MalformedReportError(
            f"root row has {len(row)} fields but the header has {len(header)}"
        )
    values = dict(zip(header, row, strict=True))
    arn = _ROOT_ARN.fullmatch(values["arn"])
    return RootCredentials(
        account_id=arn.group(1) if arn else None,
        uses=tuple(
            CredentialUse(credential, _parse_last_used(column, values[column]))
            for credential, column in CREDENTIAL_COLUMNS
        ),
        credentials_removed=all(
            values.get(column, "").strip().lower() == absent
            for column, absent in ABSENT_CREDENTIALS.items()
        ),
    )


def _root_row(data: bytes, header_end: int, user_column: int) -> list[str]:
    """The one row whose `user` field (not, say, a user's ARN) is `<root_account>`."""
    found: list[str] | None = None
    position = data.find(_ROOT_MARKER, header_end)
    while position != -1:
        row, end = _line_at(data, position)
        if len(row) > user_column and row[user_column] == ROOT_USER:
            if found is not None:
                raise MalformedReportError("credential report has more than one <root_account> row")
            found = row
        position = data.find(_ROOT_MARKER, end)
    if found is None:
        raise RootRowMissingError("credential report has no <root_account> row")
    return found


def _line_at(data: bytes, position: int) -> tuple[list[str], int]:
    """The fields of the line holding `position`, and where that line ends."""
    start, end = data.rfind(b"\n", 0, position) + 1, data.find(b"\n", position)
    end = len(data) if end == -1 else end
    try:
        return next(csv.reader([data[start:end].decode("utf-8")]), []), end
    except UnicodeDecodeError as error:
        raise MalformedReportError("credential report is not UTF-8 text") from error
    except csv.Error as error:
        raise MalformedReportError(f"credential report is not valid CSV: {error}") from error


def _parse_last_used(column: str, value: str) -> datetime | None:
    value = value.strip()
    if value in NO_RECORDED_USE:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        # Never the value itself: it reaches the annotation and logs, and may hold anything.
        kind = (
            "a date without a time of day"
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
            else "not an ISO-8601 date and time in range"
        )
        raise MalformedReportError(
            f"root row's {column} is {kind} ({len(value)} characters)"
        ) from None
