"""Parse an IAM credential report (CSV) into the root user's credential use.

Pure: no boto3, no clock. The report is parsed by header name, so reordered or
additional columns work; only the `<root_account>` row is parsed into values.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from typing import NamedTuple

from .exceptions import MalformedReportError, RootRowMissingError
from .timestamps import parse_timestamp

ROOT_USER = "<root_account>"
_ROOT_MARKER = ROOT_USER.encode()
_UTF8_BOM = b"\xef\xbb\xbf"

# Values IAM writes when a credential has no recorded use.
NO_RECORDED_USE = frozenset({"N/A", "no_information", "not_supported", ""})

# (credential, column holding its last use), in the order ties are reported.
CREDENTIAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("password", "password_last_used"),
    ("access_key_1", "access_key_1_last_used_date"),
    ("access_key_2", "access_key_2_last_used_date"),
)
REQUIRED_COLUMNS = ("user", "arn", *(column for _, column in CREDENTIAL_COLUMNS))
# Whether root still holds each credential. Optional: without them the rule only cannot
# say that the credentials are gone. Root's password_enabled is "not_supported" on
# accounts from before IAM reported it: only an explicit "false" means no password.
PRESENCE_COLUMNS = ("password_enabled", "access_key_1_active", "access_key_2_active")

# IAM's largest report (5,000 users and root) is about 2.5 MB; refuse far larger input
# rather than parse it into memory.
MAX_REPORT_BYTES = 32 * 1024 * 1024

_ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_SHOWN_VALUE_LIMIT = 40


class CredentialUse(NamedTuple):
    """When one root credential was last used (None: no recorded use)."""

    credential: str
    last_used: datetime | None


class RootCredentials(NamedTuple):
    """The root row of a credential report, reduced to what the verdict needs."""

    account_id: str
    uses: tuple[CredentialUse, ...]
    # True only when the report says explicitly: no password and no active access key.
    credentials_removed: bool = False


def parse_credential_report(content: bytes | str) -> RootCredentials:
    """Return the root row of a credential report.

    Works on the bytes: only the header and the root line are decoded and split, so
    a 5,000-user report costs two short lines, not a copy of every row.
    Raises MalformedReportError (or its RootRowMissingError) when the report
    cannot be read: too large, no header, missing columns, a garbled root row.
    """
    data = content.encode() if isinstance(content, str) else content
    if len(data) > MAX_REPORT_BYTES:
        raise MalformedReportError(
            f"credential report is {len(data)} bytes, over the {MAX_REPORT_BYTES} limit"
        )
    data = data.removeprefix(_UTF8_BOM)
    header = _parse_line(_line_at(data, 0))
    if not header or header == [""]:
        raise MalformedReportError("credential report is empty")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise MalformedReportError("credential report lacks column(s) " + ", ".join(missing))

    # IAM user names cannot contain '<', so the marker appears once per root row.
    root_rows = data.count(_ROOT_MARKER)
    if root_rows == 0:
        raise RootRowMissingError("credential report has no <root_account> row")
    if root_rows > 1:
        raise MalformedReportError("credential report has more than one <root_account> row")

    row = _parse_line(_line_at(data, data.find(_ROOT_MARKER)))
    if len(row) != len(header):
        raise MalformedReportError(
            f"root row has {len(row)} fields but the header has {len(header)}"
        )
    if row[header.index("user")] != ROOT_USER:
        # The marker sits in another column of another row.
        raise RootRowMissingError("credential report has no <root_account> row")
    values = dict(zip(header, row, strict=True))
    arn = _ROOT_ARN.match(values["arn"])
    if arn is None:
        raise MalformedReportError("root row has an ARN that is not an account root ARN")
    uses = tuple(
        CredentialUse(credential, _parse_last_used(column, values[column]))
        for credential, column in CREDENTIAL_COLUMNS
    )
    return RootCredentials(
        account_id=arn.group(1), uses=uses, credentials_removed=_credentials_removed(values)
    )


def _credentials_removed(values: dict[str, str]) -> bool:
    """Whether the root row says, column by column, that root has no password and no
    active access key (centralized root access removes them). Anything else, a missing
    column or "not_supported" among them, is not proof."""
    return all(values.get(column, "").strip().lower() == "false" for column in PRESENCE_COLUMNS)


def _line_at(data: bytes, position: int) -> str:
    """The line of `data` that holds `position`, decoded, without its line break."""
    start = data.rfind(b"\n", 0, position) + 1
    end = data.find(b"\n", position)
    line = data[start : len(data) if end == -1 else end]
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedReportError("credential report is not UTF-8 text") from error


def _parse_line(line: str) -> list[str]:
    try:
        return next(csv.reader([line.rstrip("\r")]), [])
    except csv.Error as error:
        raise MalformedReportError(f"credential report is not valid CSV: {error}") from error


def _parse_last_used(column: str, value: str) -> datetime | None:
    value = value.strip()
    if value in NO_RECORDED_USE:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        shown = value[:_SHOWN_VALUE_LIMIT]
        raise MalformedReportError(f"{column} is {shown!r}, not an ISO-8601 timestamp") from None
