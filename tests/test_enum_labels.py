"""An enum type's labels as the history leaves them (rules/enumlabels.py), for missing-downgrade's label-only swaps.

The fixtures (fixtures/rules/missing-downgrade/*enum_swap*) show the rule's verdicts; these pin the look-back's
answers on histories a fixture would need many files for: swaps chained through renames, a type made by a
``create_table`` after one already existed, steps the look-back does not follow, and its cost.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from counting import CountingList, chain
from migcheck.rules.context import RevisionContext
from migcheck.rules.enumlabels import label_only_swaps, labels_before, sql_labels
from migcheck.vocabulary.changes import (
    AlterColumn,
    Change,
    ColumnSpec,
    CreateEnumType,
    CreateTable,
    DropEnumType,
    RawSQL,
)
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Body, Migration
from migcheck.vocabulary.settings import Settings


@pytest.mark.parametrize(("sql", "labels"), [
    ("CREATE TYPE mood AS ENUM ('happy', 'sad')", ("happy", "sad")),
    ('create type "public"."mood" as enum (\n  \'it\'\'s ok\' ,\'b\'\n);', ("it's ok", "b")),
    ("CREATE TYPE mood AS ENUM ()", ()),
    ("CREATE TYPE mood AS ENUM (E'a\\'b')", None),  # an escape string: not read
    ("CREATE TYPE mood AS ENUM ('a', 'b'", None),
    ("CREATE TYPE mood AS ENUM ('a' 'b')", None),
    ("CREATE TYPE mood AS (a int)", None),
    (None, None),
])
def test_the_labels_of_create_type_as_enum(sql: str | None, labels: tuple[str, ...] | None) -> None:
    assert sql_labels(sql) == labels


def test_a_long_list_of_blanks_is_read_in_one_pass() -> None:
    assert sql_labels("CREATE TYPE x AS ENUM (" + " " * 200_000 + "'a'" + " " * 200_000) is None


def _create(name: str, *labels: str) -> CreateEnumType:
    listed = ", ".join(f"'{label}'" for label in labels)
    return CreateEnumType(line=1, name=name, sql=f"CREATE TYPE {name} AS ENUM ({listed})", origin="sql")


def _sql(text: str) -> RawSQL:
    return RawSQL(line=1, text=text, keyword=" ".join(text.split()[:2]).upper())


def _swap(name: str, *labels: str) -> list[Change]:
    return [_sql(f"ALTER TYPE {name} RENAME TO {name}_old"), _create(name, *labels),
            AlterColumn(line=1, table="t", column="c", type=name, using=f"CAST(CAST(c AS TEXT) AS {name})"),
            DropEnumType(line=1, name=f"{name}_old")]


def _asked(body: list[list[Change]], name: str = "mood") -> frozenset[str] | None:
    """The labels of ``name`` before the last revision's first step."""
    migrations = chain(body)
    graph = RevisionGraph.build(migrations)
    last = migrations[-1]
    return labels_before(RevisionContext.build(last, Settings(), graph), last.upgrade_changes[0], name)


def test_labels_follow_add_value_and_earlier_swaps() -> None:
    body: list[list[Change]] = [
        [_create("mood", "happy", "sad")],
        [_sql("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'sad'")],
        _swap("mood", "happy", "sad", "meh", "angry"),
        [_sql("ALTER TYPE mood ADD VALUE 'calm'")],
        [_sql("SELECT 1")],
    ]
    assert _asked(body) == {"happy", "sad", "meh", "angry", "calm"}


def test_a_type_renamed_into_the_name_keeps_its_labels() -> None:
    body: list[list[Change]] = [
        [_create("mood_v2", "a", "b")],
        [_sql("ALTER TYPE mood_v2 ADD VALUE 'c'"), _sql("ALTER TYPE mood_v2 RENAME TO mood")],
        [_sql("ALTER TYPE mood ADD VALUE 'd'")],
        [_sql("SELECT 1")],
    ]
    assert _asked(body) == {"a", "b", "c", "d"}


