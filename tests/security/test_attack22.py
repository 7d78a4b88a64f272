"""Attacker review of round 22's additions (application dialect helpers, script locations without env.py, the
materialized-view exemption of drop-index-not-concurrently, lineage_bits, empty-migration's leftover routines).

Each test is a pull request a stranger could send: a real change hidden from the report, or work that grows
faster than the input.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import lint_findings as _findings
from conftest import revision_text as _revision
from conftest import write_files as _write
from counting import CountingList, count_history_reads
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration


def test_a_helper_calling_its_own_parameter_is_not_read_as_the_module_function(tmp_path: Path) -> None:
    """``def is_sqlite(conn, check=always): return check(conn)``: the call is of the parameter (``always``: True),
    not of the module's ``def check`` (False on PostgreSQL). Read as the latter, the drop below was left out as the
    branch PostgreSQL never takes."""
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "utils/__init__.py": "",
        "utils/database.py": """
            def check(conn):
                return conn.engine.name == "sqlite"


            def always(conn):
                return True


            def is_sqlite(conn, check=always):
                return check(conn)
        """,
        "alembic/versions/0001_drop.py": _revision("0001", None, """
            if is_sqlite(op.get_bind()):
                op.drop_table("users")
        """, head="from utils.database import is_sqlite"),
    })
    assert ("drop-table", "0001_drop.py", 11) in _findings(root, "--dialect", "postgresql", "--select", "drop-table")


def _index_revision(rid: str, down: str | None) -> str:
    return _revision(rid, down, f"op.create_index('ix_{rid}', 't', ['a'])")


def test_a_template_inside_versions_splits_no_history(tmp_path: Path) -> None:
    """With recursive_version_locations, Alembic reads ``versions/sub/versions/*.py`` as revisions of the one
    environment. A script.py.mako put beside that inner versions/ made migcheck judge them as a history of their
    own: a fork (a3 beside a2) and a duplicated id (a1) vanished from the report."""
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[alembic]\nscript_location = alembic\nrecursive_version_locations = true\n",
        "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "alembic/script.py.mako": "${upgrades}\n",
        "alembic/versions/a1.py": _index_revision("a1", None),
        "alembic/versions/a2.py": _index_revision("a2", "a1"),
        "alembic/versions/sub/script.py.mako": "${upgrades}\n",
        "alembic/versions/sub/versions/a1copy.py": _revision("a1", None, "pass"),
        "alembic/versions/sub/versions/a3.py": _index_revision("a3", "a1"),
    })
    found = {(rule, path) for rule, path, _ in _findings(root, "--select", "multiple-heads,duplicate-revision-id")}
    assert found == {("multiple-heads", "a2.py"), ("multiple-heads", "a3.py"),
                     ("duplicate-revision-id", "a1.py"), ("duplicate-revision-id", "a1copy.py")}


def test_an_env_py_inside_versions_splits_no_history(tmp_path: Path) -> None:
    """The same with an env.py planted in ``versions/sub/`` (linting the script location itself, no alembic.ini
    on the way): its revisions are still the outer environment's, and the fork is reported."""
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[alembic]\nscript_location = alembic\nrecursive_version_locations = true\n",
        "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "alembic/versions/a1.py": _index_revision("a1", None),
        "alembic/versions/a2.py": _index_revision("a2", "a1"),
        "alembic/versions/sub/env.py": "from alembic import context\n",
        "alembic/versions/sub/versions/a3.py": _index_revision("a3", "a1"),
    })
    found = {(rule, path) for rule, path, _ in _findings(root, "--select", "multiple-heads,missing-down-revision")}
    assert found == {("multiple-heads", "a2.py"), ("multiple-heads", "a3.py")}


def test_a_relation_dropped_in_another_schema_exempts_no_index_drop(tmp_path: Path) -> None:
    """``DROP MATERIALIZED VIEW IF EXISTS reporting.orders`` (a no-op, or another relation) beside a plain
    ``op.drop_index(..., table_name="orders")`` left public.orders' ACCESS EXCLUSIVE lock unreported; so did a
    DROP TABLE of ``reporting.orders``. Dropped in the index's own schema, the relation still exempts it."""
    bodies = {
        "m1": 'op.drop_index("ix_m1", table_name="orders")\nop.execute("DROP MATERIALIZED VIEW IF EXISTS reporting.orders")',
        "m2": 'op.drop_index("ix_m2", table_name="orders")\nop.execute("DROP TABLE IF EXISTS reporting.orders")',
        "m3": 'op.drop_index("ix_m3", table_name="orders")\nop.drop_table("orders", schema="reporting")',
        "k1": 'op.drop_index("ix_k1", table_name="orders", schema="reporting")\nop.drop_table("orders", schema="reporting")',
        "k2": 'op.drop_index("ix_k2", table_name="orders")\nop.drop_table("orders")',
        "k3": 'op.drop_index("ix_k3", table_name="mv")\nop.execute("DROP MATERIALIZED VIEW IF EXISTS public.mv")',
        "k4": 'op.drop_index("ix_k4", table_name="mv", schema="Reporting")\nop.execute(\'DROP MATERIALIZED VIEW "reporting".mv\')',
    }
    files = {"alembic.ini": "[alembic]\nscript_location = migrations\n",
             "migrations/env.py": "from alembic import context\ntarget_metadata = None\n"}
    down = None
    for rid, body in bodies.items():
        files[f"migrations/versions/{rid}.py"] = _revision(rid, down, body)
        down = rid
    root = _write(tmp_path / "proj", files)
    found = _findings(root, "--dialect", "postgresql", "--select", "drop-index-not-concurrently")
    assert [path for _, path, _ in found] == ["m1.py", "m2.py", "m3.py"]


def _migration(rid: str, down: str) -> Migration:
    return Migration(path=Path(f"/x/{rid}.py"), revision=rid, down_revisions=(down,), branch_labels=(),
                     depends_on=(), line=1)


def test_lineage_bits_above_a_cycle_is_linear() -> None:
    """A chain of revisions above a down_revision cycle: each asked ``ancestors`` for its lineage, quadratic
    (2,000 revisions: 12 s of multiple-heads). Counted here: one call of ``bits`` per revision."""
    n = 600
    migrations = [_migration("c1", "c2"), _migration("c2", "c1"), _migration("r0", "c1")]
    migrations += [_migration(f"r{i}", f"r{i - 1}") for i in range(1, n)]
    calls = [0]

    def bits(m: Migration) -> int:
        calls[0] += 1
        return 1 if m.revision == "c2" else 0

    lineage = RevisionGraph.build(migrations).lineage_bits(bits)
    assert calls[0] <= 2 * len(migrations)
    assert lineage[f"r{n - 1}"] == 1 and lineage["c1"] == 1


def test_multiple_heads_above_a_cycle_stays_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the CLI: 400 one-line revisions above a two-revision cycle, with a second head. The old code asked
    ``ancestors`` of each revision above the cycle (8,000 of them: about a minute). Counted, not timed: the
    ancestors walked stay a few per revision (the old code walked 80,000 here)."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (tmp_path / "migrations" / "env.py").write_text("from alembic import context\ntarget_metadata = None\n")
    pairs = [("c1", "c2"), ("c2", "c1"), ("r0", "c1"), ("x1", "r0")]
    pairs += [(f"r{i}", f"r{i - 1}") for i in range(1, 400)]
    for rid, down in pairs:
        (versions / f"{rid}.py").write_text(f"revision = {rid!r}\ndown_revision = {down!r}\n")
    walked = [0]
    ancestors = RevisionGraph.ancestors

    def counted(self: RevisionGraph, *args: Any, **kwargs: Any) -> set[str]:
        found = ancestors(self, *args, **kwargs)
        walked[0] += len(found)
        return found

    monkeypatch.setattr(RevisionGraph, "ancestors", counted)
    assert _findings(tmp_path, "--select", "multiple-heads") == [("multiple-heads", "r399.py", 1),
                                                                ("multiple-heads", "x1.py", 1)]
    assert walked[0] <= 4 * len(pairs), walked


def test_leftover_routine_names_are_looked_up_not_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """empty-migration's leftover-routine check built one regex of every name the downgrade drops and searched it
    through every upgrade's SQL, for each empty revision: 1,900 names and 3.6 MB of SQL took 7 s per empty revision.
    The upgrades' words are now read once per history; the answer is the same (here: no finding). Counted, not
    timed: the upgrades' changes are read a few times per revision (the old code: once per revision per empty
    revision, 529 reads here)."""
    files = {"alembic.ini": "[alembic]\nscript_location = migrations\n",
             "migrations/env.py": "from alembic import context\ntarget_metadata = None\n"}
    down = None
    for f in range(3):
        files[f"migrations/versions/b{f}.py"] = _revision(
            f"b{f}", down, f"op.execute({'COMMENT ON TABLE t IS ' + repr('fn_1x ' * 200)!r})")
        down = f"b{f}"
    drops = "".join(f"    op.execute('DROP FUNCTION IF EXISTS fn_{i}z()')\n" for i in range(20))
    for e in range(20):
        files[f"migrations/versions/e{e}.py"] = (
            f"from alembic import op\n\nrevision = 'e{e}'\ndown_revision = {down!r}\n\n\ndef upgrade():\n    pass\n\n\n"
            f"def downgrade():\n{drops}")
        down = f"e{e}"
    root = _write(tmp_path / "proj", files)
    count_history_reads(monkeypatch)
    assert _findings(root, "--select", "empty-migration") == []
    assert CountingList.reads < 10 * 23, CountingList.reads


def test_many_helpers_of_one_module_are_read_in_linear_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module of 8,000 one-line helpers, each asked for (``if h123(bind):`` in a revision): each question
    scanned the whole module for the ``def`` and searched every text of its folder for a store to the name
    (quadratic: about 19 s in-process, a minute through the CLI). One is still left out when another module
    stores to it. Counted, not timed: the module's statements are gone through a few times in all, and each
    file's text is searched for stores once (the old code: once per question each)."""
    from migcheck.extract.models import constants as constants_module
    from migcheck.extract.models import writes
    from migcheck.extract.models.constants import AppConstants

    n = 1_000
    helpers = "".join(f"def h{i}(conn):\n    return conn.engine.name == 'sqlite'\n\n\n" for i in range(n))
    root = _write(tmp_path / "proj", {
        "alembic/env.py": "from alembic import context\n",
        "utils/__init__.py": "",
        "utils/database.py": helpers,
        "utils/patch.py": "from utils import database\n\ndatabase.h7 = lambda conn: True\n",
    })
    walks, searches = [0], [0]

    class Statements(list[ast.stmt]):
        def __iter__(self) -> Iterator[ast.stmt]:
            walks[0] += 1
            return super().__iter__()

    parse = constants_module.parse_module

    def parsed(text: str) -> ast.Module:
        tree = parse(text)
        tree.body = Statements(tree.body)
        return tree

    stored = writes._STORED

    class Searched:
        def finditer(self, text: str) -> Iterator[re.Match[str]]:
            searches[0] += 1
            return stored.finditer(text)

    monkeypatch.setattr(constants_module, "parse_module", parsed)
    monkeypatch.setattr(writes, "_STORED", Searched())
    constants = AppConstants(root.resolve(), "alembic/env.py")
    found = [constants.function("utils.database", f"h{i}") is not None for i in range(n)]
    assert found.count(False) == 1 and not found[7]
    assert walks[0] <= 10 and searches[0] <= 3, (walks, searches)


def test_a_generator_helper_is_always_true(tmp_path: Path) -> None:
    """``if conn.engine.name != "sqlite": return False`` then ``return (yield)``: a generator function, whose call
    is a generator object, true on every dialect. Read as returning False on PostgreSQL, its branch (a drop_table)
    was left out."""
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "utils/__init__.py": "",
        "utils/database.py": """
            def is_sqlite(conn):
                if conn.engine.name != "sqlite":
                    return False
                return (yield)
        """,
        "alembic/versions/0001_drop.py": _revision("0001", None, """
            if is_sqlite(op.get_bind()):
                op.drop_table("users")
        """, head="from utils.database import is_sqlite"),
    })
    assert ("drop-table", "0001_drop.py", 11) in _findings(root, "--dialect", "postgresql", "--select", "drop-table")


def test_a_package_shadows_a_module_file_of_the_same_name(tmp_path: Path) -> None:
    """Python imports ``utils/database/__init__.py`` before ``utils/database.py``. Reading the module file, migcheck
    trusted a planted ``is_sqlite`` (False on PostgreSQL) over the one that runs (always True), and left the drop
    out."""
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "utils/__init__.py": "",
        "utils/database.py": """
            def is_sqlite(conn):
                return conn.engine.name == "sqlite"
        """,
        "utils/database/__init__.py": """
            def is_sqlite(conn):
                return True
        """,
        "alembic/versions/0001_drop.py": _revision("0001", None, """
            if is_sqlite(op.get_bind()):
                op.drop_table("users")
        """, head="from utils.database import is_sqlite"),
    })
    assert ("drop-table", "0001_drop.py", 11) in _findings(root, "--dialect", "postgresql", "--select", "drop-table")


def test_a_helper_nested_thousands_deep_is_no_traceback(tmp_path: Path) -> None:
    """``return not not ... conn.engine.name == "sqlite"`` 2,000 deep in an application helper: Python parses it,
    the dialect evaluator recursed once per ``not`` and the run ended in a RecursionError traceback. Too deep to
    read, it decides nothing: the branch stays."""
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "utils/__init__.py": "",
        "utils/database.py": f"def is_sqlite(conn):\n    return {'not ' * 2_000}conn.engine.name == 'sqlite'\n",
        "alembic/versions/0001_drop.py": _revision("0001", None, """
            if is_sqlite(op.get_bind()):
                op.drop_table("users")
        """, head="from utils.database import is_sqlite"),
    })
    assert ("drop-table", "0001_drop.py", 11) in _findings(root, "--dialect", "postgresql", "--select", "drop-table")


def test_row_values_of_a_wide_select_are_looked_up_in_linear_time() -> None:
    """``rows = conn.execute(text("select c0, ..., c19999 from t"))`` then ``{row.c1} ... {row.c19999}`` formatted
    into SQL: each ``row.x`` split the whole column list again (10,000 of each through the CLI: 43 s). Counted on
    the lookup itself, not timed: 2,000 columns, each read once, the list split once and looked up in a set."""
    from migcheck.extract.python.fetched import _MANY, _columns, _named

    n = 2_000
    found = ("t", _MANY + ",".join(f"c{i}" for i in range(n)))
    _columns.cache_clear()
    assert all(_named(found, f"c{i}") == ("t", f"c{i}") for i in range(n))
    assert _named(found, "other") is None
    assert _columns.cache_info().misses == 1
    assert isinstance(_columns(found[1]), frozenset)
