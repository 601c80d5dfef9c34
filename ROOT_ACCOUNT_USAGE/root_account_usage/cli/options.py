"""What every subcommand shares: exit codes, the one-line usage error, option types."""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from typing import NoReturn

from ..core.timestamps import EARLIEST_EVALUATION_TIME, format_timestamp, parse_timestamp

PROG = "root-account-usage"

EXIT_COMPLIANT = 0  # evaluate: COMPLIANT; history: the evidence was produced
EXIT_OK = 0
EXIT_NON_COMPLIANT = 1
EXIT_UNABLE = 2  # unable to evaluate / read AWS Config, or bad usage


class Parser(argparse.ArgumentParser):
    """argparse with one line for a usage error, no usage dump, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_UNABLE, f"{self.prog}: error: {message} (see --help)\n")


def time_option(
    parser: argparse.ArgumentParser,
    option: str,
    text: str,
    *,
    earliest: datetime | None = EARLIEST_EVALUATION_TIME,
) -> datetime:
    """An ISO-8601 option value, or one usage line naming the option.

    Before `earliest` is refused (an evaluation instant that far back means nothing and
    would overflow date arithmetic); `history` passes None and clamps its period itself.
    """
    try:
        moment = parse_timestamp(text, date_only=True)
    except ValueError:
        parser.error(f"{option}: {text[:40]!r} is not an ISO-8601 timestamp")
    if earliest is not None and moment < earliest:
        parser.error(f"{option}: {text[:40]!r} is before {format_timestamp(earliest)}")
    return moment


_ACCOUNT_ID = re.compile(r"[0-9]{12}")


def account_id(text: str) -> str:
    """An AWS account id option: exactly twelve digits."""
    if not _ACCOUNT_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an AWS account id (12 digits)")
    return text
