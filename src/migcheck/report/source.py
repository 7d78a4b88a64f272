"""The source text behind a finding: the line shown under it, and the statement its fingerprint hashes.

Reporters run where lint ran, so a finding's path (relative to the working directory, or absolute)
opens as it is. A file that cannot be read gives no source line, never an error: the finding
itself is what matters.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import tokenize
from pathlib import Path

from migcheck.vocabulary.findings import Finding
from migcheck.vocabulary.lazyregex import lazy_regex

#: (``(?<![\w.])``: a search does not retry from inside a name, quadratic time.)
_CALLEE = lazy_regex(r"(?<![\w.])[A-Za-z_][\w.]*(?=\s*\()")


#: Text that did not come from the file named (`migcheck lint -`): path as shown -> its lines.
_GIVEN: dict[str, tuple[str, ...]] = {}


def remember(path: str, data: bytes) -> None:
    """Show ``data``'s lines for findings reported under ``path`` (the text read from stdin)."""
    _GIVEN[path] = _decode(path, data)


def forget() -> None:
    """Drop what `remember` kept: the run that read stdin has written its reports."""
    _GIVEN.clear()


def _decode(path: str, data: bytes) -> tuple[str, ...]:
    encoding = "utf-8"
    if not path.endswith(".sql"):  # PEP 263: a revision may declare its encoding
        with contextlib.suppress(SyntaxError):
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    try:
        return tuple(data.decode(encoding, errors="replace").splitlines())
    except LookupError:  # a cookie naming a codec that is not a text encoding (rot13): shown as UTF-8
        return tuple(data.decode("utf-8", errors="replace").splitlines())


def _lines(path: str) -> tuple[str, ...] | None:
    """The file's lines; read once per version of the file (a long-lived process may see it change)."""
    if path in _GIVEN:
        return _GIVEN[path]
    if _outside_project(path):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _read(path, stat.st_mtime_ns, stat.st_size)


def _outside_project(path: str) -> bool:
    """Whether ``path`` is reached through a symlink that leads out of its project (attack29c): discovery refused
    to read it (an ``invalid-migration-file`` finding on line 1), and showing that line would print a line of
    the file it points to (``x.py -> /etc/hostname``, ``versions -> ../../outside``) all the same."""
    absolute = os.path.abspath(path)
    folder = os.path.dirname(absolute)
    if not os.path.islink(absolute) and os.path.realpath(folder) == folder:
        return False  # no symlink on the way: the common case, decided without looking for the project
    from migcheck.sources.discovery import escapes, named_project

    return escapes(Path(absolute), named_project(Path(absolute))) is not None


@functools.lru_cache(maxsize=256)
def _read(path: str, _mtime_ns: int, _size: int) -> tuple[str, ...] | None:
    from migcheck.guard.readfile import UnreadableFile, read_regular

    try:  # regular files only, size-capped: a path that turned into a FIFO cannot hang the report
        data = read_regular(Path(path))
    except (OSError, UnreadableFile):
        return None
    return _decode(path, data)


def line_of(finding: Finding) -> str | None:
    """The finding's first line as written, or None (no file, a line past its end, a blank line)."""
    lines = _lines(finding.path)
    if not lines or not 1 <= finding.line <= len(lines) or not lines[finding.line - 1].strip():
        return None
    return lines[finding.line - 1].expandtabs(4).rstrip()


def caret_span(text: str) -> tuple[int, int]:
    """Where the caret goes: under the call the line starts with (`op.create_index`), else the statement."""
    start = len(text) - len(text.lstrip())
    callee = _CALLEE.match(text, start)
    end = callee.end() if callee else len(text.rstrip())
    return start, max(end, start + 1)


def statement_text(finding: Finding) -> str:
    """The finding's lines with whitespace collapsed: unchanged when the statement only moves."""
    lines = _lines(finding.path) or ()
    last = max(finding.end_line or finding.line, finding.line)
    return " ".join(" ".join(lines[finding.line - 1:last]).split()) if lines else ""


def fingerprint(finding: Finding, occurrence: int = 0) -> str:
    """rule + revision + a hash of the statement (+ which of identical ones): stable across line moves."""
    parts = [finding.rule, finding.revision or "", statement_text(finding) or finding.message, str(occurrence)]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]
