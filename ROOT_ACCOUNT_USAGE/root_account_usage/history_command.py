"""`root-account-usage history`: options in, evidence out."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from .cli import time_option
from .config_history import HistoryUnavailableError, collect_evidence
from .evidence import EvidenceReport, render_csv, render_html, render_json, render_text

DEFAULT_PERIOD = timedelta(days=90)
RENDERERS = {"text": render_text, "csv": render_csv, "json": render_json, "html": render_html}
EXIT_OK, EXIT_UNABLE = 0, 2


def run_history(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    until = time_option(parser, "--until", args.until) if args.until else now
    since = time_option(parser, "--since", args.since) if args.since else until - DEFAULT_PERIOD
    if since >= until:
        parser.error("--since must be before --until")
    try:
        report = _collect(parser, args, since=since, until=until, now=now)
    except HistoryUnavailableError as error:
        print(f"root-account-usage: error: cannot read AWS Config: {error}", file=sys.stderr)
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
    config: Any
    if args.demo:
        from .simulated_config import DEMO_ACCOUNT, DEMO_REGION, SimulatedConfig

        config, account, region = SimulatedConfig(now), DEMO_ACCOUNT, DEMO_REGION
    else:
        config, account, region = _live(parser, args)
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


def _live(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[Any, str, str]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        if not session.region_name:
            parser.error("--region: no region given or configured for AWS Config")
        account = args.account or session.client("sts").get_caller_identity()["Account"]
        return session.client("config"), account, session.region_name
    except (BotoCoreError, ClientError) as error:
        raise HistoryUnavailableError(f"no AWS session: {error}"[:200]) from None


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _silent(message: str) -> None:
    """Progress goes nowhere when stderr is not a terminal."""
