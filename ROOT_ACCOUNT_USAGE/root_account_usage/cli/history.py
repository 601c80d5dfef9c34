"""`root-account-usage history`: compliance evidence from AWS Config."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from ..history import organization
from ..history.config_reader import HistoryUnavailableError
from ..history.evidence import render_csv, render_html, render_json, render_text
from ..history.model import EARLIEST, PeriodOutOfReachError
from . import options
from .demo import simulated_source
from .output import TerminalProgress, emit, write_whole

DEFAULT_PERIOD = timedelta(days=90)
RENDERERS = {"text": render_text, "csv": render_csv, "json": render_json, "html": render_html}
HELP = "compliance history and evidence from AWS Config"
DESCRIPTION = (
    "Pull what AWS Config recorded for the rule (compliance changes, the latest evaluation) "
    "and turn it into evidence. Exit 0 when the report was produced (unreadable accounts "
    "are listed in it), 2 when AWS Config could not be read."
)


def add_options(parser: argparse.ArgumentParser) -> None:
    add = options.add_account_options(
        parser,
        function_help="the rule's Lambda function (repeatable; the stack output FunctionArn): "
        "a matched rule running anything else is shown as not this rule and not counted; "
        "without it, identities are shown unverified",
    )
    add(
        "--account",
        type=options.account_id,
        help="with --aggregator, read only this account; without it, the credentials' own "
        "account, checked with sts:GetCallerIdentity (default: that account)",
    )
    add("--since", metavar="TIMESTAMP", help="start (default: 90 days before --until)")
    add("--until", metavar="TIMESTAMP", help="end (default: now)")
    add("--format", choices=tuple(RENDERERS), default="text")
    add("--output", type=options.file_name, metavar="FILE", help="write there instead of stdout")
    add("--region", help="AWS region of AWS Config (or the aggregator)")
    add(
        "--demo",
        nargs="?",
        const="account",
        choices=("account", "organization"),
        help="use a simulated account's history, or a simulated organization's (no AWS)",
    )


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    # No floor for either: bounded() clamps the period to what AWS Config keeps.
    until = options.time_option(parser, "--until", args.until, now, earliest=None)
    since = max(until, EARLIEST + DEFAULT_PERIOD) - DEFAULT_PERIOD  # never before year 1
    since = options.time_option(parser, "--since", args.since, since, earliest=None)
    if since >= until:
        parser.error("--since must be before --until")
    if args.member_role is not None and not (args.aggregator or args.demo == "organization"):
        parser.error("--member-role needs --aggregator (the accounts to read come from it)")
    if args.external_id is not None and args.member_role is None:
        parser.error("--external-id needs --member-role")
    if not 1 <= args.max_workers <= options.MAX_WORKERS:
        parser.error(f"--max-workers must be from 1 to {options.MAX_WORKERS}")
    try:
        source = _source(parser, args, now)
        with TerminalProgress(sys.stderr) as progress:
            report = organization.collect_evidence(
                source,
                rule_name=args.rule_name,
                since=since,
                until=until,
                now=now,
                only_account=args.account if source.aggregator else None,
                functions=args.function_arn,
                max_workers=args.max_workers,
                progress=progress.weeks,
                accounts_progress=progress.accounts,
            )
    except PeriodOutOfReachError as error:
        parser.error(f"--since/--until: {error}")
    except HistoryUnavailableError as error:
        return options.fail(f"cannot read AWS Config: {error}")
    rendered = RENDERERS[args.format](report)
    if args.output is not None:
        try:
            name = f"{options.PROG}-history.{args.format.replace('text', 'txt')}"
            written = write_whole(args.output, rendered, name)
        except OSError as error:
            parser.error(f"--output: cannot write {args.output}: {error.strerror or error}")
        print(f"wrote {written}", file=sys.stderr)
    else:
        emit(rendered)
    return options.EXIT_COMPLIANT


def _source(
    parser: argparse.ArgumentParser, args: argparse.Namespace, now: datetime
) -> organization.AuditorSession:
    """What to read (simulated with --demo). Raises HistoryUnavailableError."""
    if args.demo:
        source = simulated_source(args.demo, now, args.member_role, args.external_id)
        source = source._replace(aggregator=args.aggregator or source.aggregator)
    else:
        try:
            auditor = organization.open_session(args.profile, args.region)
        except organization.NoRegionError as error:
            parser.error(f"--region: {error}")
        role = args.member_role
        members = organization.member_opener(auditor, role, args.external_id) if role else None
        source = auditor._replace(aggregator=args.aggregator, members=members)
    if args.account and not source.aggregator and args.account != source.account_id:
        # Without an aggregator the credentials' own AWS Config is read: evidence under
        # another account's id would be evidence of the wrong account.
        parser.error(
            f"--account: these credentials belong to account {source.account_id}, not "
            f"{args.account}; without --aggregator only their own account can be read"
        )
    return source
