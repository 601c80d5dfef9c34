"""Command line: `root-account-usage evaluate | demo`.

Exit codes: 0 COMPLIANT, 1 NON_COMPLIANT, 2 unable to evaluate or bad usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import BinaryIO, NoReturn

from . import __version__
from .credential_report import time_budget
from .evaluation import DEFAULT_BUDGET_SECONDS, evaluate_account, evaluate_report, fail_closed
from .exceptions import InvalidParameterError, RootAccountUsageError
from .logs import JsonFormatter
from .output import render_json, render_text
from .parameters import parse_threshold_days
from .report import MAX_REPORT_BYTES
from .report_file import load_saved_report
from .timestamps import parse_timestamp
from .verdict import COMPLIANT, Verdict

EXIT_COMPLIANT = 0
EXIT_NON_COMPLIANT = 1
EXIT_UNABLE = 2

PROG = "root-account-usage"
# A saved report may be base64 JSON (4/3 of the CSV) around the largest CSV accepted.
MAX_SAVED_REPORT_BYTES = 2 * MAX_REPORT_BYTES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage dump: the message names what was wrong.
        self.exit(EXIT_UNABLE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Was the AWS account's root user used within the last N days?",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a saved credential report, or the live account",
        description="Evaluate a credential report the way the Config rule does. "
        "Exit 0 COMPLIANT, 1 NON_COMPLIANT, 2 unable to evaluate.",
    )
    evaluate.add_argument(
        "--report",
        metavar="FILE",
        help="credential report: raw CSV or `aws iam get-credential-report` JSON; - for stdin. "
        "Without it, the live account is read through the AWS credential chain.",
    )
    evaluate.add_argument("--profile", help="AWS profile for the live account")
    evaluate.add_argument("--region", help="AWS region for the live account")
    evaluate.add_argument(
        "--threshold-days", default="7", metavar="N", help="days of root use that count (1..3650)"
    )
    evaluate.add_argument(
        "--as-of", metavar="TIMESTAMP", help="evaluate as of this ISO-8601 time (default: now)"
    )
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--verbose", action="store_true", help="JSON log lines on stderr")

    history = commands.add_parser(
        "history",
        help="compliance history and evidence from AWS Config",
        description="Pull what AWS Config recorded for the rule (compliance changes, the "
        "latest evaluation) and turn it into evidence. Exit 0 when the report was "
        "produced (unreadable accounts are listed in it), 2 when AWS Config could not be read.",
    )
    history.add_argument(
        "--rule-name",
        default="root-account-usage",
        help="the rule; conformance-pack and organization rule names around it match too",
    )
    history.add_argument("--account", help="account id (default: the credentials' account)")
    history.add_argument("--aggregator", help="Config aggregator: every account and region in it")
    history.add_argument(
        "--since", metavar="TIMESTAMP", help="start (default: 90 days before --until)"
    )
    history.add_argument("--until", metavar="TIMESTAMP", help="end (default: now)")
    history.add_argument("--format", choices=("text", "csv", "json", "html"), default="text")
    history.add_argument("--output", metavar="FILE", help="write there instead of stdout")
    history.add_argument("--profile", help="AWS profile")
    history.add_argument("--region", help="AWS region of AWS Config (or the aggregator)")
    history.add_argument(
        "--demo", action="store_true", help="use a simulated account's history (no AWS)"
    )

    commands.add_parser(
        "demo",
        help="run the Lambda handler against a simulated AWS account",
        description="Runs the real lambda_handler against simulated accounts (moto) "
        "and prints the evaluation AWS Config would receive for each scenario.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import run_demo  # moto is only needed here

            return run_demo(sys.stdout)
        if args.command == "history":
            from .history_command import run_history

            return run_history(parser, args)
        return _evaluate(parser, args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_UNABLE
    except Exception as error:  # users get one line, never a traceback
        print(f"{PROG}: error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_UNABLE


def _evaluate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.verbose:
        _log_json_to_stderr()
    try:
        threshold_days = parse_threshold_days(args.threshold_days)
    except InvalidParameterError as error:
        parser.error(f"--threshold-days: {error}")
    now = _as_of(parser, args.as_of)

    if args.report is not None:
        verdict = _evaluate_saved(parser, args.report, now, threshold_days)
    else:
        verdict = evaluate_account(
            lambda: _live_iam_client(args.profile, args.region),
            now=now,
            threshold_days=threshold_days,
            time_left=time_budget(DEFAULT_BUDGET_SECONDS),
        )

    rendered = render_json(verdict, now) if args.format == "json" else render_text(verdict, now)
    print(rendered)
    if not verdict.evaluated:
        print(f"{PROG}: error: {verdict.annotation}", file=sys.stderr)
        return EXIT_UNABLE
    return EXIT_COMPLIANT if verdict.compliance_type == COMPLIANT else EXIT_NON_COMPLIANT


def _evaluate_saved(
    parser: argparse.ArgumentParser, path: str, now: datetime, threshold_days: int
) -> Verdict:
    try:
        data = _read_bounded(sys.stdin.buffer) if path == "-" else _read_file(path)
    except OSError as error:
        parser.error(f"--report: cannot read {path}: {error.strerror or error}")
    if len(data) > MAX_SAVED_REPORT_BYTES:
        parser.error(f"--report: {path} is larger than {MAX_SAVED_REPORT_BYTES} bytes")
    try:
        saved = load_saved_report(data)
    except RootAccountUsageError as error:
        return fail_closed(error, threshold_days=threshold_days)
    return evaluate_report(
        saved.content,
        now=now,
        threshold_days=threshold_days,
        report_generated_at=saved.generated_at,
    )


def _log_json_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return _read_bounded(handle)


def _read_bounded(stream: BinaryIO) -> bytes:
    # One byte past the limit is enough to refuse it; never read without bound.
    return stream.read(MAX_SAVED_REPORT_BYTES + 1)


def _as_of(parser: argparse.ArgumentParser, text: str | None) -> datetime:
    return datetime.now(UTC) if text is None else time_option(parser, "--as-of", text)


def time_option(parser: argparse.ArgumentParser, option: str, text: str) -> datetime:
    """An ISO-8601 option value, or one usage line naming the option."""
    try:
        return parse_timestamp(text)
    except ValueError:
        parser.error(f"{option}: {text[:40]!r} is not an ISO-8601 timestamp")


def _live_iam_client(profile: str | None, region: str | None) -> object:
    import boto3  # imported here so that evaluating a file needs no AWS setup

    session = boto3.Session(profile_name=profile, region_name=region)
    return session.client("iam")
