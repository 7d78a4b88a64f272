"""Held-out-18 false positives #35, #36, #72 and #126 (branch fixH18c): what the SQL front end and the Python
evaluator read, and what MariaDB does with the statements read."""

from __future__ import annotations

from typing import Any

import pytest

from migcheck.extract.sql import statement_changes
from migcheck.vocabulary.changes import AddConstraint, CreateIndex

# -- #36: MySQL's ADD KEY / ADD INDEX / ADD UNIQUE KEY inside ALTER TABLE are indexes ------------------------------


@pytest.mark.parametrize(("clause", "name", "columns", "unique"), [
    ("ADD KEY ix_ab (a, b)", "ix_ab", ["a", "b"], False),
    ("ADD INDEX ix_c (c)", "ix_c", ["c"], False),
    ("ADD FULLTEXT KEY ft_t (t)", "ft_t", ["t"], False),
    ("ADD UNIQUE KEY ux_d (d)", "ux_d", ["d"], True),
    ("ADD UNIQUE INDEX ux_e (e)", "ux_e", ["e"], True),
    ("ADD KEY (b)", None, ["b"], False),
])
def test_mysql_alter_table_add_key_is_an_index(clause: str, name: str | None, columns: list[str],
                                                unique: bool) -> None:
    changes = statement_changes(f"ALTER TABLE job ADD c2 INT, {clause}", "mysql", {"line": 3})
    index = changes[-1]
    assert isinstance(index, CreateIndex)
    assert (index.name, index.table, index.columns, index.unique) == (name, "job", columns, unique)


def test_add_constraint_unique_stays_a_constraint_and_postgresql_unique_is_one() -> None:
    mysql = statement_changes("ALTER TABLE job ADD CONSTRAINT ux UNIQUE (a)", "mysql", {"line": 1})
    assert isinstance(mysql[0], AddConstraint) and mysql[0].kind_of == "unique"
    postgres = statement_changes("ALTER TABLE job ADD UNIQUE (a)", "postgresql", {"line": 1})
    assert isinstance(postgres[0], AddConstraint) and postgres[0].kind_of == "unique"


def test_mariadb_add_key_makes_the_index_create_index_would(scratch_mariadb: Any) -> None:
    """What the front end reads is what the server makes: named indexes (unique for UNIQUE KEY), an unnamed one
    named after its first column, DROP INDEX drops them, and adding one again fails on its name."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with scratch_mariadb.connect() as conn:
        conn.execute(text("CREATE TABLE job (id INT PRIMARY KEY, a INT, b INT, c INT, d INT, e INT) ENGINE=InnoDB"))
        conn.execute(text("ALTER TABLE job ADD e2 INT, ADD KEY ix_ab (a, b), ADD INDEX ix_c (c), "
                          "ADD UNIQUE KEY ux_d (d), ADD UNIQUE INDEX ux_e (e), ADD KEY (b)"))
        rows = conn.execute(text("SHOW INDEX FROM job")).mappings().all()
        keys = {(r["Key_name"], r["Seq_in_index"]): (r["Column_name"], r["Non_unique"]) for r in rows}
        assert keys[("ix_ab", 1)] == ("a", 1) and keys[("ix_ab", 2)] == ("b", 1)
        assert keys[("ix_c", 1)] == ("c", 1) and keys[("b", 1)] == ("b", 1)
        assert keys[("ux_d", 1)] == ("d", 0) and keys[("ux_e", 1)] == ("e", 0)
        with pytest.raises(OperationalError, match="1061"):
            conn.execute(text("ALTER TABLE job ADD KEY ix_ab (a)"))
        conn.execute(text("ALTER TABLE job DROP INDEX ix_ab, DROP KEY ux_d"))
        left = {r["Key_name"] for r in conn.execute(text("SHOW INDEX FROM job")).mappings()}
        assert "ix_ab" not in left and "ux_d" not in left


# -- #35 and #72: existence guards read through lookups by columns and helpers of the revision ------------------

GUARDED = '''
from alembic import op
import sqlalchemy as sa
from app.migration_utils import find_fk

revision = "b1"
down_revision = None


def has_migration_run_before():
    """True once the columns are there."""
    columns = sa.inspect(op.get_bind()).get_columns("installation")
    return "tree_url" in [c["name"] for c in columns]


def upgrade():
    if find_fk("log_recipe", ["recipe_id"]) is None:
        op.execute("ALTER TABLE log_recipe MODIFY recipe_id INT NOT NULL, "
                   "ADD CONSTRAINT fk_log_recipe_recipe_id FOREIGN KEY (recipe_id) REFERENCES recipe (id)")
    if find_fk("log_recipe", ["other_id"]) is None:
        op.execute("ALTER TABLE log_recipe ADD CONSTRAINT fk_other FOREIGN KEY (recipe_id) REFERENCES recipe (id)")
    if not has_migration_run_before():
        op.execute("ALTER TABLE installation ADD COLUMN tree_url TEXT, ADD COLUMN osmajor TEXT")
    op.execute("ALTER TABLE installation ADD COLUMN variant TEXT")


def downgrade():
    pass
'''


def test_guards_by_columns_and_through_helpers_mark_the_statement(tmp_path: Any) -> None:
    from pathlib import Path

    from migcheck.sources.load import load_python

    path = Path(tmp_path) / "b1_guarded.py"
    path.write_text(GUARDED)
    migration = load_python(path, "mysql")
    assert migration is not None
    seen = [(type(c).__name__, getattr(c, "name", None) or getattr(getattr(c, "column", None), "name", None)
             or getattr(c, "column", None), c.unless_exists, c.rerun_skipped) for c in migration.upgrade_changes]
    assert seen == [
        ("AlterColumn", "recipe_id", False, True),  # a clause of the guarded statement
        ("AddConstraint", "fk_log_recipe_recipe_id", True, True),  # find_fk(...) is None on its own columns
        ("AddConstraint", "fk_other", False, False),  # the lookup asks about other columns
        ("AddColumn", "tree_url", True, True),  # has_migration_run_before() read as the test it returns
        ("AddColumn", "osmajor", False, True),
        ("AddColumn", "variant", False, False),
    ]


def test_a_guarded_create_the_downgrade_leaves_is_info_and_says_nothing_fails() -> None:
    from pathlib import Path

    from conftest import run_cli

    case = Path(__file__).parent.parent / "fixtures/rules/downgrade-not-inverse/bad_fk_added_where_missing_never_made"
    run = run_cli("lint", case, "--no-config", "--dialect", "mysql", "--select", "downgrade-not-inverse",
                  "--format", "json", "--fail-on", "info")
    assert run.exit_code == 1, run.stderr
    found = {(f["line"], f["severity"]): f["message"] for f in run.json()["findings"]}
    assert set(found) == {(16, "info"), (18, "warning")}
    assert "existence guard skips the step, so nothing fails" in found[(16, "info")]
    assert "already exists" not in found[(16, "info")]
    assert "fails with 'already exists'" in found[(18, "warning")]
