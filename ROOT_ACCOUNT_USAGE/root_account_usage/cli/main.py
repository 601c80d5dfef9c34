"""`root-account-usage`: composes the subcommands; each owns its options (and options.py
the exit codes: 0 COMPLIANT or evidence produced, 1 NON_COMPLIANT, 2 unable or bad usage)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from . import demo, doctor, evaluate, history
from .options import EXIT_UNABLE, PROG, Parser, fail

SUBCOMMANDS = (evaluate, history, doctor, demo)
DESCRIPTION = "Was the AWS account's root user used within the last N days?"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for subcommand in SUBCOMMANDS:  # each names its help, description, options and run
        name = subcommand.__name__.rsplit(".", 1)[-1]
        command = commands.add_parser(
            name, help=subcommand.HELP, description=subcommand.DESCRIPTION
        )
        subcommand.add_options(command)
        command.set_defaults(run=subcommand.run, command_parser=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args.command_parser, args)
        return code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_UNABLE
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed pipe for exit
        return EXIT_UNABLE
    except Exception as error:  # users get one line, never a traceback
        return fail(f"unexpected {type(error).__name__}: {error}")
