"""The history index answers look-back questions as a replay of the whole history would, without the replay.

The reference below is the forward replay migcheck used before the index (every ancestor's changes,
oldest first, for every question); random histories with branches, merges, ``depends_on``, renames of
columns and tables, drops, CHECK constraints validated later and commits are asked every question both
ways. The last test counts how many changes a history of 2,000 revisions makes the rules read.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from counting import CountingList
from migcheck.facts.postgres import not_null_check_column
from migcheck.rules import constraints, lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import HistoryIndex
from migcheck.rules.lookback import existence
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
    ValidateConstraint,
)
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Body, Migration
from migcheck.vocabulary.settings import Settings

TABLES = ["a", "B", "c"]
COLUMNS = ["x", "Y", "z"]
TYPES = ["INTEGER", "TEXT", "BIGINT", None]


def _random_change(rng: random.Random, line: int) -> Change:
    t, c = rng.choice(TABLES), rng.choice(COLUMNS)
    kind = rng.randrange(13)
    if kind == 0:
        cols = [ColumnSpec(name=rng.choice(COLUMNS), type=rng.choice(TYPES), nullable=rng.choice([True, False, None]),
                           server_default=rng.choice(["0", None])) for _ in range(rng.randrange(3))]
        return CreateTable(line=line, table=t, columns=cols)
    if kind == 1:
        return AddColumn(line=line, table=t, column=ColumnSpec(name=c, type=rng.choice(TYPES),
                                                               nullable=rng.choice([True, False])))
    if kind in (2, 3):
        return AlterColumn(line=line, table=t, column=c, type=rng.choice(TYPES),
                           nullable=rng.choice([True, False, None]), server_default_changed=rng.random() < 0.3,
                           server_default=rng.choice(["1", None]))
    if kind == 4:
        return RenameColumn(line=line, table=t, column=c, new_name=rng.choice(COLUMNS))
    if kind == 5:
        return RenameTable(line=line, table=t, new_name=rng.choice(TABLES).lower())
    if kind == 6:
        return DropColumn(line=line, table=t, column=c)
    if kind == 7:
        return DropTable(line=line, table=t)
    if kind in (8, 9):
        return AddConstraint(line=line, kind_of="check", name=rng.choice(["ck1", "CK2", "ck3", None]),
                             table=t.upper() if rng.random() < 0.2 else t,
                             condition=f"{c} IS NOT NULL" if rng.random() < 0.8 else f"{c} > 0",
                             not_valid=rng.random() < 0.5, in_transaction=rng.random() < 0.9)
    if kind == 10:
        return ValidateConstraint(line=line, name=rng.choice(["ck1", "ck2", "ck3"]),
                                  table=rng.choice([t, None]))
    if kind == 11:
        return DropConstraint(line=line, name=rng.choice(["ck1", "ck2", "CK3"]), table=t)
    return RawSQL(line=line, text="COMMIT", keyword=rng.choice(["COMMIT", "SELECT"]))


def _random_history(seed: int, count: int = 40) -> list[Migration]:
    rng = random.Random(seed)
    migrations: list[Migration] = []
    for i in range(count):
        ids = [m.revision for m in migrations]
        parents: tuple[str, ...] = ()
        if ids:
            parents = (rng.choice(ids[-3:]),) if rng.random() < 0.9 or len(ids) < 2 else tuple(sorted(rng.sample(ids, 2)))
        depends = (rng.choice(ids),) if ids and rng.random() < 0.05 else ()
        changes = [_random_change(rng, line) for line in range(1, rng.randrange(1, 6))]
        migrations.append(Migration(path=Path(f"r{i:03d}.py"), revision=f"r{i:03d}", down_revisions=parents,
                                    depends_on=depends, upgrade=Body(line=1, changes=changes)))
    return migrations


# -- the reference: replay every earlier change, oldest first (migcheck before the index) --------------------

def _prior(ctx: RevisionContext, change: Change) -> Iterator[Change]:
    graph = ctx.graph
    assert graph is not None
    order = {m.revision: i for i, m in enumerate(graph.upgrade_order())}
    for rev in sorted(graph.ancestors(ctx.migration.revision), key=lambda r: order.get(r, -1)):
        yield from graph.by_id[rev].upgrade_changes
    yield from lookback.before(ctx, change)


_UNSET = object()


def _replay_column(ctx: RevisionContext, change: Change, table: str, column: str,
                   of_spec: Callable[[ColumnSpec], object], of_alter: Callable[[AlterColumn], object]) -> object:
    known: dict[tuple[str, str], object] = {}
    for c in _prior(ctx, change):
        if isinstance(c, CreateTable):
            for col in c.columns:
                if col.name:
                    known[(c.table.lower(), col.name.lower())] = of_spec(col)
        elif isinstance(c, AddColumn) and c.column.name:
            known[(c.table.lower(), c.column.name.lower())] = of_spec(c.column)
        elif isinstance(c, AlterColumn):
            value = of_alter(c)
            if value is not _UNSET:
                known[(c.table.lower(), c.column.lower())] = value
        elif isinstance(c, RenameColumn):
            if (c.table.lower(), c.column.lower()) in known:
                known[(c.table.lower(), c.new_name.lower())] = known.pop((c.table.lower(), c.column.lower()))
        elif isinstance(c, RenameTable):
            for key in [k for k in known if k[0] == c.table.lower()]:
                known[(c.new_name.lower(), key[1])] = known.pop(key)
        elif isinstance(c, DropColumn):
            known.pop((c.table.lower(), c.column.lower()), None)
        elif isinstance(c, DropTable):
            for key in [k for k in known if k[0] == c.table.lower()]:
                known.pop(key)
    return known.get((table.lower(), column.lower()))


def _replay_check(ctx: RevisionContext, change: Change, table: str, column: str) -> bool:
    checks: dict[str, AddConstraint] = {}
    valid: set[str] = set()
    unnamed: list[AddConstraint] = []
    for c in _prior(ctx, change):
        if isinstance(c, AddConstraint) and c.kind_of == "check" and (c.table or "").lower() == table.lower() \
                and (not_null_check_column(c.condition) or "").lower() == column.lower():
            if c.name:
                checks[c.name.lower()] = c
                if not c.not_valid:
                    valid.add(c.name.lower())
            elif not c.not_valid:
                unnamed.append(c)
        elif isinstance(c, ValidateConstraint) and c.name and c.name.lower() in checks:
            valid.add(c.name.lower())
        elif isinstance(c, DropConstraint) and c.name:
            checks.pop(c.name.lower(), None)
            valid.discard(c.name.lower())
        elif isinstance(c, DropTable) and c.table.lower() == table.lower():
            checks.clear()
            valid.clear()
            unnamed.clear()
    return bool(valid or unnamed)


def _replay_commit_between(graph: RevisionGraph, origin: str, revision: str) -> bool:
    between = graph.ancestors(revision) - graph.ancestors(origin) - {origin}
    return any(lookback.is_commit(c) for rev in between for c in graph.by_id[rev].upgrade_changes)


@pytest.mark.parametrize("seed", range(8))
def test_every_look_back_question_gets_the_replays_answer(seed: int) -> None:
    migrations = _random_history(seed)
    graph = RevisionGraph.build(migrations)
    settings = Settings()
    facts = [
        (lookback.column_type, lambda col: col.type, lambda alter: alter.type if alter.type else _UNSET),
        (lookback.column_nullable, lambda col: not col.is_not_null,
         lambda alter: alter.nullable if alter.nullable is not None else _UNSET),
        (lookback.column_server_default, lambda col: col.server_default is not None,
         lambda alter: (alter.server_default is not None) if alter.server_default_changed else _UNSET),
    ]
    asked = 0
    order = {m.revision: i for i, m in enumerate(graph.upgrade_order())}
    index = HistoryIndex.of(graph)
    for migration in migrations:
        ctx = RevisionContext.build(migration, settings, graph)
        for change in migration.upgrade_changes:
            for table in TABLES:
                for column in COLUMNS:
                    for ask, of_spec, of_alter in facts:
                        expected = _replay_column(ctx, change, table, column, of_spec, of_alter)
                        expected = expected if isinstance(expected, (str, bool)) else None
                        assert ask(ctx, change, table, column) == expected, (migration.revision, change, table,
                                                                            column, ask.__name__)
                    has_check = lookback.validated_not_null_check(ctx, change, table, column) is not None
                    assert has_check == _replay_check(ctx, change, table, column)
                    asked += 1
        for other in migrations:
            assert index.commit_between(other.revision, migration.revision) == \
                _replay_commit_between(graph, other.revision, migration.revision)
        assert [m.revision for m in lookback.ancestors(ctx)] == sorted(graph.ancestors(migration.revision),
                                                                       key=order.__getitem__)
    assert asked > 100


def test_a_rename_chain_longer_than_the_recursion_limit_is_followed() -> None:
    """A column renamed back and forth 1,500 times still has the type it was created with."""
    changes: list[Change] = [AddColumn(line=1, table="t", column=ColumnSpec(name="c0", type="INTEGER"))]
    changes += [RenameColumn(line=i + 2, table="t", column=f"c{i}", new_name=f"c{i + 1}") for i in range(1500)]
    last = AlterColumn(line=2000, table="t", column="c1500", nullable=False)
    migration = Migration(path=Path("one.py"), revision="one", down_revisions=(),
                          upgrade=Body(line=1, changes=[*changes, last]))
    ctx = RevisionContext.build(migration, Settings(), RevisionGraph.build([migration]))
    assert lookback.column_type(ctx, last, "t", "c1500") == "INTEGER"


@pytest.mark.parametrize("shape", ["not-null", "alter-type", "validate-next"])
def test_look_back_reads_each_revision_once_not_once_per_question(shape: str) -> None:
    """Before the index, every SET NOT NULL, type change without existing_type and VALIDATE in a later
    revision read every earlier revision again: 2,000 such revisions on one busy table read about 2 million
    revisions' changes. Now the history is read once, when the index is built."""
    create = CreateTable(line=1, table="t", columns=[ColumnSpec(name="c0", type="TEXT", nullable=True)])
    migrations = [Migration(path=Path("base.py"), revision="r0", down_revisions=(),
                            upgrade=Body(line=1, changes=CountingList([create])))]
    questions: list[tuple[Migration, Change]] = []
    for i in range(1, 2001):
        if shape == "not-null":
            change: Change = AlterColumn(line=1, table="t", column=f"c{i - 1}", nullable=False)
        elif shape == "alter-type":
            change = AlterColumn(line=1, table="t", column=f"c{i - 1}", type="VARCHAR(10)")
        else:
            change = ValidateConstraint(line=1, name=f"ck{i - 1}", table="t")
        extra: list[Change] = [
            AddColumn(line=2, table="t", column=ColumnSpec(name=f"c{i}", type="TEXT", nullable=True)),
            AddConstraint(line=3, kind_of="check", name=f"ck{i}", table="t", condition=f"c{i} IS NOT NULL",
                          not_valid=True),
        ]
        migration = Migration(path=Path(f"r{i}.py"), revision=f"r{i}", down_revisions=(f"r{i - 1}",),
                              upgrade=Body(line=1, changes=CountingList([change, *extra])))
        migrations.append(migration)
        questions.append((migration, change))
    graph = RevisionGraph.build(migrations)
    CountingList.reads = 0
    for number, (migration, change) in enumerate(questions, start=1):
        ctx = RevisionContext.build(migration, Settings(), graph)
        if isinstance(change, AlterColumn):
            assert lookback.column_type(ctx, change, "t", change.column) == "TEXT"
            assert lookback.column_nullable(ctx, change, "t", change.column) is True
            assert lookback.validated_not_null_check(ctx, change, "t", change.column) is None
        elif number > 1:
            assert isinstance(change, ValidateConstraint)
            found = constraints._find_not_valid(ctx, change)
            assert found is not None and found[0].revision == f"r{number - 1}"
            assert not constraints._commit_between(ctx, found[0], found[1], change)
    assert CountingList.reads < 10 * len(migrations)


