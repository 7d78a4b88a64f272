"""imported_function: the (module, function) a call into imported code names, however it was imported."""

from __future__ import annotations

import ast

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
