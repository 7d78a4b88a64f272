"""lookback.table_columns and table_keys give a forward replay's answer while reading only the table's own steps.

The reference is the replay they did before (every ancestor's upgrade changes, oldest first, then this revision's
earlier steps), asked on random histories with branches, merges, renames of tables and columns into and out of
the asked table, drops of keys by name from another table, and steps under an ``if`` or a swallowing ``try``.
The counting tests are the shapes that made lint quadratic: 2,000 revisions each asking once.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from counting import CountingList, chain
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    Change,
    ColumnSpec,
    CreateIndex,
    CreateTable,
    DataChange,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    RenameColumn,
    RenameTable,
)
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Body, Migration
from migcheck.vocabulary.settings import Settings

TABLES = ["a", "B", "c", "d"]
COLUMNS = ["id", "x", "Y", "z"]
NAMES = ["k1", "K2", "k3", None]
#: Names a column gets only by a rename: a key's column renamed to one is followed under it.
MOVED = [*COLUMNS, "w", "V"]


def _random_change(rng: random.Random, line: int) -> Change:
    t, c = rng.choice(TABLES), rng.choice(COLUMNS)
    flags = {"conditional": rng.random() < 0.1, "guarded": (1,) if rng.random() < 0.1 else ()}
    kind = rng.randrange(12)
    if kind == 0:
        cols = [ColumnSpec(name=rng.choice(COLUMNS), type="INTEGER", primary_key=rng.random() < 0.4)
                for _ in range(rng.randrange(4))]
        return CreateTable(line=line, table=t, columns=cols, **flags)
    if kind == 1:
        return AddColumn(line=line, table=t, column=ColumnSpec(name=c, type="TEXT", primary_key=rng.random() < 0.3),
                         **flags)
    if kind == 2:
        return RenameColumn(line=line, table=t, column=rng.choice(MOVED), new_name=rng.choice(MOVED), **flags)
    if kind == 3:
        return RenameTable(line=line, table=t, new_name=rng.choice(TABLES).lower(), **flags)
    if kind == 4:
        return DropColumn(line=line, table=t, column=rng.choice(MOVED), **flags)
    if kind == 5:
        return DropTable(line=line, table=t, **flags)
    if kind == 6:
        return CreateIndex(line=line, name=rng.choice(NAMES), table=t, columns=rng.sample(COLUMNS, rng.randrange(3)),
                           unique=rng.random() < 0.7, where="x > 0" if rng.random() < 0.2 else None, **flags)
    if kind == 7:
        return AddConstraint(line=line, kind_of=rng.choice(["primary_key", "unique", "check"]), name=rng.choice(NAMES),
                             table=t, columns=rng.sample(COLUMNS, rng.randrange(3)), **flags)
    if kind == 8:
        return DropIndex(line=line, name=rng.choice(NAMES[:3]), table=rng.choice([t, None]), **flags)
    if kind == 9:
        return DropConstraint(line=line, name=rng.choice(NAMES[:3]), table=t, **flags)
    return DataChange(line=line, action="update", table=t, pinned=("id",))


def _random_history(seed: int, count: int = 40) -> list[Migration]:
    rng = random.Random(seed)
    migrations: list[Migration] = []
    for i in range(count):
        ids = [m.revision for m in migrations]
        parents: tuple[str, ...] = ()
        if ids:
            parents = (rng.choice(ids[-3:]),) if rng.random() < 0.9 or len(ids) < 2 else tuple(sorted(rng.sample(ids, 2)))
        up = [_random_change(rng, line) for line in range(1, rng.randrange(2, 7))]
        down = [_random_change(rng, line) for line in range(10, rng.randrange(10, 13))]
        for c in down:
            c.phase = "downgrade"
        migrations.append(Migration(path=Path(f"r{i:03d}.py"), revision=f"r{i:03d}", down_revisions=parents,
                                    upgrade=Body(line=1, changes=up), downgrade=Body(line=9, changes=down)))
    return migrations


# -- the reference: the whole-history replays lookback used before (main at 5c8ce0f) ---------------------------

def _replayed(ctx: RevisionContext, change: Change) -> list[Change]:
    own = ctx.migration.upgrade_changes
    if change.phase != "upgrade":
        own = own + ctx.migration.downgrade_changes
    replay = [c for m in lookback.ancestors(ctx) for c in m.upgrade_changes]
    return replay + own[:next((i for i, c in enumerate(own) if c is change), len(own))]


def _replay_columns(ctx: RevisionContext, change: Change, table: str) -> set[str] | None:
    tables: dict[str, set[str] | None] = {}
    for c in _replayed(ctx, change):
        if isinstance(c, CreateTable):
            names = {col.name.lower() for col in c.columns if col.name}
            tables[c.table.lower()] = names or None
        elif isinstance(c, DropTable):
            tables.pop(c.table.lower(), None)
        elif isinstance(c, RenameTable) and c.table.lower() in tables:
            tables[c.new_name.lower()] = tables.pop(c.table.lower())
        elif isinstance(c, AddColumn | DropColumn | RenameColumn):
            columns = tables.get(c.table.lower())
            if columns is None:
                continue
            if isinstance(c, AddColumn) and c.column.name:
                columns.add(c.column.name.lower())
            elif isinstance(c, DropColumn):
                columns.discard(c.column.lower())
            elif isinstance(c, RenameColumn) and c.column.lower() in columns:
                columns.discard(c.column.lower())
                columns.add(c.new_name.lower())
    return tables.get(table.lower())


def _replay_keys(ctx: RevisionContext, change: Change, table: str) -> list[frozenset[str]]:
    keys: dict[str, dict[str, frozenset[str]]] = {}
    for c in _replayed(ctx, change):
        if c.conditional or c.guarded:
            continue
        if isinstance(c, CreateTable):
            primary = frozenset(col.name.lower() for col in c.columns if col.name and col.primary_key)
            keys[c.table.lower()] = {"": primary} if primary else {}
        elif isinstance(c, AddColumn) and c.column.primary_key and c.column.name:
            keys.setdefault(c.table.lower(), {})[""] = frozenset({c.column.name.lower()})
        elif ((isinstance(c, CreateIndex) and c.unique and not c.where)
              or (isinstance(c, AddConstraint) and c.kind_of in {"primary_key", "unique"})) and c.table and c.columns:
            keys.setdefault(c.table.lower(), {})[(c.name or "").lower() or repr(c.columns)] = frozenset(
                x.lower() for x in c.columns)
        elif isinstance(c, DropIndex | DropConstraint) and c.name:
            for named in keys.values():
                named.pop(c.name.lower(), None)
        elif isinstance(c, DropTable):
            keys.pop(c.table.lower(), None)
        elif isinstance(c, RenameTable) and c.table.lower() in keys:
            keys[c.new_name.lower()] = keys.pop(c.table.lower())
        elif isinstance(c, DropColumn | RenameColumn) and c.table.lower() in keys:
            old = c.column.lower()
            named = keys[c.table.lower()]
            for name, columns in list(named.items()):
                if old not in columns:
                    continue
                if isinstance(c, DropColumn):
                    del named[name]
                else:
                    named[name] = (columns - {old}) | {c.new_name.lower()}
    return [columns for columns in keys.get(table.lower(), {}).values() if columns]


@pytest.mark.parametrize("seed", range(12))
def test_columns_and_keys_are_the_whole_replays(seed: int) -> None:
    migrations = _random_history(seed)
    graph = RevisionGraph.build(migrations)
    asked = found = 0
    for migration in migrations:
        ctx = RevisionContext.build(migration, Settings(), graph)
        for change in [*migration.upgrade_changes, *migration.downgrade_changes]:
            for table in [*TABLES, "E"]:
                expected_columns = _replay_columns(ctx, change, table)
                assert lookback.table_columns(ctx, change, table) == expected_columns, (migration.revision, change,
                                                                                        table)
                expected_keys = _replay_keys(ctx, change, table)
                assert lookback.table_keys(ctx, change, table) == expected_keys, (migration.revision, change, table)
                asked += 1
                found += bool(expected_keys) + bool(expected_columns)
    assert asked > 500 and found > 100


def test_a_keyed_update_after_every_revisions_ddl_reads_the_history_once() -> None:
    """held-out-18 #75's shape: each of 2,000 revisions alters a table and records it with ``UPDATE t1 ... WHERE
    id = n`` (mixed-schema-and-data-change asks table_keys). The whole-history replay per question read about
    2 million revisions' changes."""
    create = CreateTable(line=1, table="t1", columns=[ColumnSpec(name="id", type="BIGINT", primary_key=True),
                                                      ColumnSpec(name="name", type="TEXT")])
    body: list[list[Change]] = [[create]]
    for i in range(1, 2001):
        body.append([AddColumn(line=1, table=f"t{i % 50 + 2}", column=ColumnSpec(name=f"c{i}", type="TEXT")),
                     DataChange(line=2, action="update", table="t1", pinned=("id",))])
    migrations = chain(body)
    graph = RevisionGraph.build(migrations)
    CountingList.reads = 0
    for migration in migrations[1:]:
        ctx = RevisionContext.build(migration, Settings(), graph)
        update = migration.upgrade_changes[1]
        assert lookback.table_keys(ctx, update, "t1") == [frozenset({"id"})]
    assert CountingList.reads < 10 * len(migrations)


