"""Write an evidence file whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import stat
import tempfile


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
