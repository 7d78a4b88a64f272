"""imported_function: the (module, function) a call into imported code names, however it was imported."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from migcheck.extract.python.imports import imported_function, imported_names


@pytest.mark.parametrize(("source", "expected"), [
    ("from zope.sqlalchemy import mark_changed\nmark_changed(s)", ("zope.sqlalchemy", "mark_changed")),
    ("from zope.sqlalchemy import mark_changed as z\nz(s)", ("zope.sqlalchemy", "mark_changed")),
    ("import zope.sqlalchemy\nzope.sqlalchemy.mark_changed(s)", ("zope.sqlalchemy", "mark_changed")),
    ("import zope.sqlalchemy as zs\nzs.mark_changed(s)", ("zope.sqlalchemy", "mark_changed")),
    ("import app\napp.helpers.run()", ("app.helpers", "run")),
    ("from .helpers import run\nrun()", None),
])
def test_imported_function(source: str, expected: tuple[str, str] | None) -> None:
    tree = ast.parse(source)
    call = tree.body[-1].value  # type: ignore[attr-defined]
    func = call.func
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    assert imported_function(func, root.id, imported_names(tree)[root.id]) == expected


def test_a_wrapper_that_runs_sql_before_marking_is_not_marks_changed_only(tmp_path: Path) -> None:
    """Review: any right-hand side of an assignment to a parameter was accepted, so a `mark_changed` wrapper that
    runs `DROP TABLE` first hid the call from raw-sql-not-understood."""
    from migcheck.extract.models.constants import _marks_changed_body

    def judged(body: str) -> bool:
        fn = ast.parse(textwrap.dedent(body)).body[0]
        assert isinstance(fn, ast.FunctionDef)
        return _marks_changed_body(fn, {"_mc": "zope.sqlalchemy.mark_changed"})

    assert judged("def mark_changed(session=None):\n    session = session or get_session()\n    _mc(session)\n")
    assert not judged('def mark_changed(session):\n    session = session.execute("DROP TABLE t") or session\n'
                      "    _mc(session)\n")
    assert not judged("@wraps\ndef mark_changed(session):\n    _mc(session)\n")
    assert not judged("def mark_changed(session=drop()):\n    _mc(session)\n")


def test_a_revision_s_import_statements_are_searched_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader asks for the revision's imports at any depth twice (the application's names, and what binds
    ``sys`` or ``importlib``): one search of its statement bodies between them (issue 13, cold lint of 10,000
    revisions), and the names it finds unchanged."""
    from migcheck.extract.python import imports
    from migcheck.sources.load import load_python

    searched: list[int] = []
    real = imports._import_statements

    def counting(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
        searched.append(id(body))
        return real(body)

    monkeypatch.setattr(imports, "_import_statements", counting)
    path = tmp_path / "r1.py"
    path.write_text(textwrap.dedent('''\
        import importlib
        from alembic import op
        revision = "r1"
        down_revision = None

        def upgrade():
            if True:
                from app.db import helpers
                helpers.run(op)
            importlib.import_module("app.x").go()

        def downgrade():
            pass
    '''))
    migration = load_python(path, "postgresql")
    assert migration is not None and migration.upgrade is not None and migration.upgrade.opaque
    assert len(searched) == len(set(searched)) > 0
    assert imported_names(ast.parse(path.read_text())) == {"helpers": "app.db.helpers"}
