"""Existence guards in the extractor: which guarded steps get ``Change.unless_exists`` (extract/python/guards)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migcheck.sources.load import load_python

HEADER = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "r1"\ndown_revision = None\n'


def marks(tmp_path: Path, body: str) -> list[tuple[str, bool]]:
    """(kind, unless_exists) of every upgrade change of a revision whose upgrade() is ``body``."""
    path = tmp_path / "r1.py"
    path.write_text(HEADER + "def upgrade():\n    conn = op.get_bind()\n    insp = sa.inspect(conn)\n"
                    + textwrap.indent(textwrap.dedent(body), "    "), encoding="utf-8")
    migration = load_python(path, "postgresql")
    assert migration is not None
    return [(c.kind, c.unless_exists) for c in migration.upgrade_changes]


@pytest.mark.parametrize("body, kind", [
    ('if not column_exists("t", "c"):\n    op.add_column("t", sa.Column("c", sa.Integer))', "AddColumn"),
    ('if not column_exists(conn, "t", "c"):\n    op.add_column("t", sa.Column("c", sa.Integer))', "AddColumn"),
    ('T = "t"\nif not _has_column(T, "c"):\n    op.add_column(T, sa.Column("c", sa.Integer))', "AddColumn"),
    ('if "c" not in [col["name"] for col in insp.get_columns("t")]:\n'
     '    op.add_column("t", sa.Column("c", sa.Integer))', "AddColumn"),
    ('if not insp.has_table("t"):\n    op.create_table("t", sa.Column("id", sa.Integer))', "CreateTable"),
    ('if "t" not in insp.get_table_names():\n    op.create_table("t", sa.Column("id", sa.Integer))', "CreateTable"),
    ('if not index_exists("ix_t_a"):\n    op.create_index("ix_t_a", "t", ["a"])', "CreateIndex"),
    ('if insp.has_index("t", "ix_t_a"):\n    pass\nelse:\n    op.create_index("ix_t_a", "t", ["a"])', "CreateIndex"),
    ('if not constraint_exists("uq_t_a") and flag:\n    op.create_unique_constraint("uq_t_a", "t", ["a"])',
     "AddConstraint"),
    ('if not (constraint_exists("uq_t_a") or flag):\n    op.create_unique_constraint("uq_t_a", "t", ["a"])',
     "AddConstraint"),
])
def test_a_negated_existence_test_of_the_steps_object_marks_it(tmp_path: Path, body: str, kind: str) -> None:
    assert marks(tmp_path, body) == [(kind, True)]


@pytest.mark.parametrize("body", [
    'if column_exists("t", "c"):\n    op.add_column("t", sa.Column("c", sa.Integer))',  # not negated
    'if not column_exists("t", "d"):\n    op.add_column("t", sa.Column("c", sa.Integer))',  # another column
    'if not column_exists("u", "c"):\n    op.add_column("t", sa.Column("c", sa.Integer))',  # another table
    'if not column_exists("t", "c") or flag:\n    op.add_column("t", sa.Column("c", sa.Integer))',  # or: may run anyway
    'if not column_exists("t", "c", schema="s"):\n    op.add_column("t", sa.Column("c", sa.Integer))',
    'if not column_exists("t", "c"):\n    op.add_column("t", sa.Column("c", sa.Integer), schema="s")',
    'if not column_exists(name, "c"):\n    op.add_column("t", sa.Column("c", sa.Integer))',  # not a literal
    'if not is_ready("t", "c"):\n    op.add_column("t", sa.Column("c", sa.Integer))',  # name says nothing
    'if "c" not in [col["name"] for col in insp.get_columns("t") if col["nullable"]]:\n'
    '    op.add_column("t", sa.Column("c", sa.Integer))',  # a filtered list
    'if "c" not in [col["type"] for col in insp.get_columns("t")]:\n'
    '    op.add_column("t", sa.Column("c", sa.Integer))',  # not the names
    'if not insp.has_table("t"):\n    pass\nelse:\n    op.create_table("t", sa.Column("id", sa.Integer))',
    'if not has_table("t"):\n    op.create_index("ix_t_a", "t", ["a"])',  # a table guard over an index
])
def test_anything_else_stays_merely_conditional(tmp_path: Path, body: str) -> None:
    found = marks(tmp_path, body)
    assert found and all(not marked for _, marked in found)


@pytest.mark.parametrize("body, by_name", [
    ('if not constraint_exists("fk_t_u"):\n    op.create_foreign_key("fk_t_u", "t", "u", ["u_id"], ["id"])', True),
    ('if not index_exists("ix_t_a"):\n    op.create_index("ix_t_a", "t", ["a"])', True),
    ('if not constraint_exists("fk_t_u", "t"):\n    op.create_foreign_key("fk_t_u", "t", "u", ["u_id"], ["id"])',
     False),
    ('if "ix_t_a" not in [ix["name"] for ix in insp.get_indexes("t")]:\n    op.create_index("ix_t_a", "t", ["a"])',
     False),
    # an exact guard wins over a name-only one, inner or outer
    ('if not index_exists("ix_t_a", "t"):\n    if not index_exists("ix_t_a"):\n'
     '        op.create_index("ix_t_a", "t", ["a"])', False),
    ('if not index_exists("ix_t_a"):\n    if not index_exists("t", "ix_t_a"):\n'
     '        op.create_index("ix_t_a", "t", ["a"])', False),
])
def test_a_guard_that_gives_only_the_name_says_so(tmp_path: Path, body: str, by_name: bool) -> None:
    """``constraint_exists("fk_x")`` does not say which table's fk_x it asks about (constraint names are per table):
    the step records it, for the history to decide (history_index.ensures_existence)."""
    path = tmp_path / "r1.py"
    path.write_text(HEADER + "def upgrade():\n    insp = sa.inspect(op.get_bind())\n"
                    + textwrap.indent(body, "    ") + "\n", encoding="utf-8")
    migration = load_python(path, "postgresql")
    assert migration is not None
    assert [(c.unless_exists, c.unless_exists_by_name) for c in migration.upgrade_changes] == [(True, by_name)]