def _recreated_later_by_walking(ctx: RevisionContext, change: Change, table: str, column: str | None) -> bool:
    """rolling._recreated_later as it was: every later revision's changes, walked for every question."""
    graph = ctx.graph
    assert graph is not None
    order = list(graph.upgrade_order())
    position = next((i for i, m in enumerate(order) if m.revision == ctx.migration.revision), len(order))
    name, col = table.lower(), column.lower() if column else None
    rest = [ctx.migration.upgrade_changes[i + 1:] for i, c in enumerate(ctx.migration.upgrade_changes)
            if c is change][:1]
    for changes in [*rest, *(later.upgrade_changes for later in order[position + 1:])]:
        for c in changes:
            if col is None and ((isinstance(c, CreateTable) and c.table.lower() == name)
                                or (isinstance(c, RenameTable) and c.new_name.lower() == name)):
                return True
            if col is not None:
                if isinstance(c, AddColumn) and c.table.lower() == name and (c.column.name or "").lower() == col:
                    return True
                if isinstance(c, RenameColumn) and c.table.lower() == name and c.new_name.lower() == col:
                    return True
                if isinstance(c, CreateTable) and c.table.lower() == name:
                    return True
    return False


@pytest.mark.parametrize("seed", range(25))
def test_created_again_later_is_one_lookup_with_the_same_answers(seed: int) -> None:
    """rolling's "is this table or column created again later?" comes from the index (it walked every
    later revision for each drop, quadratic in drops x history); same answers on random histories."""
    from migcheck.rules.rolling import _recreated_later

    migrations = _random_history(seed, count=60)
    graph = RevisionGraph.build(migrations)
    asked = 0
    for migration in migrations:
        ctx = RevisionContext.build(migration, Settings(), graph)
        for change in migration.upgrade_changes:
            if isinstance(change, (DropTable, RenameTable)):
                questions = [(change.table, None)]
            elif isinstance(change, (DropColumn, RenameColumn)):
                questions = [(change.table, change.column), (change.table, None)]
            else:
                continue
            for table, column in questions:
                asked += 1
                assert _recreated_later(ctx, change, table, column) == \
                    _recreated_later_by_walking(ctx, change, table, column), (migration.revision, table, column)
    assert asked > 20


