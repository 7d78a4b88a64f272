"""Read a file of the linted tree as untrusted input: a regular file, of bounded size, or nothing.

A pull request decides what its files are. ``versions/x.py`` may be a symlink to ``/dev/zero``
(an endless read), a FIFO (a read that never returns), or a gigabyte of text; each would stop the
run or exhaust memory, and none is a migration. Opening with ``O_NONBLOCK`` makes opening a FIFO
return at once; ``fstat`` on the open descriptor (not the name, which could be swapped in between)
decides; at most ``MAX_BYTES + 1`` bytes are ever read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Far above any revision file (the largest seen in real projects are a few hundred KB) and above an
#: offline ``alembic upgrade --sql`` of thousands of revisions, far below what hurts a CI runner.
MAX_BYTES = 32 * 1024 * 1024

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


class UnreadableFile(Exception):
    """Why a file was not read; the message is the one the user sees (an ``invalid-migration-file``)."""


def read_regular(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes; else UnreadableFile."""
    return read_regular_stat(path, limit)[0]


def read_regular_stat(path: Path, limit: int = MAX_BYTES) -> tuple[bytes, os.stat_result]:
    """``read_regular``, with the ``fstat`` of the descriptor read (taken before reading: a cache that
    records it can only ever see a file as older than the bytes it holds)."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise UnreadableFile(f"not read: {kind}, not a regular file")
        if info.st_size > limit:
            raise UnreadableFile(f"not read: {_size(info.st_size)}, over the {_size(limit)} a migration file may have")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # it grew after fstat
            raise UnreadableFile(f"not read: over the {_size(limit)} a migration file may have")
        return data, info
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _size(size: int) -> str:
    return f"{size / 2**20:.0f} MiB" if size >= 2**20 else f"{size} bytes"
