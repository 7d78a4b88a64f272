"""Look-backs for one name (an enum type, a function) give the whole-history walk's answer, reading that name's steps.

downgrade-not-inverse asks whether an earlier step made the enum type of a ``create_table`` column
(downgrade._enum_made_before); add-column-with-volatile-default asks which CREATE FUNCTION of a default's function
ran last (rewrites._declared_not_volatile). Both walked every change of every ancestor per question
(lookback.earlier), quadratic in histories where many revisions ask. The reference below is that walk, asked on
random histories with branches, merges, drops and re-creates, names in mixed case; the counting tests are the
shapes that made lint quadratic, 2,000 revisions each asking once.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import lint_selected, revision_text, where, write_files
from counting import CountingList, chain
from migcheck.facts.postgres import function_volatility
from migcheck.rules import downgrade, lookback, rewrites
from migcheck.rules.context import RevisionContext
from migcheck.rules.enumlife import bare_name
from migcheck.rules.history_index import ApplicationCalls, HistoryIndex, UnreadTexts, sum_bits
from migcheck.sources import python2
from migcheck.vocabulary.changes import (
    AddColumn,
    Change,
    ColumnSpec,
    CreateEnumType,
    CreateTable,
    DropEnumType,
    DropTable,
    RawSQL,
)
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Body, Migration
from migcheck.vocabulary.settings import Settings

ENUMS = ["mood", "Status", "kind"]
FUNCTIONS = ["f_now", "F_Zero", "g"]
VOLATILITY = ["IMMUTABLE", "STABLE", "VOLATILE", ""]


def _enum_type(rng: random.Random) -> str:
    name = rng.choice(ENUMS)
    return rng.choice([f'sa.Enum("a", "b", name="{name}")', f"sa.Enum(models.{name.title()})",
                       f'sa.Enum("a", name="{name}", create_type=False)', "sa.Text()"])


def _random_change(rng: random.Random, line: int) -> Change:
    kind = rng.randrange(7)
    if kind == 0:
        cols = [ColumnSpec(name=f"c{j}", type=_enum_type(rng)) for j in range(rng.randrange(3))]
        return CreateTable(line=line, table=rng.choice(["a", "b"]), columns=cols)
    if kind == 1:
        return CreateEnumType(line=line, name=rng.choice([*ENUMS, "public.mood"]))
    if kind == 2:
        return DropEnumType(line=line, name=rng.choice(ENUMS))
    if kind in (3, 4):
        name = rng.choice(FUNCTIONS)
        sql = f"CREATE {rng.choice(['', 'OR REPLACE '])}FUNCTION {name}() RETURNS int LANGUAGE sql " \
              f"{rng.choice(VOLATILITY)} AS $$ SELECT 0 $$"
        if rng.random() < 0.3:
            sql += f"; CREATE FUNCTION {rng.choice(FUNCTIONS)}(x int) RETURNS int AS 'select 1' {rng.choice(VOLATILITY)}"
        return RawSQL(line=line, text=sql, keyword="CREATE FUNCTION")
    if kind == 5:
        return RawSQL(line=line, text="-- CREATE FUNCTION f_now() IMMUTABLE\nSELECT 1", keyword="SELECT")
    return DropTable(line=line, table=rng.choice(["a", "b"]))


def _random_history(seed: int, count: int = 40) -> list[Migration]:
    rng = random.Random(seed)
    migrations: list[Migration] = []
    for i in range(count):
        ids = [m.revision for m in migrations]
        parents: tuple[str, ...] = ()
        if ids:
            parents = (rng.choice(ids[-3:]),) if rng.random() < 0.85 or len(ids) < 2 \
                else tuple(sorted(rng.sample(ids, 2)))
        up = [_random_change(rng, line) for line in range(1, rng.randrange(2, 6))]
        down = [_random_change(rng, line) for line in range(10, rng.randrange(10, 12))]
        for c in down:
            c.phase = "downgrade"
        migrations.append(Migration(path=Path(f"r{i:03d}.py"), revision=f"r{i:03d}", down_revisions=parents,
                                    upgrade=Body(line=1, changes=up), downgrade=Body(line=9, changes=down)))
    return migrations


# -- the reference: the whole-history walks the rules did before (linH18, 8e4383d) -----------------------------

def _walk(ctx: RevisionContext, change: Change) -> Iterator[Change]:
    yield from reversed(lookback.before(ctx, change))
    for migration in reversed(lookback.ancestors(ctx)):
        yield from reversed(migration.upgrade_changes)


def _walked_enum_made_before(ctx: RevisionContext, change: Change, name: str) -> bool:
    for c in _walk(ctx, change):
        if isinstance(c, DropEnumType) and bare_name(c.name) == name:
            return False
        if isinstance(c, CreateEnumType) and bare_name(c.name) == name:
            return True
        if isinstance(c, CreateTable) and any(downgrade.enum_type_of(col.type) == name for col in c.columns):
            return True
    return False


def _walked_declared_not_volatile(ctx: RevisionContext, change: Change, name: str) -> bool:
    for c in _walk(ctx, change):
        declared = function_volatility(c.text, name) if isinstance(c, RawSQL) and c.text else None
        if declared is not None:
            return declared in {"immutable", "stable"}
    return False


@pytest.mark.parametrize("seed", range(12))
def test_enum_and_function_look_backs_are_the_whole_history_walks(seed: int) -> None:
    migrations = _random_history(seed)
    graph = RevisionGraph.build(migrations)
    asked = enums_found = functions_found = 0
    for migration in migrations:
        ctx = RevisionContext.build(migration, Settings(), graph)
        for change in [*migration.upgrade_changes, *migration.downgrade_changes]:
            for name in [*(n.lower() for n in ENUMS), "public.mood", "other"]:
                expected = _walked_enum_made_before(ctx, change, name)
                assert downgrade._enum_made_before(ctx, change, name) is expected, (migration.revision, change, name)
                enums_found += expected
            for name in [*FUNCTIONS, "f_zero", "other"]:
                expected = _walked_declared_not_volatile(ctx, change, name)
                assert rewrites._declared_not_volatile(ctx, change, name) is expected, (migration.revision, name)
                functions_found += expected
            asked += 1
    assert asked > 100 and enums_found > 15 and functions_found > 15


def test_without_a_graph_only_the_revisions_own_steps_count() -> None:
    made = CreateEnumType(line=1, name="mood")
    table = CreateTable(line=2, table="t", columns=[ColumnSpec(name="m", type='sa.Enum("a", name="mood")')])
    migration = Migration(path=Path("r.py"), revision="r", down_revisions=(), upgrade=Body(line=1, changes=[made, table]))
    ctx = RevisionContext.build(migration, Settings(), None)
    assert downgrade._enum_made_before(ctx, table, "mood")
    assert not downgrade._enum_made_before(ctx, made, "mood")


def test_an_enum_table_in_every_revision_reads_the_history_once() -> None:
    """autogenerate's output on PostgreSQL: 2,000 revisions each create a table with an ``sa.Enum`` column of a new
    type, and downgrade-not-inverse asks whether an earlier step made it. The walk read about 2 million revisions'
    changes (each question went back to the first revision)."""
    body: list[list[Change]] = [[CreateEnumType(line=1, name="shared")]]
    for i in range(1, 2001):
        cols = [ColumnSpec(name="id", type="BIGINT"), ColumnSpec(name="state", type=f'sa.Enum("a", name="e{i}")'),
                ColumnSpec(name="shared", type='sa.Enum("x", name="shared", create_type=False)')]
        body.append([AddColumn(line=1, table=f"u{i % 50}", column=ColumnSpec(name=f"c{i}", type="TEXT")),
                     CreateTable(line=2, table=f"t{i}", columns=cols)])
    migrations = chain(body)
    graph = RevisionGraph.build(migrations)
    CountingList.reads = 0
    for number, migration in enumerate(migrations[1:], start=1):
        ctx = RevisionContext.build(migration, Settings(), graph)
        create = migration.upgrade_changes[1]
        assert not downgrade._enum_made_before(ctx, create, f"e{number}")
        assert downgrade._enum_made_before(ctx, create, "shared")
    assert CountingList.reads < 10 * len(migrations)


def test_a_default_calling_a_function_of_the_first_revision_reads_the_history_once() -> None:
    """A function declared IMMUTABLE in the first revision and called by the default of a column added in each of
    2,000 revisions (add-column-with-volatile-default asks for its last CREATE FUNCTION): the walk went back to
    the first revision for every column."""
    body: list[list[Change]] = [[RawSQL(line=1, keyword="CREATE FUNCTION", text=(
        "CREATE FUNCTION app_default() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 0'"))]]
    for i in range(1, 2001):
        body.append([RawSQL(line=1, keyword="UPDATE", text=f"UPDATE t SET name = 'function {i}' WHERE id = {i}"),
                     AddColumn(line=2, table=f"t{i % 50}", column=ColumnSpec(
                         name=f"c{i}", type="INTEGER", server_default="app_default()"))])
    migrations = chain(body)
    graph = RevisionGraph.build(migrations)
    CountingList.reads = 0
    for migration in migrations[1:]:
        ctx = RevisionContext.build(migration, Settings(), graph)
        add = migration.upgrade_changes[1]
        assert rewrites._declared_not_volatile(ctx, add, "app_default")
        assert not rewrites._declared_not_volatile(ctx, add, "other")
    assert CountingList.reads < 10 * len(migrations)


# -- the application's calls and the SQL not read, searched by name (never_made, table_never_made, uncertain) -----

_WORDS = ["ix_a", "ix_a_b", "t1", "t10", "metadata", "create_all", "index", "keys", "key", "$x", "é_t", "a.b",
          "x" * 80, "ix_" + "a" * 70]


def _random_text(rng: random.Random) -> str | None:
    if rng.random() < 0.05:
        return None
    words = [rng.choice(_WORDS) for _ in range(rng.randrange(0, 5))]
    return "".join(rng.choice([" ", "(", "_", "", ", '", "."]) + w for w in words).lower()


@pytest.mark.parametrize("seed", range(6))
def test_application_calls_and_unread_texts_answer_as_the_scans(seed: int) -> None:
    """ApplicationCalls and UnreadTexts give what scanning every entry gave (linH18): a name as a whole ``[\\w$]``
    word or a pattern in a call, a name anywhere in an unread text (or a text known only at run time)."""
    rng = random.Random(seed)
    entries = [(pos, _random_text(rng)) for pos in range(60) for _ in range(rng.randrange(0, 3))]
    calls = ApplicationCalls([(pos, text) for pos, text in entries if text is not None])
    unread = UnreadTexts(entries)
    names = [*_WORDS, "", "ix", "a", "_a", "x" * 81, "t", "a.b", "-", "$"]
    found = 0
    for name in names:
        for words in (r"metadata|create_all", r"index|constraint|foreign|unique|\bkeys?\b"):
            pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])|{words}")
            for bits in (rng.getrandbits(60), (1 << 60) - 1):
                expected = any(bits >> pos & 1 and pattern.search(text) for pos, text in calls.calls)
                assert bool(bits & (calls.matching(words) | calls.naming(name))) is expected, (name, words)
        expected_bits = sum_bits(pos for pos, text in entries if text is None or name in text)
        assert unread.naming(name) == expected_bits, name
        assert unread.naming(name) == expected_bits  # asked again: the cached answer
        found += bool(expected_bits & ~unread.unknown)
    assert found > 10


class _CountingText(str):
    """An unread text that counts the searches for a name in it."""

    searches = 0

    def __contains__(self, name: object) -> bool:
        _CountingText.searches += 1
        return super().__contains__(name)  # type: ignore[operator]


def test_unread_sql_in_every_revision_is_not_searched_per_question() -> None:
    """2,000 revisions each call a helper of the application (SQL migcheck cannot read) and drop a legacy index
    IF EXISTS (downgrade-not-inverse asks never_made for it): each question searched every unread text (about
    2 million searches); now the texts are indexed once."""
    body: list[list[Change]] = [[CreateTable(line=1, table="t1", columns=[ColumnSpec(name="id", type="BIGINT")])]]
    for i in range(1, 2001):
        body.append([AddColumn(line=1, table="t1", column=ColumnSpec(name=f"c{i}", type="TEXT")),
                     RawSQL(line=2, keyword="", text=f"helpers.touch(op, 't1', {i})", understood=False)])
    migrations = chain(body)
    graph = RevisionGraph.build(migrations)
    index = HistoryIndex.of(graph)
    index.unread_sql[:] = [(pos, None if text is None else _CountingText(text)) for pos, text in index.unread_sql]
    assert len(index.unread_sql) == 2000
    _CountingText.searches = 0
    for migration in migrations[1:]:
        ctx = RevisionContext.build(migration, Settings(), graph)
        drop = migration.upgrade_changes[0]
        assert lookback.never_made(ctx, drop, f"ix_legacy_{migration.revision}")  # no unread text names it
        assert not lookback.never_made(ctx, drop, "t1") or migration.revision == "r1"  # the helpers name t1
    assert _CountingText.searches < 10 * len(migrations)


def test_the_application_calls_of_opaque_revisions_are_read_when_they_are_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each revision calls a helper of the application and drops an index IF EXISTS (downgrade-not-inverse asks
    never_made, which reads every opaque revision's application calls): the calls come from the tree the loader
    parsed, not from a second parse of each module (issue 13, the app-calls shape). What the calls say is unchanged:
    the index a helper may make has a downgrade to restore, the legacy ones never existed."""
    files = {"versions/r00.py": revision_text("r00", None, 'op.create_table("t1", sa.Column("id", sa.Integer()))')}
    for i in range(1, 7):
        helper = 'helpers.setup(op, "ix_shared")' if i == 2 else 'helpers.touch(op, "t1")'
        drop = "ix_shared" if i == 5 else f"ix_legacy_r{i:02}"
        upgrade = f'from myapp import helpers\n{helper}\nop.execute("DROP INDEX IF EXISTS {drop}")'
        files[f"versions/r{i:02}.py"] = revision_text(f"r{i:02}", f"r{i - 1:02}", upgrade).replace(
            "def downgrade():\n    pass", 'def downgrade():\n    op.execute("SELECT 1")')
    project = write_files(tmp_path / "project", files)
    parsed: list[str] = []
    real = python2.module_tree  # what built.py's second parse would call (imported there when it runs)
    monkeypatch.setattr(python2, "module_tree", lambda source: parsed.append(source) or real(source))
    code, found = lint_selected(project, "downgrade-not-inverse")
    assert code == 1 and where(found) == [("downgrade-not-inverse", "r05.py", 12)]
    assert "drops index ix_shared" in str(found[0]["message"])
    assert parsed == []


def test_names_it_compiles_no_pattern_for_a_name_no_line_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 13 (app-calls): each name asked is new, so re's cache never held its pattern, and every question
    compiled one (1,027 compiles, a third of never_made's time at 1,000 revisions); now only a line that may name
    it (a case-blind substring test, ASCII on both sides) gets the pattern compiled."""
    import re

    from migcheck.rules.lookback import names
    from migcheck.sources.load import load_python

    path = tmp_path / "a1.py"
    path.write_text('revision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n    kept = "ix_Other"  # a name the code holds\n'
                    "\n\ndef downgrade():\n    pass\n")
    migration = load_python(path, "postgresql")
    assert migration is not None
    compiled: list[str] = []
    real = re.compile

    class Counting:
        def __getattr__(self, attr: str) -> object:
            return getattr(re, attr)

        @staticmethod
        def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
            compiled.append(pattern)
            return real(pattern, flags)

    monkeypatch.setattr(names, "re", Counting())
    assert not names._names_it(migration, "ix_absent", None)
    assert compiled == []
    assert names._names_it(migration, "IX_OTHER", None)  # case-blind, as PostgreSQL folds unquoted names
    assert len(compiled) == 1