# -- guarded steps: "does this index already exist?", "can the history be trusted about this table?" ----------

def _random_guarded_change(rng: random.Random, line: int) -> Change:
    t = rng.choice([*TABLES, "{name}", "?"]) if rng.random() < 0.1 else rng.choice(TABLES)
    conditional = rng.random() < 0.15
    kind = rng.randrange(7)
    if kind in (0, 1):
        return CreateIndex(line=line, name=rng.choice(["ix1", "IX2", "ix3"]), table=t, columns=["x"],
                           conditional=conditional)
    if kind == 2:
        return DropIndex(line=line, name=rng.choice(["ix1", "ix2", "IX3"]), table=rng.choice([t, None]),
                         conditional=conditional)
    if kind == 3:
        return RawSQL(line=line, text=rng.choice([None, "UPDATE a SET x = 1", "DELETE FROM b", "VACUUM"]),
                      understood=rng.random() < 0.5)
    if kind == 4:
        return AddColumn(line=line, table=t, column=ColumnSpec(name="x", type="INTEGER"), conditional=conditional)
    return _random_change(rng, line)


def _walked_index_exists(ctx: RevisionContext, change: Change, name: str, table: str) -> bool:
    """existence._index_exists as it was: every earlier change, newest first."""
    for c in lookback.earlier(ctx, change):
        if isinstance(c, DropIndex) and (c.name or "").lower() == name.lower():
            return False
        if isinstance(c, DropTable | RenameTable | DropColumn) and c.table.lower() == table.lower():
            return False
        if isinstance(c, CreateIndex) and (c.name or "").lower() == name.lower():
            return not c.conditional and (c.table or "").lower() == table.lower()
    return False