def test_columns_of_a_version_table_asked_in_every_revision_read_the_history_once() -> None:
    """A NOT NULL column added to a ``<t>_version`` table in every revision and asked about (drop-not-null's
    Continuum case, downgrade-not-inverse's guarded add_column ask table_columns): the history is read once."""
    body: list[list[Change]] = [[CreateTable(line=1, table="t_version", columns=[
        ColumnSpec(name=name, type="BIGINT") for name in ("id", "transaction_id", "operation_type")])]]
    for i in range(1, 2001):
        body.append([AddColumn(line=1, table=f"u{i % 50}", column=ColumnSpec(name=f"c{i}", type="TEXT")),
                     AddColumn(line=2, table="t_version", column=ColumnSpec(name=f"c{i}", type="TEXT"))])
    migrations = chain(body)
    graph = RevisionGraph.build(migrations)
    CountingList.reads = 0
    for number, migration in enumerate(migrations[1:], start=1):
        ctx = RevisionContext.build(migration, Settings(), graph)
        columns = lookback.table_columns(ctx, migration.upgrade_changes[1], "t_version")
        assert columns is not None and len(columns) == 3 + number - 1 and f"c{number}" not in columns
    # the answers grow with the history here (c1 ... c2000): what is read is each answer's own steps
    assert CountingList.reads < 10 * len(migrations)


