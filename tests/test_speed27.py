"""Issue 13 (branch speed27): whole-module walks the plain and app-calls histories paid in every revision.

Each test counts the walks of a module (``astwalk.nodes_of`` of a tree, what ``module_nodes`` runs) and checks what a
user sees (the findings, the imports' marks) is unchanged."""

from __future__ import annotations

import ast
import json
import random
from pathlib import Path

import pytest

from conftest import ROOT, revision_text, run_cli, where, write_files
from migcheck.extract.sql import statements
from migcheck.extract.sql.tree import _parse
from migcheck.sources.load import load_python
from migcheck.vocabulary import astwalk, revision
from migcheck.vocabulary.astwalk import module_nodes
from test_simple_statements import NAMES, fast_path_taken


@pytest.fixture
def module_walks(monkeypatch: pytest.MonkeyPatch) -> list[ast.AST]:
    """The trees of every module walked whole from here on."""
    walked: list[ast.AST] = []
    real = astwalk.nodes_of

    def counting(tree: ast.AST) -> list[ast.AST]:
        if isinstance(tree, ast.Module):
            walked.append(tree)
        return real(tree)

    monkeypatch.setattr(astwalk, "nodes_of", counting)
    astwalk._WALKED.clear()
    return walked


_SQL = 'op.execute("UPDATE t1 SET name = lower(name) WHERE id < 5")\n'
_APP = 'from myapp.db import helpers\nop.execute("DROP INDEX IF EXISTS ix_legacy")\nhelpers.touch_updated_at(op, "t1")\n'


def test_a_revision_running_sql_is_not_walked_for_global_writers(tmp_path: Path, module_walks: list[ast.AST]) -> None:
    """``op.execute`` holds ``exec``, one of the words of a module that may rebind its globals out of sight, so every
    revision running SQL had every node of its module asked (attack26c's check): the word must stand alone. On
    main: one walk."""
    path = tmp_path / "0001_sql.py"
    path.write_text(revision_text("0001", None, _SQL, head='KIND = "a"'))
    migration = load_python(path, "postgresql")
    assert migration is not None and migration.upgrade is not None
    assert module_walks == []
    assert [type(c).__name__ for c in migration.upgrade.changes] == ["DataChange"]


@pytest.mark.parametrize("writer", ['exec("KIND = 1")', 'globals()["KIND"] = "b"', "setattr(sys.modules[__name__], "
                                    '"KIND", "b")', "from os import *", "global KIND"])
def test_a_global_writer_still_makes_the_module_walked(writer: str) -> None:
    """The twin: a writer standing as a word of its own still sends the module to the walk, whose answer (no
    constant can be trusted, or KIND rebound) is unchanged."""
    text = f'import sys\nKIND = "a"\n{writer}\n' if writer != "global KIND" else \
        f'KIND = "a"\ndef f():\n    {writer}\n    KIND = "b"\n'
    assert "KIND" not in revision.module_constants(ast.parse(text), text)
    assert revision._may_write_globals(text)


@pytest.mark.parametrize(("text", "writes"), [
    ("op.execute('x')", False), ("exec('x')", True), ("x.__dict__", True), ("myglobals()", False),
    ("vars_of(x)", False), ("evaluate(x)", False), ("eval", True), ("from a import\\\n  *", True), ("a.exec(x)", True),
])
def test_what_a_global_writer_word_is(text: str, writes: bool) -> None:
    assert revision._may_write_globals(text) is writes


def test_an_application_call_is_found_without_walking_the_module(tmp_path: Path, module_walks: list[ast.AST]) -> None:
    """A revision that imports application code for one call (the app-calls history) had every node of its module
    asked which names it reads (``_mark_type_only``); only the statements whose lines name the import are walked
    now. On main: one walk of the module."""
    path = tmp_path / "0001_app.py"
    path.write_text(revision_text("0001", None, _APP))
    migration = load_python(path, "postgresql")
    assert migration is not None
    assert module_walks == []
    (helpers,) = [imp for imp in migration.imports if imp.module == "myapp.db"]
    assert (helpers.type_only, helpers.unused, helpers.use_lines) == (False, False, (12,))


