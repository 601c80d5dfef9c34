"""What every subcommand shares: exit codes, the one-line usage error, option types."""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from typing import NoReturn

from ..core.parameters import is_role_name
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


# The values AWS accepts, checked where they are typed (argparse `type=`), so that a
# mistake is one usage line rather than an AWS error per account read.
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
# sts:AssumeRole ExternalId: 2 to 1,224 of A-Z a-z 0-9 _ and +=,.@:/-
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
# AWS Config: a rule name is 1 to 128 characters, not all blank; an aggregator's name
# 1 to 256 of A-Z a-z 0-9 _ and -.
MAX_RULE_NAME = 128
_AGGREGATOR_NAME = re.compile(r"[\w-]{1,256}", re.ASCII)


def _shown(text: str) -> str:
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


def account_id(text: str) -> str:
    """An AWS account id option: exactly twelve digits."""
    if not _ACCOUNT_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not an AWS account id (12 digits)")
    return text


def role_name(text: str) -> str:
    """An IAM role's name, optionally after its path (team/reader); never its ARN."""
    if not is_role_name(text):
        hint = ": give the role's name, not its ARN" if text.startswith("arn:") else ""
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not an IAM role name (up to 64 of A-Z a-z 0-9 +=,.@_-, "
            f"optionally after a path: team/reader){hint}"
        )
    return text


def external_id(text: str) -> str:
    """The external id a role's trust policy asks for, as sts:AssumeRole accepts it."""
    if not _EXTERNAL_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not an external id (2 to 1224 of A-Z a-z 0-9 _+=,.@:/-)"
        )
    return text


def rule_name(text: str) -> str:
    """An AWS Config rule name: 1 to 128 characters, not all blank."""
    if not text.strip() or len(text) > MAX_RULE_NAME:
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not an AWS Config rule name (1 to {MAX_RULE_NAME} "
            "characters, not all blank)"
        )
    return text


def aggregator_name(text: str) -> str:
    """An AWS Config aggregator's name: 1 to 256 of A-Z a-z 0-9 _ and -."""
    if not _AGGREGATOR_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not an AWS Config aggregator name (1 to 256 of A-Z a-z 0-9 _-)"
        )
    return text


def file_name(text: str) -> str:
    """A file to write: any name but none."""
    if not text:
        raise argparse.ArgumentTypeError("'' is not a file name")
    return text