def test_a_key_follows_its_column_and_table_through_renames_across_revisions() -> None:
    """The key column is renamed (id -> w), its table renamed (t -> u), and w dropped in a later revision: the key
    goes with it. A unique index dropped by name from the renamed table goes too; one on an unrelated table stays."""
    steps: list[list[Change]] = [
        [CreateTable(line=1, table="t", columns=[ColumnSpec(name="id", type="BIGINT", primary_key=True),
                                                  ColumnSpec(name="code", type="TEXT")]),
         CreateIndex(line=2, name="uq_code", table="t", columns=["code"], unique=True),
         CreateTable(line=3, table="other", columns=[ColumnSpec(name="w", type="BIGINT", primary_key=True)])],
        [RenameColumn(line=1, table="t", column="id", new_name="w")],
        [RenameTable(line=1, table="t", new_name="u")],
        [DropColumn(line=1, table="u", column="w")],
        [DropIndex(line=1, name="UQ_CODE", table="u")],
        [DataChange(line=1, action="update", table="u", pinned=("w",))],
    ]
    migrations = chain(steps)
    graph = RevisionGraph.build(migrations)
    # asked at each revision's step, before it runs
    expected = [[frozenset({"id"}), frozenset({"code"})], [frozenset({"w"}), frozenset({"code"})],
                [frozenset({"w"}), frozenset({"code"})], [frozenset({"code"})], []]
    for migration, keys in zip(migrations[1:], expected, strict=True):
        ctx = RevisionContext.build(migration, Settings(), graph)
        change = migration.upgrade_changes[0]
        table = "t" if migration.revision in {"r1", "r2"} else "u"
        assert sorted(lookback.table_keys(ctx, change, table), key=sorted) == sorted(keys, key=sorted), migration
        assert lookback.table_keys(ctx, change, "other") == [frozenset({"w"})]
    assert lookback.table_columns(RevisionContext.build(migrations[5], Settings(), graph),
                                  migrations[5].upgrade_changes[0], "u") == {"code"}
