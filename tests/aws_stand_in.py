"""A recording stand-in for the AWS CLI: `make deploy`, `make publish` and the documented
rollout commands run against it, so a test can assert every call they make.

Each call is logged with its arguments and the environment that picks an account and a
region (AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION). A call answers with canned
output when its arguments start with a prefix given to `answer` (the longest prefix
wins), and with nothing otherwise, as most AWS CLI writes do with `--output text`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

# The test's own interpreter (a #!/usr/bin/env python3 could be a slow version shim).
_SCRIPT = """#!{python} -I
import json, os, sys
here = sys.argv[0]
chosen = ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")
environment = {name: os.environ[name] for name in chosen if name in os.environ}
with open(here + ".calls", "a") as log:
    log.write(json.dumps({"args": sys.argv[1:], "env": environment}) + "\\n")
try:
    with open(here + ".answers") as answers_file:
        answers = json.load(answers_file)
except FileNotFoundError:
    answers = {}
command = " ".join(sys.argv[1:])
matching = [prefix for prefix in answers if command.startswith(prefix)]
if matching:
    print(answers[max(matching, key=len)])
"""


@dataclass(frozen=True)
class Call:
    args: list[str]
    env: dict[str, str]

    @property
    def command(self) -> str:
        return " ".join(self.args)

    def option(self, name: str) -> str:
        """The value after `name` (e.g. '--region')."""
        return self.args[self.args.index(name) + 1]


class AwsStandIn:
    """An executable named `aws` in `folder` (put the folder first on PATH)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "aws"
        self.path.write_text(_SCRIPT.replace("{python}", sys.executable))
        self.path.chmod(0o755)
        self._answers: dict[str, str] = {}

    def answer(self, prefix: str, output: str) -> None:
        self._answers[prefix] = output
        Path(f"{self.path}.answers").write_text(json.dumps(self._answers))

    def calls(self) -> list[Call]:
        log = Path(f"{self.path}.calls")
        if not log.exists():
            return []
        return [Call(**json.loads(line)) for line in log.read_text().splitlines()]

    def calls_to(self, prefix: str) -> list[Call]:
        return [call for call in self.calls() if call.command.startswith(prefix)]
