"""Offline ``alembic upgrade A:B --sql`` output, split back into its revisions.

Alembic writes ``-- Running upgrade a -> b`` before each revision and an
INSERT/UPDATE of ``alembic_version`` after it; both mark the boundaries
(either alone is enough, so files with comments stripped still split).
Each piece becomes a Migration of its own, so a table created by an early
revision of the dump is not "new" for the later ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.extract.limits import capped
from migcheck.extract.sql import changes_from_sql
from migcheck.extract.sqlsplit import Comment, split
from migcheck.vocabulary.changes import Change, RawSQL, SetSetting
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import Body, Migration

#: The head of ``-- Running upgrade a -> b``; the rest is cut by ``_running`` (the whole line as one pattern,
#: ``(.*?)\s*->\s*(.*?)\s*$``, retried its blanks at every blank of a run: quadratic on a comment).
_RUNNING = lazy_regex(r"Running (upgrade|downgrade)\s+")
_VERSION_INSERT = lazy_regex(r"^INSERT\s+INTO\s+alembic_version\b.*?VALUES\s*\(\s*'([^']+)'", re.I | re.S)
_VERSION_UPDATE = lazy_regex(
    r"^UPDATE\s+alembic_version\s+SET\s+version_num\s*=\s*'([^']+)'(?:.*?version_num\s*=\s*'([^']+)')?",
    re.I | re.S,
)
_VERSION_OTHER = lazy_regex(r"^(?:CREATE\s+TABLE|DELETE\s+FROM|DROP\s+TABLE)\s+(?:IF\s+EXISTS\s+)?alembic_version\b", re.I)
_BEGIN = lazy_regex(r"^(BEGIN|START\s+TRANSACTION)\b", re.I)
_END = lazy_regex(r"^(COMMIT|ROLLBACK|END)\b", re.I)
_SET_LOCAL = lazy_regex(r"^SET\s+LOCAL\b", re.I)


def _running(text: str) -> tuple[str, str, str] | None:
    """``(phase, left, right)`` as ``^Running (upgrade|downgrade)\\s+(.*?)\\s*->\\s*(.*?)\\s*$`` reads
    ``text``, in linear time: the first arrow whose right side holds no line break but in its trailing blanks
    (a left side never holds one)."""
    head = _RUNNING.match(text)
    if not head:
        return None
    start = head.end()
    newline = text.find("\n", start)
    end = len(text.rstrip())
    last_newline = text.rfind("\n", 0, end)
    arrow = text.find("->", start)
    while arrow != -1:
        left_end = arrow
        while left_end > start and text[left_end - 1].isspace():  # each blank looked at twice at most
            left_end -= 1
        if newline != -1 and newline < left_end:
            return None
        right = arrow + 2
        while right < len(text) and text[right].isspace():
            right += 1
        if right >= end or last_newline < right:
            return head.group(1), text[start:left_end], text[right:max(end, right)]
        arrow = text.find("->", arrow + 1)
    return None


@dataclass(eq=False, repr=False)
class _Segment:
    """The part of an offline SQL file between two ``-- Running upgrade`` markers."""

    line: int
    revision: str | None = None
    down: tuple[str, ...] = ()
    phase: str = "upgrade"
    changes: list[Change] = field(default_factory=list)
    #: SET ... already in effect when the segment starts (see Migration.session_settings).
    settings: dict[str, str | None] = field(default_factory=dict)


def _ids(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _mark_commit(segment: _Segment | None, sql: str, line: int) -> None:
    """Keep COMMIT as a change: whether two statements share a transaction depends on it."""
    if segment is None or not sql.upper().startswith(("COMMIT", "END")):
        return
    segment.changes.append(RawSQL(text=sql, keyword="COMMIT", line=line, phase=segment.phase,  # type: ignore[arg-type]
                                  origin="sql", sql=sql))


def load_sql_file(path: Path, text: str, dialect: str) -> list[Migration]:
    """The revisions of one offline SQL file, each with its own changes and lines."""
    segments: list[_Segment] = []
    current: _Segment | None = None
    in_transaction = False
    # Session-level SETs last for the connection; SET LOCAL until the transaction ends.
    session: dict[str, str | None] = {}
    local: dict[str, str | None] = {}

    def finish() -> None:
        nonlocal current
        if current is not None and (current.changes or current.revision):
            segments.append(current)
        current = None

    for item in split(text, dialect=dialect):
        if isinstance(item, Comment):
            m = _running(item.text)
            if m:
                finish()
                # `Running upgrade a -> b` applies b; `Running downgrade b -> a` undoes b: both belong to b
                phase, left, right = m
                new, old = (right, left) if phase == "upgrade" else (left, right)
                ids = _ids(new)
                current = _Segment(line=item.line, revision=ids[0] if ids else None, down=_ids(old),
                                   phase=phase, settings={**session, **local})
            continue
        sql = item.text
        if _BEGIN.match(sql):
            in_transaction = True
            continue
        if _END.match(sql):
            in_transaction = False
            _mark_commit(current or (segments[-1] if segments else None), sql, item.line)
            local.clear()
            continue
        if _VERSION_OTHER.match(sql):
            continue
        version = _VERSION_INSERT.match(sql) or _VERSION_UPDATE.match(sql)
        if version:
            if current is None:
                current = _Segment(line=item.line, settings={**session, **local})
            if current.revision is None:
                current.revision = version.group(1)
                if version.lastindex and version.lastindex > 1 and version.group(2):
                    current.down = (version.group(2),)
            finish()
            continue
        if current is None:
            current = _Segment(line=item.line, settings={**session, **local})
        changes = changes_from_sql(sql, item.line, dialect=dialect, phase=current.phase,
                                   in_transaction=in_transaction)
        for change in changes:
            if isinstance(change, SetSetting):
                (local if _SET_LOCAL.match(sql) else session)[change.name] = change.value
        current.changes.extend(changes)
    finish()

    migrations = []
    for number, seg in enumerate(segments, start=1):
        body = Body(line=seg.line, changes=capped(seg.changes))
        migrations.append(
            Migration(
                path=path,
                revision=seg.revision or f"{path.stem}#{number}",
                down_revisions=seg.down,
                line=seg.line,
                down_line=seg.line,
                origin="sql",
                upgrade=body if seg.phase == "upgrade" else None,
                downgrade=body if seg.phase == "downgrade" else None,
                session_settings=seg.settings,
            )
        )
    return migrations
