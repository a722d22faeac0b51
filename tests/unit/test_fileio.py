"""fileio.write_report_text: '-' is stdout, a symlink is written through, a device or a pipe
is written directly, a regular file is replaced atomically; the key never reaches a report."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from harness_gate import redact
from harness_gate.fileio import write_report_text

SECRET = "fileio-test-secret-0123456789"


def test_dash_is_standard_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_report_text("-", "report body\n")
    assert capsys.readouterr().out == "report body\n"
    assert not (tmp_path / "-").exists()


def test_a_symlink_is_kept_and_its_target_written(tmp_path: Path) -> None:
    target = tmp_path / "real" / "report.xml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.xml"
    link.symlink_to(target)
    write_report_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.xml"]  # no temp left


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    target = tmp_path / "made.xml"
    link = tmp_path / "link.xml"
    link.symlink_to(target)
    write_report_text(link, "x")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "x"


def test_a_pipe_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    write_report_text(fifo, "through the pipe")
    reader.join(timeout=30)
    assert received == ["through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe, not replaced by a file


def test_a_character_device_is_written_directly(tmp_path: Path) -> None:
    # A private /dev/null (major 1, minor 3) in tmp: a bug that renames over it harms nothing.
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        pytest.skip("cannot create a device node here")
    write_report_text(device, "discarded")
    mode = os.stat(device).st_mode
    assert stat.S_ISCHR(mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_regular_file_is_replaced_not_rewritten_in_place(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text("old report", encoding="utf-8")
    reader_view = tmp_path / "held-by-a-reader"
    os.link(report, reader_view)  # a reader that opened the old file keeps the old content
    write_report_text(report, "new report")
    assert report.read_text(encoding="utf-8") == "new report"
    assert reader_view.read_text(encoding="utf-8") == "old report"
    assert os.stat(report).st_ino != os.stat(reader_view).st_ino


def test_a_failed_write_leaves_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "junit.xml"
    report.write_text("old report", encoding="utf-8")

    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_report_text(report, "new report")
    assert report.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml"]


def test_new_parent_directories_are_created(tmp_path: Path) -> None:
    report = tmp_path / "a" / "b" / "report.json"
    write_report_text(str(report), "{}")
    assert report.read_text(encoding="utf-8") == "{}"


def test_the_key_is_scrubbed_from_every_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    redact.register_secret(SECRET)
    write_report_text(tmp_path / "r.txt", f"key={SECRET}\n")
    write_report_text("-", f"key={SECRET}\n")
    assert (tmp_path / "r.txt").read_text(encoding="utf-8") == "key=***\n"
    assert capsys.readouterr().out == "key=***\n"