def _walked_history_certain(ctx: RevisionContext, change: Change, table: str) -> bool:
    """existence._history_certain as it was: every earlier change, newest first."""
    for c in lookback.earlier(ctx, change):
        if isinstance(c, RawSQL):
            if not c.understood and (c.text is None or table.lower() in c.text.lower()):
                return False
            continue
        names = [getattr(c, "table", None), c.new_name if isinstance(c, RenameTable) else None]
        if any(isinstance(n, str) and (n == "?" or n.startswith("<") or "{" in n) for n in names):
            return False
        if c.conditional and any(isinstance(n, str) and n.lower() == table.lower() for n in names):
            return False
    return True


def _walked_created_index(ctx: RevisionContext, change: Change, name: str) -> CreateIndex | None:
    return next((c for c in lookback.earlier(ctx, change)
                 if isinstance(c, CreateIndex) and (c.name or "").lower() == name.lower()), None)


@pytest.mark.parametrize("seed", range(12))
def test_guarded_step_questions_get_the_walks_answer(seed: int) -> None:
    """The index's answers for guarded steps equal the walk back through every earlier change that answered
    them before (which made a history of guarded CREATE INDEX quadratic: 1,000 revisions 2.0 s, 4,000 16.9 s)."""
    rng = random.Random(seed)
    migrations = _random_history(seed, count=50)
    for migration in migrations:
        migration.upgrade.changes[:] = [_random_guarded_change(rng, line) for line in range(1, rng.randrange(2, 7))]
    graph = RevisionGraph.build(migrations)
    asked = 0
    for migration in migrations:
        ctx = RevisionContext.build(migration, Settings(), graph)
        for change in migration.upgrade_changes:
            for table in TABLES:
                assert existence._history_certain(ctx, change, table) == _walked_history_certain(ctx, change, table)
                for name in ("ix1", "IX2", "ix3"):
                    assert existence._index_exists(ctx, change, name, table) == \
                        _walked_index_exists(ctx, change, name, table), (migration.revision, change, name, table)
                    asked += 1
            for name in ("ix1", "ix2", "IX3", "none"):
                assert lookback.created_index(ctx, change, name) is _walked_created_index(ctx, change, name)
    assert asked > 500


def test_guarded_steps_read_each_revision_once_not_once_per_question() -> None:
    """2,000 revisions each with ``try: op.create_index(...)`` (a new index, so no step certainly fails) read
    the history once, when the index is built."""
    migrations = [Migration(path=Path("base.py"), revision="r0", down_revisions=(),
                            upgrade=Body(line=1, changes=CountingList([CreateTable(line=1, table="t", columns=[
                                ColumnSpec(name="x", type="INTEGER")])])))]
    questions: list[tuple[Migration, Change]] = []
    for i in range(1, 2001):
        change = CreateIndex(line=2, name=f"ix{i}", table="t", columns=["x"], guarded=(1,))
        migration = Migration(path=Path(f"r{i}.py"), revision=f"r{i}", down_revisions=(f"r{i - 1}",),
                              upgrade=Body(line=1, changes=CountingList([change])))
        migrations.append(migration)
        questions.append((migration, change))
    graph = RevisionGraph.build(migrations)
    CountingList.reads = 0
    for migration, change in questions:
        ctx = RevisionContext.build(migration, Settings(), graph)
        assert not lookback.changes_nothing(ctx, change)
        assert lookback.created_index(ctx, change, "ix_missing") is None
    assert CountingList.reads < 10 * len(migrations)
