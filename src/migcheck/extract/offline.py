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

_RUNNING = lazy_regex(r"^Running (upgrade|downgrade)\s+(.*?)\s*->\s*(.*?)\s*$")
_VERSION_INSERT = lazy_regex(r"^INSERT\s+INTO\s+alembic_version\b.*?VALUES\s*\(\s*'([^']+)'", re.I | re.S)
_VERSION_UPDATE = lazy_regex(
    r"^UPDATE\s+alembic_version\s+SET\s+version_num\s*=\s*'([^']+)'(?:.*?version_num\s*=\s*'([^']+)')?",
    re.I | re.S,
)
_VERSION_OTHER = lazy_regex(r"^(?:CREATE\s+TABLE|DELETE\s+FROM|DROP\s+TABLE)\s+(?:IF\s+EXISTS\s+)?alembic_version\b", re.I)
_BEGIN = lazy_regex(r"^(BEGIN|START\s+TRANSACTION)\b", re.I)
_END = lazy_regex(r"^(COMMIT|ROLLBACK|END)\b", re.I)
_SET_LOCAL = lazy_regex(r"^SET\s+LOCAL\b", re.I)


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

    for item in split(text):
        if isinstance(item, Comment):
            m = _RUNNING.match(item.text)
            if m:
                finish()
                # `Running upgrade a -> b` applies b; `Running downgrade b -> a` undoes b: both belong to b
                new, old = (m.group(3), m.group(2)) if m.group(1) == "upgrade" else (m.group(2), m.group(3))
                ids = _ids(new)
                current = _Segment(line=item.line, revision=ids[0] if ids else None, down=_ids(old),
                                   phase=m.group(1), settings={**session, **local})
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
