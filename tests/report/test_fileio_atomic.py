from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from harness_gate import fileio
from harness_gate.fileio import atomic_write_text


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_writes_utf8_and_creates_parents(tmp_path):
    target = tmp_path / "a" / "b" / "report.xml"
    atomic_write_text(target, "héllo ☃\nline\r\n")
    assert target.read_bytes() == "héllo ☃\nline\r\n".encode()
    assert listing(target.parent) == ["report.xml"]


def test_accepts_str_paths_and_replaces(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    atomic_write_text(str(target), "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert listing(tmp_path) == ["report.json"]


def test_failure_mid_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.xml"
    target.write_text("old complete report", encoding="utf-8")
    real_write = os.write

    def half_then_disk_full(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "write", half_then_disk_full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_text(target, "new report " * 100)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old complete report"
    assert listing(tmp_path) == ["report.xml"]


def test_failure_mid_write_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    def fail(fd: int, data: bytes) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(fileio.os, "write", fail)
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "new.xml", "content")
    assert listing(tmp_path) == []


def test_short_writes_are_completed(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(fileio.os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    atomic_write_text(tmp_path / "r.txt", "0123456789" * 5)
    assert (tmp_path / "r.txt").read_text(encoding="utf-8") == "0123456789" * 5


def test_failure_on_rename_cleans_up(tmp_path, monkeypatch):
    def refuse(src: str, dst: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fileio.os, "replace", refuse)
    with pytest.raises(PermissionError):
        atomic_write_text(tmp_path / "r.txt", "x")
    assert listing(tmp_path) == []


def test_interrupt_during_write_cleans_up(tmp_path, monkeypatch):
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(tmp_path / "r.txt", "x")
    assert listing(tmp_path) == []


def test_unencodable_text_touches_nothing(tmp_path):
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(tmp_path / "sub" / "r.txt", "lone \ud800 surrogate")
    assert listing(tmp_path) == []


def test_target_is_a_directory(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "taken", "x")
    assert listing(tmp_path) == ["taken"]
    assert listing(tmp_path / "taken") == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_mode_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "r.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "r.txt").stat().st_mode & 0o777 == 0o644
