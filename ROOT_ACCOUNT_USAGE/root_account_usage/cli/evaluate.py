"""`root-account-usage evaluate`: a saved credential report, or the live account. A saved
report is raw CSV or `aws iam get-credential-report` JSON, in any encoding PowerShell writes."""

from __future__ import annotations

import argparse
import base64
import codecs
import contextlib
import json
import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..core.exceptions import InvalidParameterError, MalformedReportError, StaleReportError
from ..core.parameters import parse_threshold_days
from ..core.plain_text import VALUE, load_json, plain, shortened
from ..core.report import MAX_REPORT_BYTES
from ..core.timestamps import format_timestamp, parse_timestamp
from ..core.verdict import COMPLIANT, RESOURCE_TYPE, Verdict
from ..rule.budget import DEFAULT_BUDGET_SECONDS, Budget
from ..rule.credential_report import FetchedReport
from ..rule.evaluation import evaluate_account, evaluate_report
from .options import EXIT_COMPLIANT, EXIT_NON_COMPLIANT, fail, time_option
from .output import emit

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

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
# A saved report may be base64 JSON (4/3 of the CSV) around the largest CSV accepted.
MAX_SAVED_REPORT_BYTES = 2 * MAX_REPORT_BYTES
HELP = "evaluate a saved credential report, or the live account"
DESCRIPTION = (
    "Evaluate a credential report the way the Config rule does. "
    "Exit 0 COMPLIANT, 1 NON_COMPLIANT, 2 unable to evaluate."
)


def add_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--report",
        metavar="FILE",
        help="credential report: raw CSV or `aws iam get-credential-report` JSON; - for stdin. "
        "Without it, the live account is read through the AWS credential chain.",
    )
    add("--profile", help="AWS profile for the live account")
    add("--region", help="AWS region for the live account")
    add("--threshold-days", default="7", metavar="N", help="days of root use that count (1..3650)")
    add("--as-of", metavar="TIMESTAMP", help="evaluate as of this ISO-8601 time (default: now)")
    add("--format", choices=("text", "json"), default="text")
    add("stray", nargs="?", help=argparse.SUPPRESS)
    add("--verbose", action="store_true", help="log lines on stderr")


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.verbose:  # INFO lines on stderr (the Lambda's are JSON lines, with the fields)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
    try:
        days = parse_threshold_days(args.threshold_days)
    except InvalidParameterError as error:
        parser.error(f"--threshold-days: {error}")
    if args.stray is not None:
        parser.error(f"unrecognized argument {args.stray!r}: give a saved report as --report FILE")
    now = time_option(parser, "--as-of", args.as_of, datetime.now(UTC))
    if args.report is not None:
        verdict = evaluate_report(_saved(parser, args.report), now=now, threshold_days=days)
    else:
        verdict = evaluate_account(
            _live_iam(parser, args.profile, args.region),
            now=now,
            threshold_days=days,
            budget=Budget.fixed(DEFAULT_BUDGET_SECONDS),
        )
    if verdict.error_code == StaleReportError.code and verdict.report_generated_at:
        made = format_timestamp(verdict.report_generated_at)
        hint = f"; to judge it as of when it was made, give --as-of {made}"
        verdict = verdict._replace(annotation=verdict.annotation + hint)
    if args.format == "json":
        rendered = render_json(verdict, now)
    else:  # an unable verdict's reason goes to stderr alone: said once
        rendered = render_text(verdict, now, reason=verdict.evaluated)
    emit(rendered + "\n")
    if not verdict.evaluated:
        return fail(plain(verdict.annotation))
    return EXIT_COMPLIANT if verdict.compliance_type == COMPLIANT else EXIT_NON_COMPLIANT


def _saved(parser: argparse.ArgumentParser, path: str) -> Callable[[], FetchedReport]:
    """The reader of a saved report (file or stdin), its bytes read and bounded here."""
    try:
        with open(path, "rb") if path != "-" else contextlib.nullcontext(sys.stdin.buffer) as file:
            data = file.read(MAX_SAVED_REPORT_BYTES + 1)  # one byte more is enough to refuse
    except OSError as error:
        parser.error(f"--report: cannot read {path}: {error.strerror or error}")
    if len(data) > MAX_SAVED_REPORT_BYTES:
        parser.error(f"--report: {path} is larger than {MAX_SAVED_REPORT_BYTES} bytes")
    return lambda: load_saved_report(data)


def _live_iam(
    parser: argparse.ArgumentParser, profile: str | None, region: str | None
) -> Callable[[], IAMClient]:
    """The live account's IAM client, made when the evaluation asks for it; a profile the
    AWS configuration does not have is a usage error, not a verdict."""
    import boto3  # imported here so that evaluating a file needs no AWS setup
    from botocore.exceptions import ProfileNotFound

    from ..rule.budget import limits_for
    from ..rule.clients import session_client  # bounded in time, as in the Lambda

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        parser.error(f"--profile: {error}")
    return lambda: session_client(session, "iam", limits_for("iam"))


def render_json(verdict: Verdict, evaluated_at: datetime) -> str:
    """A verdict in its stable JSON shape (times as format_timestamp writes them)."""
    document = {
        "compliance_type": verdict.compliance_type,
        "annotation": verdict.annotation,
        "credential": verdict.credential,
        "last_used": verdict.last_used,
        "threshold_days": verdict.threshold_days,
        "resource_type": RESOURCE_TYPE,
        "resource_id": verdict.account_id,
        "report_generated_at": verdict.report_generated_at,
        "evaluated_at": evaluated_at,
        "error_code": verdict.error_code,
    }
    return json.dumps(document, indent=2, default=format_timestamp)


def render_text(verdict: Verdict, evaluated_at: datetime, *, reason: bool = True) -> str:
    """The verdict line, then (with `reason`) its annotation, each value made plain."""
    account = plain(verdict.account_id or "unknown account")
    line = f"{verdict.compliance_type}  {RESOURCE_TYPE} {account}"
    line += f"  (evaluated at {format_timestamp(evaluated_at)})"
    return f"{line}\n  {plain(verdict.annotation)}" if reason else line


def load_saved_report(data: bytes) -> FetchedReport:
    """Tell the formats apart by the first character and decode them."""
    data = _as_utf8(data)
    if data.lstrip()[:1] == b"{":
        return _from_cli_json(data)
    _refuse_known_mistakes(data)
    return FetchedReport(content=data, generated_at=None)


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
    except ValueError:  # binascii.Error is one
        return False
    return decoded.removeprefix(codecs.BOM_UTF8).startswith(b"user")


def _from_cli_json(data: bytes) -> FetchedReport:
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
    except ValueError:  # binascii.Error is one
        raise MalformedReportError("report JSON Content is not valid base64") from None
    generated = document.get("GeneratedTime")
    if generated is None:  # absent, as the API allows
        return FetchedReport(content, None)
    if not isinstance(generated, str):
        raise MalformedReportError(
            f"report JSON GeneratedTime is a {type(generated).__name__}, not a timestamp"
        )
    try:
        return FetchedReport(content, parse_timestamp(generated))
    except ValueError:
        raise MalformedReportError(
            f"report JSON GeneratedTime {shortened(generated, VALUE)!r} is not an ISO-8601 "
            "date and time in range"
        ) from None
