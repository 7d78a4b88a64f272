"""Issue 13 (branch speed26): work the if-absent and plain histories repeated for every revision, counted.

Each test checks what a user sees (the findings) and counts the repeated work that made a shape dear."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where, write_files

_IF_ABSENT = '''
if "c5" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("t1")]:
    op.create_index("ix_c5", "t1", ["c5"])
'''
_FORGED = '''
if fake.dialect.name == "sqlite":
    op.create_index("ix_c6", "t1", ["c6"])
'''


def test_a_dialect_read_walks_the_module_once_not_per_question(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that reads the connection (``sa.inspect(op.get_bind())``, the if-absent shape) asks the module's
    forgeries: five ``ast.walk`` of the whole module each time (bindings, parameters, helpers, imports, writes),
    which made the if-absent history 1.5x the plain one. They now come from the module's one node list."""
    walked: list[str] = []
    original = ast.walk

    def counting(node: ast.AST):  # type: ignore[no-untyped-def]
        if isinstance(node, ast.Module):
            walked.append(sys._getframe(1).f_globals.get("__name__", ""))
        return original(node)

    monkeypatch.setattr(ast, "walk", counting)
    root = write_files(tmp_path, {
        "versions/a1.py": revision_text("a1", None, _IF_ABSENT),
        "versions/b2.py": revision_text("b2", "a1", _FORGED, "class fake:\n    class dialect:\n        name = 'sqlite'\n"),
    })
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--jobs", "1", "--dialect",
                  "postgresql", "--select", "create-index-not-concurrently", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    assert where(run.json()["findings"]) == [("create-index-not-concurrently", "a1.py", 11),
                                             ("create-index-not-concurrently", "b2.py", 14)]
    assert [name for name in walked if name.endswith(".forged")] == []
