"""Held-out-23 (issue #16, precision), helper fixH23b: data copied before a drop, and what the history knows.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import lint_rules as _lint
from conftest import where as _where
from conftest import write_files as _write


def _revision(rev: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    return (f'"""r {rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\n'
            f"down_revision = {down!r}\n\n\ndef upgrade():\n{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n")


_BASE = _revision("a001", None, """\
    op.create_table("misc", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("note", sa.Text()))
    op.create_table("layer", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("title", sa.Text()),
                    sa.Column("flagField", sa.Text()), sa.Column("owner_id", sa.Integer()))
    op.create_table("layer_v1", sa.Column("id", sa.Integer(), sa.ForeignKey("layer.id"), primary_key=True),
                    sa.Column("extra", sa.Text()))
""", """\
    op.drop_table("layer_v1")
    op.drop_table("layer")
    op.drop_table("misc")
""")


# --- #82: a data change in a swallowing try cannot fail the revision --------------------------------------------

_SWALLOWED = """\
    with op.batch_alter_table("misc") as batch_op:
        batch_op.add_column(sa.Column("policy", sa.Text()))
    try:
        op.execute("UPDATE misc SET policy = 'autogen'")
    except Exception as err:
        print(f"Error: {err}")
"""


def test_sqlite_update_in_a_swallowing_try_after_ddl_is_not_a_rerun_hazard(tmp_path: Path) -> None:
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_policy.py": _revision("a002", "a001", _SWALLOWED)})
    assert _lint(root, "sqlite", "mixed-schema-and-data-change") == (0, [])


def test_sqlite_update_that_can_fail_after_ddl_is_still_reported(tmp_path: Path) -> None:
    body = _SWALLOWED.replace("    try:\n", "").replace("    except Exception as err:\n        print(f\"Error: {err}\")\n",
                                                          "").replace("        op.execute", "    op.execute")
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_policy.py": _revision("a002", "a001", body)})
    code, found = _lint(root, "sqlite", "mixed-schema-and-data-change")
    assert code == 1 and _where(found) == [("mixed-schema-and-data-change", "a002_policy.py", 12)]
    assert "re-running the revision fails on the DDL already applied" in str(found[0]["message"])


# --- #44, #45: values copied into another table first, by UPDATE ... FROM or with the schema in a placeholder ------

_MOVED = """\
    from alembic import context

    schema = context.config.get_main_option("schema")
    op.add_column("layer", sa.Column("extra", sa.Text()), schema=schema)
    op.execute(
        f"UPDATE {schema}.layer AS l1 SET extra = l2.extra "
        f"FROM {schema}.layer_v1 AS l2 WHERE l1.id = l2.id"
    )
    op.drop_column("layer_v1", "extra", schema=schema)
    op.add_column("layer_v1", sa.Column("flag_field", sa.Text()), schema=schema)
    op.execute(
        f"INSERT INTO {schema}.layer_v1 (id, flag_field) "
        f'(SELECT id, "flagField" AS flag_field FROM {schema}.layer)'
    )
    op.drop_column("layer", "flagField", schema=schema)
"""


def test_copies_into_another_table_are_not_data_loss(tmp_path: Path) -> None:
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_move.py": _revision("a002", "a001", _MOVED)})
    code, found = _lint(root, "postgresql", "drop-column")
    assert code == 1 and _where(found) == [("drop-column", "a002_move.py", 18), ("drop-column", "a002_move.py", 24)]
    first, second = (str(f["message"]) for f in sorted(found, key=lambda f: int(str(f["line"]))))
    assert "its data is lost" not in first and "its values were first written into layer (line 15)" in first
    assert "rows that statement leaves out lose them" in first  # an UPDATE ... FROM reaches matched rows only
    assert "its values were first copied into layer_v1 (line 21), so they are not lost, but" in second
    assert all("the application version still running" in str(f["message"]) for f in found)


def test_a_copy_of_another_column_is_still_data_loss(tmp_path: Path) -> None:
    body = _MOVED.replace("SET extra = l2.extra", "SET extra = l2.id::text").replace(
        '"flagField" AS flag_field', "title AS flag_field")
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_move.py": _revision("a002", "a001", body)})
    code, found = _lint(root, "postgresql", "drop-column")
    assert code == 1 and len(found) == 2
    assert all("its data is lost" in str(f["message"]) for f in found)


# --- #47, #108-#111: add new, UPDATE t SET new = old WHERE new IS NULL, drop old ------------------------------------

_RENAMED_BY_COPY = """\
    with op.batch_alter_table("layer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
    op.execute(
        \"\"\"
            UPDATE layer
            SET created_by = owner_id
            WHERE created_by IS NULL
        \"\"\"
    )
    with op.batch_alter_table("layer", schema=None) as batch_op:
        batch_op.drop_column("owner_id")
"""


def test_a_fresh_column_filled_where_null_carries_every_value(tmp_path: Path) -> None:
    root = _write(tmp_path / "v", {"a001_base.py": _BASE,
                                   "a002_copy.py": _revision("a002", "a001", _RENAMED_BY_COPY)})
    code, found = _lint(root, "postgresql", "drop-column", "rename-as-drop-and-add")
    assert code == 1 and _where(found) == [("drop-column", "a002_copy.py", 20)]
    message = str(found[0]["message"])
    assert "its values were first copied into layer.created_by (line 14), so they are not lost, but" in message
    assert "the application version still running during the deploy fails" in message


