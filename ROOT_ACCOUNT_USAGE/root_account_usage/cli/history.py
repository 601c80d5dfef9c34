"""`root-account-usage history`: compliance evidence from AWS Config."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from ..history.config_reader import HistoryUnavailableError, collect_evidence
from ..history.evidence import render_csv, render_html, render_json, render_text
from ..history.model import EvidenceReport
from ..history.session import NoRegionError, open_session
from .options import EXIT_OK, EXIT_UNABLE, PROG, time_option

DEFAULT_PERIOD = timedelta(days=90)
RENDERERS = {"text": render_text, "csv": render_csv, "json": render_json, "html": render_html}


def add_parser(commands: Any) -> argparse.ArgumentParser:
    history: argparse.ArgumentParser = commands.add_parser(
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
    history.add_argument("--format", choices=tuple(RENDERERS), default="text")
    history.add_argument("--output", metavar="FILE", help="write there instead of stdout")
    history.add_argument("--profile", help="AWS profile")
    history.add_argument("--region", help="AWS region of AWS Config (or the aggregator)")
    history.add_argument(
        "--demo", action="store_true", help="use a simulated account's history (no AWS)"
    )
    return history


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    until = time_option(parser, "--until", args.until) if args.until else now
    since = time_option(parser, "--since", args.since) if args.since else until - DEFAULT_PERIOD
    if since >= until:
        parser.error("--since must be before --until")
    try:
        report = _collect(parser, args, since=since, until=until, now=now)
    except HistoryUnavailableError as error:
        print(f"{PROG}: error: cannot read AWS Config: {error}", file=sys.stderr)
        return EXIT_UNABLE
    rendered = RENDERERS[args.format](report)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(rendered)
        except OSError as error:
            parser.error(f"--output: cannot write {args.output}: {error.strerror or error}")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(rendered)
    return EXIT_OK


def _collect(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
) -> EvidenceReport:
    if args.demo:
        from .demo import simulated_history_source

        config, account, region = simulated_history_source(now)
    else:
        try:
            config, account, region = open_session(args.profile, args.region, args.account)
        except NoRegionError as error:
            parser.error(f"--region: {error}")
    return collect_evidence(
        config,
        rule_name=args.rule_name,
        account_id=account,
        region=region,
        since=since,
        until=until,
        now=now,
        aggregator=args.aggregator,
        only_account=args.account if args.aggregator else None,
        progress=_progress if sys.stderr.isatty() else _silent,
    )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _silent(message: str) -> None:
    """Progress goes nowhere when stderr is not a terminal."""
