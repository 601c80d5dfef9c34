"""Progress of a long history run: a bar on a terminal, nothing on a pipe, and a plain
line now and then when the bar's library (the CLI's optional extra) is absent."""

from __future__ import annotations

import io
import sys

import pytest

from root_account_usage.cli.output import TerminalProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(stream, total=40, weeks=0):
    with TerminalProgress(stream) as progress:
        for done in range(1, weeks + 1):
            progress.weeks(done, weeks)
        for done in range(1, total + 1):
            progress.accounts(done, total)
    return stream.getvalue()


def test_nothing_is_written_on_a_pipe():
    assert run(io.StringIO()) == ""


def test_a_terminal_gets_a_bar_when_tqdm_is_installed():
    pytest.importorskip("tqdm")
    shown = run(Terminal())
    assert "40/40" in shown
    assert "account" in shown


def test_without_tqdm_a_terminal_gets_a_line_now_and_then(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # what an install without the extra sees
    shown = run(Terminal(), weeks=361).splitlines()
    weeks = [f"read {n}/361 weeks of compliance history" for n in (*range(18, 361, 18), 361)]
    assert shown == weeks + [f"read {n}/40 accounts" for n in range(2, 41, 2)]


def test_without_tqdm_a_few_accounts_get_a_line_each(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert run(Terminal(), total=3).splitlines() == [f"read {n}/3 accounts" for n in (1, 2, 3)]


def test_weeks_of_history_get_their_own_bar():
    pytest.importorskip("tqdm")
    shown = run(Terminal(), total=0, weeks=361)
    assert "361/361" in shown
    assert "week" in shown
    assert shown.count("\n") <= 1  # one line, redrawn


@pytest.mark.parametrize("tqdm_installed", [True, False])
def test_a_closed_stream_counts_as_no_terminal(monkeypatch, tqdm_installed):
    if not tqdm_installed:
        monkeypatch.setitem(sys.modules, "tqdm", None)  # a plain line would be printed to it
    stream = io.StringIO()
    stream.close()  # isatty() now raises ValueError, as a closed file's does
    with TerminalProgress(stream) as progress:
        progress.accounts(1, 1)  # writes nothing, raises nothing
