"""Issue 13 (branch speed28): what the if-absent history paid at every ``if``.

Each ``if`` asked questions of the whole module (the revision's forged dialect objects, its application imports, its
``context`` names) and of the whole function (the names it binds once, fix27a's listed-names guard) that decide
nothing for an existence guard, and four rules each walked back through the history for every guarded step. The
tests count those walks (never time) and check what a user sees (the findings, the guards read) is unchanged."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where, write_files
from migcheck.extract.python import nodes
from migcheck.rules.lookback import existence
from migcheck.sources.load import load_python
from migcheck.vocabulary import astwalk, revision

#: The two guards of the if-absent history (benchmarks/generate.py --shape if-absent).
_GUARDED = '''
if "c5" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("t1")]:
    op.add_column("t1", sa.Column("c5", sa.Text(), nullable=False))
if not sa.inspect(op.get_bind()).has_table("t2"):
    op.create_table("t2", sa.Column("id", sa.Integer(), primary_key=True))
'''

_FIRST = 'op.create_table("t1", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("c5", sa.Text()))'


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often a module is walked whole (astwalk.nodes_of of a tree) and a function's bindings are counted
    (nodes._local_bindings: names_bound_once, a walk of the whole function) from here on."""
    counts = {"module": 0, "function": 0}
    real_nodes, real_bindings = astwalk.nodes_of, nodes._local_bindings

    def counting_nodes(tree: ast.AST) -> list[ast.AST]:
        counts["module"] += isinstance(tree, ast.Module)
        return real_nodes(tree)

    def counting_bindings(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[dict[str, int], set[str]]:
        counts["function"] += 1
        return real_bindings(fn)

    monkeypatch.setattr(astwalk, "nodes_of", counting_nodes)
    monkeypatch.setattr(nodes, "_local_bindings", counting_bindings)
    astwalk._WALKED.clear()
    return counts


def test_an_existence_guard_walks_neither_its_module_nor_its_function(tmp_path: Path, walks: dict[str, int]) -> None:
    """``if "c" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("t")]`` reads ``op.get_bind()``, so
    the dialect test asked for the module's forgeries; the listed-names guard counted the function's bindings, the
    application-helper guard read the module's imports, the offline-mode test its ``context`` names: none of them
    decides here. On main: 1 module walk and 1 count of the function's bindings."""
    path = tmp_path / "0002_guarded.py"
    path.write_text(revision_text("0002", "0001", _GUARDED))
    migration = load_python(path, "postgresql")
    assert migration is not None and migration.upgrade is not None
    assert walks == {"module": 0, "function": 0}
    assert [(type(c).__name__, c.unless_exists, c.conditional) for c in migration.upgrade.changes] == [
        ("AddColumn", True, True), ("CreateTable", True, True)]


def test_a_listed_names_guard_still_counts_the_functions_bindings(tmp_path: Path, walks: dict[str, int]) -> None:
    """The twin: a name bound to an inspector's list and read in the test (held-out-27 #43) is where the bindings
    decide; they are counted once and the guard is read."""
    upgrade = ('present = [c["name"] for c in sa.inspect(op.get_bind()).get_columns("t1")]\n'
               'if "c5" not in present:\n    op.add_column("t1", sa.Column("c5", sa.Text(), nullable=False))\n')
    path = tmp_path / "0002_listed.py"
    path.write_text(revision_text("0002", "0001", upgrade))
    migration = load_python(path, "postgresql")
    assert migration is not None and migration.upgrade is not None
    assert walks["function"] == 1
    assert [(type(c).__name__, c.unless_exists) for c in migration.upgrade.changes] == [("AddColumn", True)]


@pytest.mark.parametrize(("test", "dialect", "runs"), [
    ('op.get_bind().dialect.name == "postgresql"', "postgresql", True),
    ('op.get_bind().dialect.name == "postgresql"', "mysql", False),
    ('not op.get_bind().dialect.name.startswith("mysql")', "mysql", False),
    ('"c5" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("t1")]', "mysql", None),
])
def test_dialect_tests_are_still_decided(tmp_path: Path, test: str, dialect: str, runs: bool | None) -> None:
    """A comparison or a call that is a dialect test still decides its branch (its forgeries asked then): the step
    of a branch the dialect never takes is left out, one it always takes is unconditional."""
    path = tmp_path / "0002_dialect.py"
    path.write_text(revision_text("0002", "0001", f'if {test}:\n    op.create_index("ix", "t1", ["c5"])\n'))
    migration = load_python(path, dialect)
    assert migration is not None and migration.upgrade is not None
    found = [c.conditional for c in migration.upgrade.changes]
    assert found == ([] if runs is False else [False] if runs else [True])


def test_a_forged_dialect_test_still_decides_nothing(tmp_path: Path) -> None:
    """attack24's twin: the revision's own object looks like the connection; asked lazily, its test still decides
    nothing (both branches read)."""
    head = 'class fake:\n    class dialect:\n        name = "sqlite"\n'
    path = tmp_path / "0002_forged.py"
    path.write_text(revision_text("0002", "0001", 'if fake.dialect.name == "sqlite":\n'
                                  '    op.create_index("ix", "t1", ["c5"])\n', head=head))
    migration = load_python(path, "postgresql")
    assert migration is not None and migration.upgrade is not None
    assert [c.conditional for c in migration.upgrade.changes] == [True]


def _history(tmp_path: Path) -> Path:
    first = revision_text("0001", None, _FIRST).replace("    pass\n", '    op.drop_table("t1")\n')
    second = revision_text("0002", "0001", _GUARDED).replace("    pass\n", '    op.drop_column("t1", "c5")\n')
    return write_files(tmp_path, {"versions/0001_t1.py": first, "versions/0002_guarded.py": second}) / "versions"


def test_the_rules_ask_once_whether_a_guarded_step_is_already_made(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine (before the lock rules), downgrade-not-inverse twice and mixed-schema-and-data-change ask whether a
    guarded step changes nothing, and each answer walked back through its table's history: once per step now. On
    main: 8 walks for the 2 guarded steps."""
    asked: list[str] = []
    real = existence.already_made

    def counting(ctx: object, change: object) -> bool:
        asked.append(type(change).__name__)
        return real(ctx, change)  # type: ignore[arg-type]

    monkeypatch.setattr(existence, "already_made", counting)
    run = run_cli("lint", _history(tmp_path), "--format", "json", "--no-config", "--no-cache", "--fail-on", "never")
    assert sorted(asked) == ["AddColumn", "CreateTable"]
    assert where(json.loads(run.stdout)["findings"]) == [
        ("downgrade-not-inverse", "0002_guarded.py", 13), ("missing-lock-timeout", "0002_guarded.py", 11)]


def test_the_guarded_history_findings_are_unchanged(tmp_path: Path) -> None:
    """The column the history already made is never added again (no NOT NULL failure); the new table is made,
    and downgrade() leaves it."""
    run = run_cli("lint", _history(tmp_path), "--format", "json", "--no-config", "--no-cache", "--fail-on", "info")
    assert run.exit_code == 1
    found = json.loads(run.stdout)["findings"]
    assert where(found) == [("downgrade-not-inverse", "0002_guarded.py", 13),
                            ("missing-lock-timeout", "0002_guarded.py", 11)]
    assert "the next upgrade's existence guard skips the step" in found[0]["message"] + found[1]["message"]


def test_an_application_imports_uses_are_not_searched_for_from_the_module(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """app-calls: the parents of each use of an application import (is it a column type?) are mapped from the
    expression the use was found in, not searched for down from every statement of the module by position (on main:
    the search ran for each use). The import's marks are unchanged (test_speed27's differential covers every file of
    the repository)."""
    searched: list[ast.AST] = []
    real = revision._path_to

    def counting(top: ast.AST, target: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
        searched.append(target)
        return real(top, target, parents)

    monkeypatch.setattr(revision, "_path_to", counting)
    upgrade = ('from myapp.db import helpers, types\nop.add_column("t1", sa.Column("c5", types.GUID()))\n'
               'helpers.touch_updated_at(op, "t1")\n')
    path = tmp_path / "0002_app.py"
    path.write_text(revision_text("0002", "0001", upgrade))
    migration = load_python(path, "postgresql")
    assert migration is not None
    assert searched == []
    (imported,) = [imp for imp in migration.imports if imp.module == "myapp.db"]
    assert (imported.type_only, imported.unused, imported.use_lines) == (False, False, (11, 12))
