"""What every subcommand shares: exit codes, the one-line usage error, option types."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NoReturn

from ..core.events import ACCOUNT_ID
from ..core.parameters import is_role_name
from ..core.plain_text import VALUE
from ..core.timestamps import EARLIEST_EVALUATION_TIME, format_timestamp, parse_timestamp
from ..history.organization import DEFAULT_MAX_WORKERS

PROG = "root-account-usage"

EXIT_COMPLIANT = 0  # evaluate: COMPLIANT; history: the evidence was produced
EXIT_NON_COMPLIANT = 1
EXIT_UNABLE = 2  # unable to evaluate / read AWS Config, or bad usage
MAX_WORKERS = 64  # accounts read at once: beyond this AWS Config's own rate limits are the bound


def fail(message: str) -> int:
    """Say `message` as the one error line on stderr; returns EXIT_UNABLE."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_UNABLE


class Parser(argparse.ArgumentParser):
    """argparse with one line for a usage error, no usage dump, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_UNABLE, f"{self.prog}: error: {message} (see --help)\n")


def time_option(
    parser: argparse.ArgumentParser,
    option: str,
    text: str | None,
    default: datetime,
    *,
    earliest: datetime | None = EARLIEST_EVALUATION_TIME,
) -> datetime:
    """An ISO-8601 option value (`default` when not given; a date alone is UTC midnight),
    or one usage line: not ISO-8601, a time of day in no zone, or before `earliest`."""
    if text is None:  # `is None`: an empty value is a mistake to name, never the default
        return default
    try:
        moment = parse_timestamp(text, date_only=True)
        zoned = datetime.fromisoformat(text.strip()).tzinfo is not None
    except ValueError:
        parser.error(f"{option}: {shown(text)} is not an ISO-8601 timestamp")
    if not zoned and not _is_date(text):  # a time of day, in no zone (any form, 2026W01T10)
        parser.error(f"{option}: {shown(text)} names no time zone; add Z for UTC or an offset")
    if earliest is not None and moment < earliest:
        parser.error(f"{option}: {shown(text)} is before {format_timestamp(earliest)}")
    return moment


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def shown(text: str) -> str:
    """A typed value as a usage line shows it: quoted, cut to VALUE with "..." after."""
    return repr(text[:VALUE] + ("..." if len(text) > VALUE else ""))


def _option(what: str, valid: Callable[[str], object], hint: str = "") -> Callable[[str], str]:
    """An argparse `type` taking what `valid` accepts; else "is not `what`" (`hint` for ARNs)."""

    def checked(text: str) -> str:
        if not valid(text):
            said = f"; {hint}" if hint and text.startswith("arn:") else ""
            raise argparse.ArgumentTypeError(f"{shown(text)} is not {what}{said}")
        return text

    return checked


# The values AWS accepts (each message says which), checked where they are typed, so that
# a mistake is one usage line rather than an AWS error per account read.
account_id = _option("an AWS account id (12 digits)", ACCOUNT_ID.fullmatch)
role_name = _option(
    "an IAM role name (up to 64 of A-Z a-z 0-9 +=,.@_-, optionally after a path: team/reader)",
    is_role_name,
    hint="give the role's name, not its ARN",
)
external_id = _option(  # what a role's trust policy asks for, as sts:AssumeRole takes it
    "an external id (2 to 1224 of A-Z a-z 0-9 _+=,.@:/-)",
    re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII).fullmatch,
)
rule_name = _option(
    "an AWS Config rule name (1 to 128 characters, not all blank)",
    lambda text: text.strip() and len(text) <= 128,
)
aggregator_name = _option(
    "an AWS Config aggregator name (1 to 256 of A-Z a-z 0-9 _-)",
    re.compile(r"[\w-]{1,256}", re.ASCII).fullmatch,
)
file_name = _option("a file name", bool)
function_arn = _option(
    "a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)",
    re.compile(r"arn:aws[\w-]*:lambda:[\w-]+:[0-9]{12}:function:[\w-]{1,140}").fullmatch,
)


def add_account_options(parser: argparse.ArgumentParser, function_help: str) -> Callable[..., Any]:
    """Add the options `history` and `doctor` share; returns the parser's add_argument."""
    add = parser.add_argument
    add(
        "--rule-name",
        type=rule_name,
        default="root-account-usage",
        help="the rule; conformance-pack and organization rule names around it match too",
    )
    add(
        "--function-arn",
        type=function_arn,
        action="append",
        default=[],
        metavar="ARN",
        help=function_help,
    )
    add("--aggregator", type=aggregator_name, help="AWS Config aggregator: its accounts")
    add(
        "--member-role",
        type=role_name,
        metavar="NAME",
        help="with --aggregator: read each account through this read-only role "
        "(rdk_config/auditor-read-role.yaml)",
    )
    add("--external-id", type=external_id, metavar="ID", help="what the role's trust requires")
    add(
        "--max-workers",
        type=int,
        default=DEFAULT_MAX_WORKERS,
        metavar="N",
        help=f"accounts read at once with --member-role (default {DEFAULT_MAX_WORKERS})",
    )
    add("--profile", help="AWS profile")
    return add
