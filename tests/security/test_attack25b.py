"""Attacker review of held-out-25's fix25a: each test is a pull request a stranger could send, imitating a pattern one
of that round's exemptions trusts while it really does the dangerous thing, which the report must not lose.

* vacuum-full-or-cluster: ``CLUSTER t`` of "a table created and renamed in the transaction" when the rename was of
  another schema's table, the CREATE TABLE never ran or was IF NOT EXISTS (the table others use was renamed).
* drop-index-not-concurrently: "the index is the key constraint of that name this upgrade drops" when the
  constraint was in another schema, dropped IF EXISTS (perhaps nothing), a CHECK the upgrade made first, under
  an ``if`` that does not run, or named ``<table>_..._key`` after a longer table's index.
* downgrade-not-inverse: "a column dropped and added again is there before and after" when the downgrade drops it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli, where, write_files


def _revision(rid: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    dn = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    # line 9: the first step of the upgrade
    return (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = {rid!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{dn}\n")


def _lint(root: Path, rule: str) -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


def _one(tmp_path: Path, upgrade: str, downgrade: str = "pass") -> Path:
    return write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, upgrade, downgrade)})


# --- CLUSTER of "a table created and renamed in the transaction" -----------------------------------------------------

def test_cluster_after_renaming_another_schemas_table_stays_reported(tmp_path: Path) -> None:
    # the rename is of archive.events_new; the events CLUSTER names is the default schema's live table
    root = _one(tmp_path, """
        op.create_table("events_new", sa.Column("id", sa.Integer()))
        op.rename_table("events_new", "events", schema="archive")
        op.execute("CLUSTER events")
        """)
    assert _lint(root, "vacuum-full-or-cluster") == [("vacuum-full-or-cluster", "0001_a.py", 11)]


def test_cluster_after_an_sql_rename_in_another_schema_stays_reported(tmp_path: Path) -> None:
    root = _one(tmp_path, """
        op.execute("CREATE TABLE zones_new (LIKE zones)")
        op.execute("ALTER TABLE archive.zones_new RENAME TO zones")
        op.execute("CLUSTER zones")
        """)
    assert _lint(root, "vacuum-full-or-cluster") == [("vacuum-full-or-cluster", "0001_a.py", 11)]


def test_cluster_of_a_renamed_table_whose_creation_does_not_run_stays_reported(tmp_path: Path) -> None:
    # zones_new is then a table that was there all along (a live one), renamed over zones
    root = _one(tmp_path, """
        if op.get_context().get_x_argument(as_dictionary=True).get("fresh"):
            op.create_table("zones_new", sa.Column("id", sa.Integer()))
        op.rename_table("zones_new", "zones")
        op.execute("CLUSTER zones")
        """)
    assert _lint(root, "vacuum-full-or-cluster") == [("vacuum-full-or-cluster", "0001_a.py", 12)]


def test_cluster_of_a_table_created_if_not_exists_and_renamed_stays_reported(tmp_path: Path) -> None:
    root = _one(tmp_path, """
        op.execute("CREATE TABLE IF NOT EXISTS zones_new (LIKE zones)")
        op.execute("ALTER TABLE zones_new RENAME TO zones_next")
        op.execute("CLUSTER zones_next")
        """)
    assert _lint(root, "vacuum-full-or-cluster") == [("vacuum-full-or-cluster", "0001_a.py", 11)]


def test_cluster_of_a_table_created_and_renamed_by_alembic_ops_is_still_silent(tmp_path: Path) -> None:
    root = _one(tmp_path, """
        op.create_table("zones_new", sa.Column("id", sa.Integer()))
        op.drop_table("zones")
        op.rename_table("zones_new", "zones")
        op.execute("CLUSTER zones")
        """)
    assert _lint(root, "vacuum-full-or-cluster") == []


# --- DROP INDEX of "the key constraint the upgrade drops" ------------------------------------------------------------

def test_a_unique_constraint_dropped_if_exists_says_nothing_of_the_index(tmp_path: Path) -> None:
    # small has no such constraint (the name is big's index): IF EXISTS drops nothing and locks only small
    root = _one(tmp_path, """
        op.drop_constraint("ix_big_created", "small", type_="unique", if_exists=True)
        op.drop_index("ix_big_created")
        """)
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 10)]


def test_a_key_of_another_schemas_table_says_nothing_of_the_default_schemas_index(tmp_path: Path) -> None:
    root = _one(tmp_path, """
        op.drop_constraint("uq_big_code", "small", type_="unique", schema="archive")
        op.drop_index("uq_big_code")
        """)
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 10)]


def test_a_key_name_of_a_longer_table_dropped_if_exists_from_its_prefix_stays_reported(tmp_path: Path) -> None:
    # account_users_email_key is account_users' index; account is only a prefix of its name
    root = _one(tmp_path, """
        op.execute("ALTER TABLE account DROP CONSTRAINT IF EXISTS account_users_email_key")
        op.execute("DROP INDEX account_users_email_key")
        """)
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 10)]


def test_a_check_the_upgrade_adds_under_the_indexs_name_says_nothing_of_it(tmp_path: Path) -> None:
    root = _one(tmp_path, """
        op.execute("ALTER TABLE small ADD CONSTRAINT small_big_key CHECK (true) NOT VALID")
        op.execute("ALTER TABLE small DROP CONSTRAINT small_big_key")
        op.drop_index("small_big_key")
        """)
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 11)]


def test_a_key_dropped_only_under_a_condition_locks_nothing_where_it_does_not_run(tmp_path: Path) -> None:
    root = _one(tmp_path, """
        if op.get_context().get_x_argument(as_dictionary=True).get("rekey"):
            op.execute("ALTER TABLE small DROP CONSTRAINT small_pkey")
        op.execute("DROP INDEX small_pkey")
        """)
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 11)]


def test_a_primary_key_dropped_by_type_then_its_index_is_still_silent(tmp_path: Path) -> None:
    root = _one(tmp_path, """
        op.drop_constraint("events_pk", "events", type_="primary")
        op.drop_index("events_pk")
        """)
    assert _lint(root, "drop-index-not-concurrently") == []


# --- downgrade-not-inverse: a column dropped and added again -----------------------------------------------------------

_ORDERS = _revision("0001", None, """
    op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("note", sa.JSON()))
    """, 'op.drop_table("orders")')


def test_a_readded_column_the_downgrade_drops_leaves_the_table_without_it(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": _ORDERS, "versions/0002_b.py": _revision("0002", "0001", """
        op.drop_column("orders", "note")
        op.add_column("orders", sa.Column("note", sa.String(), nullable=True))
        """, 'op.drop_column("orders", "note")')})
    assert _lint(root, "downgrade-not-inverse") == [("downgrade-not-inverse", "0002_b.py", 9)]
