"""Progress of a long `history` run: a bar on a terminal, nothing on a pipe."""

from __future__ import annotations

import importlib
from typing import Any, TextIO

WEEKS = "week"
ACCOUNTS = "account"
_WHAT = {WEEKS: "weeks of compliance history", ACCOUNTS: "accounts"}


class TerminalProgress:
    """Says how the run goes on `stream`, only when it is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = _is_terminal(stream)
        self._bars: dict[str, Any] = {}
        self._last: dict[str, int] = {}  # without a bar: the count last written

    def weeks(self, done: int, total: int) -> None:
        """One more seven-day window of an account's history read."""
        self._advance(WEEKS, done, total)

    def accounts(self, done: int, total: int) -> None:
        """One more account of the organization read."""
        self._advance(ACCOUNTS, done, total)

    def _advance(self, unit: str, done: int, total: int) -> None:
        if not self._live:
            return
        if unit not in self._bars:
            self._bars[unit] = _bar(total, unit, self._stream)
        bar = self._bars[unit]
        if bar is not None:
            bar.update(1)
            return
        step = max(1, total // 20)
        last = self._last.get(unit, 0)
        if done == total or done - last >= step:
            self._last[unit] = done
            print(f"read {done}/{total} {_WHAT[unit]}", file=self._stream, flush=True)

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *_: object) -> None:
        for bar in self._bars.values():
            if bar is not None:
                bar.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _bar(total: int, unit: str, stream: TextIO) -> Any:
    """A tqdm bar, or None when tqdm (the optional extra) is not installed."""
    try:
        tqdm = importlib.import_module("tqdm")
    except ImportError:
        return None
    return tqdm.tqdm(total=total, unit=unit, file=stream, dynamic_ncols=True, leave=True)
