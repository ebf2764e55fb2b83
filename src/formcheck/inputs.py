"""What is wrong with an input path, said before anything opens it.

``os.path.exists`` calls a looping symbolic link "no such file", and ``st_size`` calls a named
pipe "empty"; opening a pipe waits for a writer that may never come. :func:`file_problem` tells
them apart, so the video reader, the landmark reader and the settings loader can refuse each
in one line that names the real cause.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def file_problem(path: Path, max_bytes: int | None = None, empty_ok: bool = False) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it is a regular file, not
    empty (unless ``empty_ok``) and no bigger than ``max_bytes`` (when given). Symbolic links
    are followed."""
    try:
        info = path.stat()
    except OSError as exc:
        return _stat_problem(path, exc)
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device")
        return f"is {kind}, not a regular file"
    if info.st_size == 0 and not empty_ok:
        return "the file is empty (0 bytes)"
    if max_bytes is not None and info.st_size > max_bytes:
        return f"too big ({info.st_size:,} bytes; at most {max_bytes:,})"
    if not os.access(path, os.R_OK):
        return "permission denied"
    return None


def _stat_problem(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link that loops back on itself"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"a symbolic link to a missing file ({os.readlink(path)})"
    if exc.errno == errno.ENOENT:
        return "no such file"
    return exc.strerror or str(exc)
