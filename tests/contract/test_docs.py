"""The documentation agrees with the code: the failure table is the fault matrix, the
README stays a front door, every relative link resolves, and history's worker counts are
the audit guide's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from root_account_usage.cli.options import MAX_WORKERS, Parser, add_account_options
from tests.faults.test_fault_matrix import MATRIX

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
GUIDES = [ROOT / "docs" / name for name in ("deploy.md", "audit.md", "development.md")]
MAX_README_CHARACTERS = 10_000
_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def failure_table() -> list[tuple[str, str, str]]:
    text = (ROOT / "docs" / "development.md").read_text()
    section = text[text.index("## Failure behaviour") :]
    section = section[: section.index("\n## ", 1)]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[0] not in ("call", "---"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def outcome(expect: str) -> str:
    if expect == "verdict":
        return "verdict"
    if expect == "raise":
        return "raises"
    return f"fail closed `[{expect.removeprefix('fail:')}]`"


def test_failure_table_is_the_fault_matrix_row_for_row():
    assert failure_table() == [(row.call, row.fault, outcome(row.expect)) for row in MATRIX]


def test_readme_is_a_front_door_that_links_each_guide():
    text = README.read_text()
    assert len(text) < MAX_README_CHARACTERS
    for guide in GUIDES:
        assert f"(docs/{guide.name})" in text


@pytest.mark.parametrize("document", [README, *GUIDES, ROOT / "events" / "README.md"])
def test_relative_links_resolve(document):
    for target, _ in _LINK.findall(document.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (document.parent / target).exists(), f"{document.name}: {target}"


def test_the_audit_guide_gives_history_s_own_worker_default_and_most():
    text = " ".join((ROOT / "docs" / "audit.md").read_text().split())
    said = re.search(r"`--max-workers` accounts at a time \(default (\d+), at most (\d+)\)", text)
    assert said is not None
    parser = Parser()
    add_account_options(parser, "")
    default = parser.parse_args([]).max_workers
    assert (default, MAX_WORKERS) == (int(said[1]), int(said[2]))
