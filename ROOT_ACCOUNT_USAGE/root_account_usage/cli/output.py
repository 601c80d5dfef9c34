"""What the CLI writes: its output on stdout, an evidence file whole, progress on stderr."""

from __future__ import annotations

import contextlib
import errno
import functools
import importlib
import os
import pathlib
import stat
import sys
import tempfile
from typing import Any, TextIO

from ..core.plain_text import for_terminal

_WHAT = {"week": "weeks of compliance history", "account": "accounts"}


def emit(text: str, stream: TextIO | None = None) -> None:
    """Write `text` to `stream` (stdout); on a terminal, control characters but line breaks
    escaped (core.plain_text), whatever the format."""
    stream = stream or sys.stdout
    stream.write(for_terminal(text) if stream.isatty() else text)


def write_whole(path: str, text: str, default_name: str = "evidence") -> str:
    """Write `text` as UTF-8 to `path` (a folder gets `default_name` inside it), replacing
    the file only once all is written; a file nobody may write is refused. Returns the path
    written; raises OSError (and leaves `path` as it was)."""
    data = text.encode("utf-8")  # before anything is touched: a failure here leaves all
    if path.endswith(os.sep) or os.path.isdir(path):
        if not os.path.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such folder", path)
        path = os.path.join(path, default_name)
    target = os.path.realpath(path)  # through a symbolic link, as open() would write
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):  # a device or a pipe: written as it is
        pathlib.Path(target).write_bytes(data)
        return path
    if mode is not None and not (mode & 0o222 and os.access(target, os.W_OK)):
        raise PermissionError(errno.EACCES, "the file is read-only (remove it first)", path)
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.", suffix=".tmp"
        )
    except PermissionError:
        if mode is None:
            raise
        pathlib.Path(target).write_bytes(data)  # a file you may write in a folder you may not
        return path
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:  # a new file: 0o666 less the umask (readable only by setting it)
            umask = os.umask(0o022)
            os.umask(umask)
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


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