def test_a_column_written_before_the_where_null_copy_loses_values(tmp_path: Path) -> None:
    for twin in (_RENAMED_BY_COPY.replace("    op.execute(\n", "    op.execute(\"UPDATE layer SET created_by = 1 "
                                                                    "WHERE id < 5\")\n    op.execute(\n", 1),
                 _RENAMED_BY_COPY.replace("nullable=True)", "nullable=True, server_default=\"0\")")):
        root = _write(tmp_path / str(len(twin)), {"a001_base.py": _BASE,
                                                   "a002_copy.py": _revision("a002", "a001", twin)})
        code, found = _lint(root, "postgresql", "drop-column", "rename-as-drop-and-add")
        assert code == 1 and "drop-column" in {str(f["rule"]) for f in found}
        assert all("lost" in str(f["message"]) and "not lost" not in str(f["message"]) for f in found)


# --- #20: an earlier primary key left its columns NOT NULL; dropping it keeps that -----------------------------------

_EXCHANGE = _revision("e001", None, """\
    op.create_table("exchange", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("user_id", sa.Integer(), nullable=True), sa.Column("space_id", sa.Integer(), nullable=True))
""", 'op.drop_table("exchange")')
_COMPOSITE = _revision("e002", "e001", """\
    op.drop_column("exchange", "id")
    op.create_primary_key("exchange_user_id_space_id_pk", "exchange", ["user_id", "space_id"])
""")
_RENAMED_KEY = """\
    op.drop_constraint("exchange_user_id_space_id_pk", "exchange", type_="primary")
    op.create_primary_key("exchange_pkey", "exchange", ["user_id", "space_id"])
"""


def test_a_primary_key_on_columns_an_earlier_key_made_not_null_needs_no_scan(tmp_path: Path) -> None:
    root = _write(tmp_path / "v", {"e001_base.py": _EXCHANGE, "e002_key.py": _COMPOSITE,
                                   "e003_rename.py": _revision("e003", "e002", _RENAMED_KEY)})
    code, found = _lint(root, "postgresql", "add-primary-key-to-existing-table")
    assert code == 1
    assert _where(found) == [("add-primary-key-to-existing-table", "e002_key.py", 11),
                             ("add-primary-key-to-existing-table", "e003_rename.py", 11)]
    first, second = sorted(found, key=lambda f: str(f["path"]))
    assert "sets its columns NOT NULL with a scan" in str(first["message"])  # the first key: they were nullable
    assert "NOT NULL" not in str(second["message"]) and "builds its unique index" in str(second["message"])
    assert "make the columns NOT NULL first" not in str(second["fix"])


def test_columns_made_nullable_again_after_the_key_still_need_the_scan(tmp_path: Path) -> None:
    again = _RENAMED_KEY.replace('op.create_primary_key(', 'op.alter_column("exchange", "space_id", nullable=True)\n'
                                 '    op.create_primary_key(')
    root = _write(tmp_path / "v", {"e001_base.py": _EXCHANGE, "e002_key.py": _COMPOSITE,
                                   "e003_rename.py": _revision("e003", "e002", again)})
    code, found = _lint(root, "postgresql", "add-primary-key-to-existing-table")
    assert code == 1 and len(found) == 2
    assert all("sets its columns NOT NULL with a scan" in str(f["message"]) for f in found)


# --- #71: SET DEFAULT on a column that had no default, or that same default, needs no downgrade ----------------------

_SESSIONS = _revision("s001", None, """\
    op.create_table("sessions", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("created", sa.DateTime(), server_default=sa.func.now()),
                    sa.Column("state", sa.Text(), server_default="new"),
                    sa.Column("seen", sa.DateTime(), nullable=True))
""", 'op.drop_table("sessions")')


def _default_revision(tmp_path: Path, upgrade: str) -> tuple[int, list[dict[str, object]]]:
    root = _write(tmp_path / "v", {"s001_base.py": _SESSIONS, "s002_default.py": _revision("s002", "s001", upgrade)})
    return _lint(root, "postgresql", "missing-downgrade")


def test_a_default_restored_or_given_where_there_was_none_needs_no_downgrade(tmp_path: Path) -> None:
    upgrade = """\
        for column in ("created", "seen"):
            op.execute(f"ALTER TABLE sessions ALTER COLUMN {column} SET DEFAULT CURRENT_TIMESTAMP")
        op.alter_column("sessions", "state", server_default="new")
    """
    assert _default_revision(tmp_path, upgrade) == (0, [])


def test_a_changed_or_dropped_default_still_needs_a_downgrade(tmp_path: Path) -> None:
    for n, upgrade in enumerate(('op.alter_column("sessions", "state", server_default="open")',
                                 'op.execute("ALTER TABLE sessions ALTER COLUMN created DROP DEFAULT")')):
        code, found = _default_revision(tmp_path / str(n), upgrade)
        assert code == 1 and _where(found) == [("missing-downgrade", "s002_default.py", 12)]
