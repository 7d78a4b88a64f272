"""Table sizes from a committed snapshot (``migcheck stats``): severities that follow the real table.

An index built without CONCURRENTLY on a 40-row lookup table holds its lock for milliseconds;
on a 50-million-row table it is an outage. A snapshot of the catalog (estimated rows, heap and
index bytes per table, taken from a replica by ``migcheck stats`` and committed) lets lint tell
them apart without ever connecting from CI. Only the risks whose cost grows with the table
follow the size; a lock requested without ``lock_timeout`` or dropped data stay what they are.

Reading the snapshot is pure Python (no database driver), so lint stays cheap and offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from migcheck.guard.readfile import UnreadableFile, read_regular
from migcheck.sources.discovery import escapes, named_project
from migcheck.vocabulary.findings import Finding, Severity

FORMAT_VERSION = 1
FORMAT_KEY = "migcheck_table_stats"

#: Rules whose cost is a scan, a rewrite or an index build of the whole table while a lock
#: blocks others: on a small table it lasts milliseconds, on a large one it is an outage.
SIZE_DEPENDENT_RULES = frozenset({
    "add-check-constraint-without-not-valid",
    "add-column-with-volatile-default",
    "add-exclusion-constraint",
    "add-foreign-key-without-not-valid",
    "add-primary-key-to-existing-table",
    "add-unique-constraint",
    "alter-column-type",
    "create-index-not-concurrently",
    "refresh-materialized-view-not-concurrently",
    "reindex-not-concurrently",
    "set-not-null",
    "unbatched-backfill",
    "vacuum-full-or-cluster",
    "validate-in-same-transaction",
    # verify's live findings
    "dangerous-lock",
    "table-rewrite",
})

#: A documented rule of thumb for "roughly how long": one sequential pass over the table's
#: heap at 200 MB/s (cloud block storage; a local NVMe disk is several times faster). Index
#: builds and rewrites do more than one pass, so the estimate is a floor, and says so.
SCAN_BYTES_PER_SECOND = 200 * 1024 * 1024


class StatsError(ValueError):
    """A snapshot file that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class TableSize:
    schema: str | None
    name: str
    #: Estimated rows (``pg_class.reltuples``, ``TABLE_ROWS``); None when never analysed.
    rows: int | None
    table_bytes: int | None
    index_bytes: int | None


@dataclass(frozen=True)
class Thresholds:
    small_rows: int = 10_000
    small_bytes: int = 64 * 1024 * 1024
    large_rows: int = 1_000_000
    large_bytes: int = 1024 * 1024 * 1024
    max_age_days: int = 90


@dataclass
class Snapshot:
    path: Path
    taken_at: datetime
    server: str
    dialect: str
    #: The ``alembic_version`` rows of the database when the snapshot was taken (None: unknown).
    heads: tuple[str, ...] | None
    tables: list[TableSize]
    default_schema: str | None = None

    @property
    def date(self) -> str:
        return self.taken_at.date().isoformat()

    def age_days(self, now: datetime | None = None) -> int:
        return ((now or datetime.now(timezone.utc)) - self.taken_at).days

    def find(self, table: str) -> TableSize | None:
        """``schema.table`` exactly, or a bare name in the default schema, or the one table so named."""
        schema, _, name = table.rpartition(".")
        name, schema = name.strip('"`'), schema.strip('"`')
        if schema:
            return next((t for t in self.tables if t.name == name and t.schema == schema), None)
        named = [t for t in self.tables if t.name == name]
        preferred = [t for t in named if t.schema == self.default_schema]
        if preferred:
            return preferred[0]
        return named[0] if len(named) == 1 else None


