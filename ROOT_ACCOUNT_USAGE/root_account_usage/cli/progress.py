"""Progress of a long `history` or `doctor` run: a bar on a terminal, nothing on a pipe."""

from __future__ import annotations

import functools
import importlib
from typing import Any, TextIO

_WHAT = {"week": "weeks of compliance history", "account": "accounts"}


class TerminalProgress:
    """Says how the run goes on `stream`, only when it is a terminal: `weeks` (one more
    seven-day window of an account's history read) and `accounts` (one more account)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        try:
            self._live = stream.isatty()
        except (AttributeError, ValueError):  # a closed or unusual stream
            self._live = False
        self._bars: dict[str, Any] = {}
        self._last: dict[str, int] = {}  # without a bar: the count last written
        self.weeks = functools.partial(self._advance, "week")
        self.accounts = functools.partial(self._advance, "account")

    def _advance(self, unit: str, done: int, total: int) -> None:
        if not self._live:
            return
        if unit not in self._bars:  # a tqdm bar, or None when the optional extra is not installed
            try:
                tqdm = importlib.import_module("tqdm")
            except ImportError:
                self._bars[unit] = None
            else:
                self._bars[unit] = tqdm.tqdm(
                    total=total, unit=unit, file=self._stream, dynamic_ncols=True, leave=True
                )
        bar = self._bars[unit]
        if bar is not None:
            bar.update(1)
        elif done == total or done - self._last.get(unit, 0) >= max(1, total // 20):
            self._last[unit] = done
            print(f"read {done}/{total} {_WHAT[unit]}", file=self._stream, flush=True)

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *_: object) -> None:
        for bar in self._bars.values():
            if bar is not None:
                bar.close()
