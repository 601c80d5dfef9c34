"""Evidence files are written whole or not at all: earlier evidence is never left
truncated by a failed write."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from root_account_usage.cli import output
from root_account_usage.cli.output import write_whole


@pytest.mark.parametrize(("umask", "mode"), [(0o027, 0o640), (0o022, 0o644), (0o002, 0o664)])
def test_a_new_file_gets_the_text_and_the_usual_mode(tmp_path, umask, mode):
    # As open() makes a file: 0o666 less the umask, never executable.
    target = tmp_path / "evidence.html"
    previous = os.umask(umask)
    try:
        write_whole(str(target), "<p>é</p>")
    finally:
        os.umask(previous)
    assert target.read_bytes() == "<p>é</p>".encode()
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert os.listdir(tmp_path) == ["evidence.html"]  # no temporary file left


def test_a_failed_write_leaves_the_earlier_evidence_as_it_was(tmp_path, monkeypatch):
    target = tmp_path / "evidence.csv"
    target.write_text("earlier evidence\n")
    target.chmod(0o600)

    def disk_full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_whole(str(target), "new evidence\n" * 1000)
    assert target.read_text() == "earlier evidence\n"
    assert os.listdir(tmp_path) == ["evidence.csv"]


def test_a_replaced_file_keeps_its_mode_and_a_link_keeps_pointing_at_it(tmp_path):
    target = tmp_path / "evidence.json"
    target.write_text("{}")
    target.chmod(0o604)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_whole(str(link), '{"format_version": 1}\n')
    assert link.is_symlink()
    assert target.read_text() == '{"format_version": 1}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


def test_a_named_pipe_is_written_directly_not_replaced(tmp_path):
    pipe = tmp_path / "evidence.pipe"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_whole(str(pipe), "evidence\n")
        assert os.read(reader, 100) == b"evidence\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)  # still the pipe, not a file renamed over it


def test_a_folder_that_does_not_exist_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_whole(str(tmp_path / "missing" / "evidence.html"), "x")


def test_a_writable_file_in_a_folder_that_takes_no_new_file_is_written_in_place(
    tmp_path, monkeypatch
):
    target = tmp_path / "evidence.txt"
    target.write_text("earlier")

    def refused(**_):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(output.tempfile, "mkstemp", refused)
    write_whole(str(target), "new")
    assert target.read_text() == "new"
    with pytest.raises(PermissionError):  # and a new file there cannot be made at all
        write_whole(str(tmp_path / "new.txt"), "new")


@pytest.mark.parametrize("mode", [0o444, 0o555])  # no write bit, with or without execute
def test_a_read_only_file_is_never_replaced(tmp_path, mode):
    target = tmp_path / "evidence.csv"
    target.write_text("signed evidence\n")
    target.chmod(mode)
    with pytest.raises(PermissionError, match="read-only"):
        write_whole(str(target), "new")
    assert target.read_text() == "signed evidence\n"


def test_a_path_ending_in_a_slash_is_a_folder(tmp_path):
    written = write_whole(f"{tmp_path}/", "evidence\n", "history.json")
    assert (tmp_path / "history.json").read_text() == "evidence\n"
    assert written == str(tmp_path / "history.json")
    with pytest.raises(FileNotFoundError):
        write_whole(f"{tmp_path}/newdir/", "x")
    assert not (tmp_path / "newdir").exists()