def test_the_application_call_findings_are_unchanged(tmp_path: Path) -> None:
    project = write_files(tmp_path, {"migrations/versions/0001_app.py": revision_text("0001", None, _APP)})
    run = run_cli("lint", project / "migrations" / "versions", "--format", "json", "--no-config", "--no-cache",
                  "--fail-on", "never")
    assert where(json.loads(run.stdout)["findings"]) == [
        ("drop-index-not-concurrently", "0001_app.py", 11), ("missing-downgrade", "0001_app.py", 15),
        ("missing-lock-timeout", "0001_app.py", 11), ("raw-sql-not-understood", "0001_app.py", 12)]


def _walked_loads(tree: ast.Module, wanted: set[str]) -> set[int]:
    return {id(n) for n in module_nodes(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in wanted}


def _python_files() -> list[Path]:
    return sorted(p for folder in ("fixtures", "tests", "src") for p in (ROOT / folder).rglob("*.py"))


def test_the_uses_found_by_the_text_are_those_of_a_walk_of_every_node() -> None:
    """Differential: for every Python file of the repository (revisions, tests, migcheck's own code: decorators,
    nested defs, f-strings, comprehensions, match statements, lambdas), the names a walk of every node finds are
    those found from the statements whose lines name them, for every name read and for random sets of them; and
    every import's marks are the same with the text and without it."""
    rng = random.Random(27)
    files = 0
    for path in _python_files():
        try:
            source = path.read_text()
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        files += 1
        names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
        for wanted in [set(names), *({*rng.sample(names, min(len(names), rng.randint(1, 4)))} for _ in range(3))]:
            found = {id(n) for n in revision._loads_of(tree, wanted, source)}
            assert found == _walked_loads(tree, wanted), (path, sorted(wanted))
        assert revision.read_imports(tree, source) == revision.read_imports(tree), path
    assert files > 1000


@pytest.mark.parametrize("source", [
    "import app\n@app.deco\n@other\ndef f():\n    pass\n",  # a decorator above the def's own line
    "import app\nclass A(app.Base):\n    x: app.T = app.v\n",
    "import app\nx = f'''\n{app.a}\n{ app.b !r}'''\n",
    "import app\nmatch x:\n    case [a]:\n        app.f()\n    case _ if app.g:\n        pass\n",
    "import app\ntry:\n    pass\nexcept app.Error:\n    app.h()\nelse:\n    app.i()\nfinally:\n    app.j()\n",
    "import app\nf(lambda: [app.x for y in app.z if app.w])\n",
    "import app\nif (\n    a\n    and app.b\n):\n    pass\n",
    "import app\nx = 1; y = app.a; app.b()\n",
    "import app\nx = app.\\\n  a\n",
    "import app\nx = '''\napp\n'''\n",  # the word inside a string: a line walked, no use found
])
def test_the_uses_of_awkward_shapes_are_found(source: str) -> None:
    tree = ast.parse(source)
    assert {id(n) for n in revision._loads_of(tree, {"app"}, source)} == _walked_loads(tree, {"app"})


def test_a_text_the_lines_of_the_tree_may_not_follow_is_walked_whole(module_walks: list[ast.AST]) -> None:
    """A carriage return ends a line for Python and not for the line count of the text: such a text, a non-ASCII one
    (identifiers folded by NFKC) and a tree without its text (a rewritten Python 2 module) are walked whole."""
    for source in ["import app\rapp.f()\n", "import app\n\uff41pp.f()\n"]:
        tree = ast.parse(source)
        assert {id(n) for n in revision._loads_of(tree, {"app"}, source)} == _walked_loads(tree, {"app"})
    assert len(module_walks) == 2


def _function_statements(rng: random.Random) -> list[str]:
    names = [*NAMES, *["touch_t1_7", "trg_t1_7", "f", "t1", "s.f"] * 4]
    out = []
    for _ in range(600):
        args = rng.choice(["()", "()", "()", "( )", "(int)", "", "(a text)", "()()"])
        tail = rng.choice(["", "", ";", " ; ", " CASCADE", " -- x", "/* c */", ", g()"])
        out.append(f"{rng.choice(['DROP FUNCTION', 'drop function', 'DROP  FUNCTION'])} "
                   f"{rng.choice(['', 'IF EXISTS ', 'if exists ', 'EXISTS '])}{rng.choice(names)}{args}{tail}")
        head = rng.choice(["CREATE TRIGGER", "create trigger", "CREATE TRIGGER", "CREATE OR REPLACE TRIGGER",
                           "CREATE CONSTRAINT TRIGGER"])
        when = rng.choice(["BEFORE", "after", "BEFORE", "AFTER", "INSTEAD OF", "BEFORE INSERT OR"])
        event = rng.choice(["INSERT", "UPDATE", "DELETE", "INSERT", "UPDATE OF name", "TRUNCATE"])
        each = rng.choice(["FOR EACH ROW", "for each statement", "FOR EACH ROW", "FOR ROW",
                           "FOR EACH ROW WHEN (NEW.x > 1)"])
        call = rng.choice(["EXECUTE FUNCTION", "EXECUTE PROCEDURE", "execute function"])
        out.append(f"{head} {rng.choice(names)} {when} {event} ON {rng.choice(names)} {each} {call} "
                   f"{rng.choice(names)}{rng.choice(['()', '()', '( )', '(1)', ''])}{rng.choice(['', ';', ' -- x'])}")
    return out


def test_drop_function_and_create_trigger_read_as_sqlglots_tree_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Differential: the plain history's ``DROP FUNCTION f()`` and ``CREATE TRIGGER .. EXECUTE FUNCTION f()`` read by
    a pattern give what sqlglot's reading gives (every field and the repr), for 1,200 generated statements (about 70 of them taking the fast path)."""
    corpus = ["DROP FUNCTION touch_t1_7()", "DROP FUNCTION IF EXISTS public.touch_t1_7( );",
              "CREATE TRIGGER trg_t1_7 BEFORE INSERT ON t1\n    FOR EACH ROW EXECUTE FUNCTION touch_t1_7()",
              *_function_statements(random.Random(27))]
    assert fast_path_taken(corpus, monkeypatch) > 50  # the fast path is not vacuous


def test_the_plain_historys_functions_and_triggers_need_no_parse(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The trigger revision of the plain history: its CREATE TRIGGER and DROP FUNCTION reach no parse (on main: two
    parses besides the function's own), with the same findings."""
    parsed: list[str] = []

    def counting(sql: str, dialect: str) -> object:
        parsed.append(" ".join(sql.split())[:22])
        return _parse(sql, dialect)

    monkeypatch.setattr(statements, "_parse", counting)
    upgrade = '''
    op.execute("""
        CREATE OR REPLACE FUNCTION touch_t1_7() RETURNS trigger AS $$
        BEGIN
            NEW.name := trim(NEW.name);
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER trg_t1_7 BEFORE INSERT ON t1
            FOR EACH ROW EXECUTE FUNCTION touch_t1_7();
    """)
    op.execute("DROP TRIGGER trg_t1_7 ON t1")
    op.execute("DROP FUNCTION touch_t1_7()")
    '''
    root = write_files(tmp_path, {"versions/a1.py": revision_text("a1", None, upgrade)})
    run = run_cli("lint", root / "versions", "--format", "json", "--no-config", "--no-cache", "--fail-on", "never")
    assert parsed == ["CREATE OR REPLACE FUNC"]
    assert where(json.loads(run.stdout)["findings"]) == [
        ("missing-downgrade", "a1.py", 24), ("missing-lock-timeout", "a1.py", 17)]