def test_create_table_makes_the_type_only_when_nothing_made_it_before() -> None:
    def table(*labels: str) -> CreateTable:
        listed = ", ".join(f"'{label}'" for label in labels)
        return CreateTable(line=1, table="t", columns=[ColumnSpec(name="m", type=f"Enum({listed}, name='mood')")])

    assert _asked([[table("a", "b")], [_sql("ALTER TYPE mood ADD VALUE 'c'")], [_sql("SELECT 1")]]) == {"a", "b", "c"}
    # an earlier CREATE TYPE made it: the create_table's own list is not the type's
    assert _asked([[_create("mood", "x")], [table("a", "b")], [_sql("SELECT 1")]]) == {"x"}
    # dropped, then made again by a create_table
    assert _asked([[_create("mood", "x")], [DropEnumType(line=1, name="mood"), table("a")],
                   [_sql("SELECT 1")]]) == {"a"}


@pytest.mark.parametrize("unknown", [
    [[_sql("ALTER TYPE mood ADD VALUE 'c'")]],  # made outside the history (create_all)
    [[_create("mood", "a")], [_sql("ALTER TYPE mood RENAME VALUE 'a' TO 'b'")]],
    [[CreateEnumType(line=1, name="mood")]],  # sa.Enum(...).create(bind): its labels are not read
    [[CreateTable(line=1, table="t", columns=[ColumnSpec(name="m", type="Enum(*LABELS, name='mood')")])]],
    [[_create("mood", "a")], [_sql("ALTER TYPE mood RENAME TO mood_old")]],
])
def test_what_the_look_back_does_not_follow_leaves_the_labels_unknown(unknown: list[list[Change]]) -> None:
    assert _asked([*unknown, [_sql("SELECT 1")]]) is None


def test_only_a_swap_that_keeps_every_label_is_an_addition() -> None:
    for labels, added in [(("a", "b", "c"), True), (("c", "b", "a"), True), (("a", "c"), False)]:
        migrations = chain([[_create("mood", "a", "b")], _swap("mood", *labels)])
        ctx = RevisionContext.build(migrations[1], Settings(), RevisionGraph.build(migrations))
        found = label_only_swaps(ctx, migrations[1].upgrade_changes)
        assert len(found) == (4 if added else 0), labels


def test_a_drop_cascade_or_another_step_on_the_type_is_no_swap() -> None:
    cascade = _swap("mood", "a", "b", "c")
    cascade[-1] = DropEnumType(line=1, name="mood_old", sql="DROP TYPE mood_old CASCADE")
    interleaved = _swap("mood", "a", "b", "c")
    interleaved.insert(2, _sql("ALTER TYPE mood ADD VALUE 'd'"))
    for steps in (cascade, interleaved):
        migrations = chain([[_create("mood", "a", "b")], steps])
        ctx = RevisionContext.build(migrations[1], Settings(), RevisionGraph.build(migrations))
        assert label_only_swaps(ctx, migrations[1].upgrade_changes) == set()


def test_without_a_graph_only_the_revisions_own_steps_count() -> None:
    steps = [_create("mood", "a"), *_swap("mood", "a", "b")]
    migration = Migration(path=Path("r.py"), revision="r", down_revisions=(), upgrade=Body(line=1, changes=steps))
    ctx = RevisionContext.build(migration, Settings(), None)
    assert labels_before(ctx, steps[1], "mood") == {"a"}
    assert len(label_only_swaps(ctx, steps)) == 4


def test_a_swap_in_every_revision_reads_the_history_once() -> None:
    """2,000 revisions each swap one of 40 types for one with a label more: each question reads the steps on its
    type only, and stops at the create before it."""
    body: list[list[Change]] = [[_create(f"mood{k}", "l0") for k in range(40)]]
    for i in range(1, 2001):
        body.append(_swap(f"mood{i % 40}", *(f"l{j}" for j in range(i // 40 + 2))))
    migrations = chain(body)
    graph = RevisionGraph.build(migrations)
    CountingList.reads = 0
    for migration in migrations[1:]:
        ctx = RevisionContext.build(migration, Settings(), graph)
        assert len(label_only_swaps(ctx, migration.upgrade_changes)) == 4
    assert CountingList.reads < 10 * len(migrations)
