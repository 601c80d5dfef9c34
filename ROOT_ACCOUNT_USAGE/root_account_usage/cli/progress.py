"""Progress of a long `history` run: a bar on a terminal, nothing on a pipe.

The bar is tqdm's, from the CLI's optional extra (`pip install
'root-account-usage[progress]'`); without it a terminal gets a plain line now and then.
Never part of the Lambda package.
"""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any, TextIO


class TerminalProgress:
    """Says how the run goes on `stream`, only when it is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = _is_terminal(stream)
        self._bar: Any = None
        self._tried_bar = False
        self._last_line = 0

    def message(self, text: str) -> None:
        if self._live and self._bar is None:
            print(text, file=self._stream, flush=True)

    def accounts(self, done: int, total: int) -> None:
        if not self._live:
            return
        if not self._tried_bar:
            self._tried_bar = True
            self._bar = _bar(total, self._stream)
        if self._bar is not None:
            self._bar.update(1)
            return
        # No tqdm: a line for every twentieth of the way, and the last.
        step = max(1, total // 20)
        if done == total or done - self._last_line >= step:
            self._last_line = done
            print(f"read {done}/{total} accounts", file=self._stream, flush=True)

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _bar(total: int, stream: TextIO) -> Any:
    """A tqdm bar, or None when tqdm (the optional extra) is not installed."""
    try:
        tqdm = importlib.import_module("tqdm")
    except ImportError:
        return None
    return tqdm.tqdm(total=total, unit="account", file=stream, dynamic_ncols=True)