def _int_or_none(value: Any, what: str, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise StatsError(f"{path}: {what} must be a non-negative number (got {value!r})")
    return int(value)


def load(path: Path) -> Snapshot:
    """Read and check a snapshot; anything wrong is one line naming the file and the problem."""
    if not path.exists() and not path.is_symlink():
        raise StatsError(f"table stats file not found: {path} (write one with `migcheck stats --db-url URL`)")
    refused = escapes(path, named_project(path))  # a pull request's config may name a committed symlink
    if refused is not None:
        raise StatsError(f"table stats {path}: {refused}")
    try:  # a committed file: a regular one of bounded size, like every file of the linted tree
        data = json.loads(read_regular(path).decode("utf-8"))
    except (UnreadableFile, UnicodeDecodeError) as exc:
        raise StatsError(f"cannot read table stats {path}: {exc}") from None
    except RecursionError:
        raise StatsError(f"{path} is nested too deeply to be a table-stats file") from None
    except json.JSONDecodeError as exc:
        raise StatsError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict) or data.get(FORMAT_KEY) != FORMAT_VERSION:
        raise StatsError(f"{path} is not a migcheck table-stats file (version {FORMAT_VERSION})")
    try:
        taken_at = datetime.fromisoformat(str(data["taken_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        raise StatsError(f"{path}: taken_at must be an ISO 8601 time") from None
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=timezone.utc)
    tables_data = data.get("tables")
    if not isinstance(tables_data, list):
        raise StatsError(f"{path}: tables must be a list")
    tables = []
    for entry in tables_data:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise StatsError(f"{path}: every table needs a name")
        schema = entry.get("schema")
        tables.append(TableSize(
            schema=schema if isinstance(schema, str) else None,
            name=entry["name"],
            rows=_int_or_none(entry.get("rows"), "rows", path),
            table_bytes=_int_or_none(entry.get("table_bytes"), "table_bytes", path),
            index_bytes=_int_or_none(entry.get("index_bytes"), "index_bytes", path),
        ))
    heads = data.get("alembic_heads")
    return Snapshot(
        path=path,
        taken_at=taken_at,
        server=str(data.get("server") or "unknown server"),
        dialect=str(data.get("dialect") or "postgresql"),
        heads=tuple(str(h) for h in heads) if isinstance(heads, list) else None,
        tables=tables,
        default_schema=data.get("default_schema") if isinstance(data.get("default_schema"), str) else None,
    )


def human_count(n: int) -> str:
    for limit, suffix in ((1_000_000_000, " G"), (1_000_000, " M"), (1_000, " k")):
        if n >= limit:
            value = n / limit
            return f"{value:.1f}".rstrip("0").rstrip(".") + suffix
    return str(n)


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 5400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def size_class(size: TableSize, limits: Thresholds) -> str:
    """``small``, ``large`` or ``medium``; ``unknown`` when the snapshot has neither rows nor bytes."""
    if size.rows is None and size.table_bytes is None:
        return "unknown"
    rows_small = size.rows is None or size.rows < limits.small_rows
    bytes_small = size.table_bytes is None or size.table_bytes < limits.small_bytes
    if rows_small and bytes_small:
        return "small"
    if (size.rows or 0) >= limits.large_rows or (size.table_bytes or 0) >= limits.large_bytes:
        return "large"
    return "medium"


def describe(size: TableSize) -> str:
    parts = []
    if size.rows is not None:
        parts.append(f"~{human_count(size.rows)} rows")
    if size.table_bytes is not None:
        total = size.table_bytes + (size.index_bytes or 0)
        parts.append(human_bytes(total) + (" with indexes" if size.index_bytes else ""))
    return ", ".join(parts)


def qualified(size: TableSize) -> str:
    return f"{size.schema}.{size.name}" if size.schema else size.name


def annotate(finding: Finding, size: TableSize, snapshot: Snapshot, limits: Thresholds,
             keep_severity: bool) -> None:
    """Severity and message of one size-dependent finding, from its table's size."""
    kind = size_class(size, limits)
    if kind == "unknown":
        return
    where = f"{qualified(size)} has {describe(size)} (stats of {snapshot.date})"
    if kind == "small":
        finding.message += f" [{where}: below the small-table limit, the lock lasts milliseconds]"
        if not keep_severity:
            finding.severity = Severity.INFO
    elif kind == "large":
        seconds = (size.table_bytes or 0) / SCAN_BYTES_PER_SECOND
        estimate = f"; one pass over the heap alone takes {_duration(seconds)} at 200 MB/s" if size.table_bytes else ""
        finding.message += f" [{where}: a large table{estimate}]"
    else:
        finding.message += f" [{where}]"
    finding.extra["table_size"] = {
        "table": qualified(size), "rows": size.rows, "table_bytes": size.table_bytes,
        "index_bytes": size.index_bytes, "class": kind, "taken_at": snapshot.taken_at.isoformat(),
    }


def apply(
    findings: Iterable[Finding],
    snapshot: Snapshot,
    limits: Thresholds,
    *,
    overridden: Iterable[str] = (),
    unknown_tables: dict[str | None, set[str]] | None = None,
    renamed: dict[str | None, dict[str, str]] | None = None,
) -> None:
    """Annotate the size-dependent findings whose table the snapshot knows.

    ``unknown_tables[revision]``: tables created after the snapshot was taken, as seen from that
    revision (they keep today's severity); ``renamed[revision]``: a table's name at that revision
    -> its name in the snapshot. Rules whose severity the user set in the config keep it.
    """
    keep = set(overridden)
    for finding in findings:
        if finding.rule not in SIZE_DEPENDENT_RULES or finding.suppressed:
            continue
        table = finding.extra.get("table")
        if not isinstance(table, str) or not table:
            continue
        if unknown_tables and table in unknown_tables.get(finding.revision, set()):
            continue
        if renamed:
            table = renamed.get(finding.revision, {}).get(table, table)
        size = snapshot.find(table)
        if size is not None:
            annotate(finding, size, snapshot, limits, keep_severity=finding.rule in keep)


def stale_note(snapshot: Snapshot, limits: Thresholds, now: datetime | None = None) -> str | None:
    age = snapshot.age_days(now)
    if age <= limits.max_age_days:
        return None
    return (f"table stats {snapshot.path} are {age} days old (taken {snapshot.date}, limit "
            f"{limits.max_age_days} days): sizes may have changed; take a new snapshot with `migcheck stats`")


def since_snapshot(
    linted: Iterable[Any], graph: Any, heads: tuple[str, ...] | None
) -> tuple[dict[str | None, set[str]], dict[str | None, dict[str, str]]]:
    """Per linted revision: tables created after the snapshot, and names renamed since it.

    The snapshot records the database's ``alembic_version``; the revisions between it and a
    linted revision (its ancestors that the snapshot's heads do not have) are replayed for
    CREATE/RENAME/DROP TABLE. Without recorded heads nothing is known, and nothing is assumed.

    The replay is folded once along the history (a revision with one unapplied parent starts from
    its parent's result), so a long history linted against an old snapshot stays linear; only a
    merge of unapplied branches replays its ancestors again.
    """
    unknown: dict[str | None, set[str]] = {}
    renamed: dict[str | None, dict[str, str]] = {}
    if heads is None:
        return unknown, renamed
    applied: set[str] = set()
    for head in heads:
        if graph.resolve(head) is not None:
            applied |= graph.ancestors(head) | {graph.resolve(head).revision}
    order = graph.upgrade_order()
    position = {m.revision: i for i, m in enumerate(order)}
    wanted = {m.revision for m in linted if m.revision not in applied and m.revision in position}
    needed = set(wanted)
    todo = list(wanted)
    while todo:  # the unapplied ancestors of what was linted: nothing else is replayed
        for parent in graph.parents(todo.pop()):
            if parent not in applied and parent not in needed:
                needed.add(parent)
                todo.append(parent)
    unapplied_parents = {r: [p for p in graph.parents(r) if p in needed] for r in needed}
    consumers = {r: 0 for r in needed}
    for parents in unapplied_parents.values():
        if len(parents) == 1:
            consumers[parents[0]] += 1
    after: dict[str, _Tables] = {}
    for migration in order:
        rev = migration.revision
        if rev not in needed:
            continue
        parents = unapplied_parents[rev]
        if not parents:
            state = _Tables()
        elif len(parents) == 1:
            state = after.pop(parents[0]) if consumers[parents[0]] == 1 else after[parents[0]].copy()
            consumers[parents[0]] -= 1
        else:
            state = _Tables()
            for other in sorted(graph.ancestors(rev, stop=applied), key=lambda r: position.get(r, 0)):
                state.replay(graph.resolve(other))
        if rev in wanted:
            unknown[rev], renamed[rev] = set(state.created), dict(state.names)
        if consumers[rev]:
            state.replay(migration)
            after[rev] = state
    return unknown, renamed


class _Tables:
    """Tables created since the snapshot, and each renamed table's name in it, as a replay goes."""

    def __init__(self, created: set[str] | None = None, names: dict[str, str] | None = None) -> None:
        self.created = created if created is not None else set()
        self.names = names if names is not None else {}  # name now -> name in the snapshot

    def copy(self) -> _Tables:
        return _Tables(set(self.created), dict(self.names))

    def replay(self, step: Any) -> None:
        from migcheck.vocabulary.changes import CreateTable, DropTable, RenameTable

        for change in getattr(step, "upgrade_changes", []):
            if isinstance(change, CreateTable):
                self.created.add(change.table)
                self.names.pop(change.table, None)
            elif isinstance(change, RenameTable):
                if change.table in self.created:
                    self.created.discard(change.table)
                    self.created.add(change.new_name)
                else:
                    self.names[change.new_name] = self.names.pop(change.table, change.table)
            elif isinstance(change, DropTable):
                self.created.discard(change.table)
                self.names.pop(change.table, None)

