"""read_imports' type-only / unused / use-line marks of application imports: the parents of a use found from its
statement down (vocabulary/revision.py:_parents_of) give what a map of every node's parent gave."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import revision_text, run_cli, write_files
from migcheck.extract.python import walk
from migcheck.vocabulary import revision
from migcheck.vocabulary.revision import read_imports

SOURCES = [
    "from app import guid\nimport sqlalchemy as sa\n\ndef upgrade():\n    op.add_column('t', sa.Column('id', guid.GUID()))\n",
    "from app import guid\n\ndef upgrade():\n    guid.touch(op)\n    x = [guid.GUID() for _ in range(3)]\n",
    "from app.db import helpers\n\n@helpers.deco\ndef upgrade():\n    pass\n",
    "import app.types as T\n\ndef upgrade():\n    op.alter_column('t', 'c', type_=T.JSONDict)\n"
    "    op.add_column('t', sa.Column('c', sa.ARRAY(T.Guid()), default=T.Guid.new))\n",
    "def upgrade():\n    from myapp.db import helpers\n    op.execute('x')\n    helpers.touch_updated_at(op, 't1')\n",
    "from app import m\nx = " + "(" * 150 + "m.Guid" + ")" * 150 + "\nclass A:\n    id: Mapped[m.Guid] = mapped_column(m.Guid)\n",
    "from app import E\nimport sqlalchemy as sa\nCOLS = [{'name': 'a', 'type': E.J()}]\ny = sa.Enum(E.Kind, name='k'); z = E.f()\n",
    "from app import unused_thing\n\ndef upgrade():\n    pass\n",
]


def _old_parents(tree: ast.Module, loads: list[ast.Name]) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def test_uses_are_marked_as_with_every_parent_mapped() -> None:
    for source in SOURCES:
        tree = ast.parse(source)
        found = read_imports(tree)
        old = revision._parents_of
        try:
            revision._parents_of = _old_parents  # type: ignore[assignment]
            expected = read_imports(ast.parse(source))
        finally:
            revision._parents_of = old  # type: ignore[assignment]
        assert found == expected, source


def test_a_use_without_true_positions_maps_every_node() -> None:
    tree = ast.parse("from app import guid\n\ndef upgrade():\n    op.add_column('t', sa.Column('id', guid.GUID()))\n")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.lineno, node.end_lineno = 99, 99  # a rewritten tree may place a node anywhere
    (imp,) = read_imports(tree)
    assert imp.type_only and not imp.unused


def test_a_module_without_walrus_text_is_not_walked_for_its_bindings(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The extractor asks whether a module has ``:=`` for every revision; a text without one answers it without
    a walk of the module (issue 13: most revisions), and one with one is still read as before."""
    counted: list[object] = []
    original = walk.binding_counts

    def counting(tree: ast.AST) -> dict[str, int]:
        counted.append(tree)
        return original(tree)

    monkeypatch.setattr(walk, "binding_counts", counting)
    root = write_files(tmp_path, {
        "versions/a1.py": revision_text("a1", None, 'op.add_column("t", sa.Column("c", sa.Text()))'),
        "versions/b2.py": revision_text("b2", "a1", """
            if (n := 2) > 1:
                op.drop_column("t", "c")
        """),
    })
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--jobs", "1", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    assert len(counted) == 1  # b2's walrus, not a1
    found = sorted((f["rule"], Path(f["path"]).name, f["line"]) for f in run.json()["findings"])
    assert ("drop-column", "b2.py", 11) in found
