"""Progress of a long history run: a bar on a terminal, nothing on a pipe, and a plain
line now and then when the bar's library (the CLI's optional extra) is absent."""

from __future__ import annotations

import io
import sys

import pytest

from root_account_usage.cli.progress import TerminalProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(stream, total=40):
    with TerminalProgress(stream) as progress:
        progress.message("reading compliance history")
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
    shown = run(Terminal()).splitlines()
    assert shown[0] == "reading compliance history"
    assert shown[1:] == [f"read {n}/40 accounts" for n in range(2, 41, 2)]


def test_a_closed_stream_counts_as_no_terminal():
    stream = Terminal()
    stream.close()
    with TerminalProgress(stream) as progress:
        progress.accounts(1, 1)  # writes nothing, raises nothing
