"""Which migcheck process made a scratch resource, and whether it is still running.

Every scratch resource verify makes (an embedded server's directory, a scratch database, a
container) records its maker: the pid with the process's start time (a pid alone could have been
reused since), the host and, for databases, the boot. A later run removes what dead runs left
behind and never touches what a live run, another user's or another machine's, still uses.
"""

from __future__ import annotations

import os
import socket


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (seconds since the epoch, two decimals); None when it is gone."""
    import psutil

    try:
        return f"{psutil.Process(pid).create_time():.2f}"
    except (psutil.Error, OSError):
        return None


def mark() -> str:
    """``pid start-time`` of this process."""
    return f"{os.getpid()} {process_start(os.getpid()) or 'gone'}"


def alive(recorded: str) -> bool:
    """Is the process a ``mark()`` names still running (same pid, same start time)?"""
    parts = recorded.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return False
    return process_start(int(parts[0])) == parts[1]


def hostname() -> str:
    return socket.gethostname()


def boot_id() -> str:
    """This boot of this machine (Linux): a pid of an earlier boot says nothing about this one."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""
