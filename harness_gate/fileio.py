"""Report writes: every text passes the scrubber; a regular file is replaced atomically (a
reader sees the old file or the whole new one), `-` is standard output, a symlink is written
through to its target and a device (/dev/stdout, a pipe) is written directly."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from typing import Union

from harness_gate.redact import scrub

StrPath = Union[str, "os.PathLike[str]"]

_MAX_NAME_ATTEMPTS = 100


STDOUT = "-"


def write_report_text(path: StrPath, text: str) -> None:
    """Write a report where the user asked for it, the API key scrubbed out."""
    text = scrub(text)
    name = os.fspath(path)
    if name == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = os.path.realpath(name)  # through symlinks: the link stays, its target changes
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        # A device or a pipe cannot be renamed over; it is written like a stream.
        with open(target, "w", encoding="utf-8") as stream:
            stream.write(text)
        return
    atomic_write_text(target, text)


def atomic_write_text(path: StrPath, text: str) -> None:
    """Write text as UTF-8 to path through a temporary file in the same directory.

    Parent directories are created. On any failure the temporary file is removed and the
    previous content of path, if any, is left untouched.
    """
    target = os.path.abspath(os.fspath(path))
    # Encode before touching the disk, so an unencodable string leaves nothing behind.
    data = text.encode("utf-8")
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    fd, temp = _create_temp(directory, os.path.basename(target))
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


def _create_temp(directory: str, base: str) -> tuple[int, str]:
    # os.open with 0o666 lets the umask decide the mode, as for a plain open();
    # tempfile.mkstemp would force 0o600 onto a report other users may need to read.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_MAX_NAME_ATTEMPTS):
        temp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {base} in {directory}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a directory, which is fine.
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
