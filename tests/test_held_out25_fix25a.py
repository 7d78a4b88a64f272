"""Held-out-25 (precision), helper fix25a: steps whose risk another step of the same revision already settled.

* #43/#44 downgrade-not-inverse: a column dropped and added again in the upgrade (its type changed that way) was
  there before the upgrade; the downgrade that keeps it is the inverse of its existence.
* #51 drop-index-not-concurrently: ``CREATE INDEX ix ON s.t`` written as SQL now keeps its schema, so the index's
  table (stated by the downgrade) is found, and the ACCESS EXCLUSIVE lock another step takes on it.
* #54 drop-index-not-concurrently: ``DROP INDEX t_pkey`` after ``ALTER TABLE t DROP CONSTRAINT t_pkey``: the
  key's index has the key's name, on the table that step already locks.
* #60 drop-schema-or-database: PostgreSQL's ``DROP SCHEMA s`` without CASCADE refuses a schema with anything in
  it, so it loses nothing.
* #158 vacuum-full-or-cluster: ``CLUSTER t`` where ``t`` is a table created in the transaction under another
  name and renamed.

Each has its unsafe neighbour, still reported.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import revision_text, run_cli, where, write_files


def _lint(root: Path, *rules: str, dialect: str = "postgresql") -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", ",".join(rules), "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


def _messages(root: Path, rule: str) -> list[str]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", rule, "--fail-on", "never")
    return [f["message"] for f in run.json()["findings"]]


def _revision(rid: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    dn = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    return (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = {rid!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{dn}\n")


_BASE = _revision("0001", None, """
    op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("note", sa.JSON()))
    """, 'op.drop_table("orders")')


# --- #43/#44: a column dropped and added again -----------------------------------------------------------------

def _readd(tmp_path: Path, upgrade: str, downgrade: str) -> Path:
    # lines: 8 def upgrade, 9 first step of the upgrade
    return write_files(tmp_path, {"versions/0001_a.py": _BASE,
                                  "versions/0002_b.py": _revision("0002", "0001", upgrade, downgrade)})


def test_a_column_dropped_and_added_again_is_no_step_for_the_downgrade_to_undo(tmp_path: Path) -> None:
    root = _readd(tmp_path, """
        op.drop_column("orders", "note")
        op.add_column("orders", sa.Column("note", sa.String(), nullable=True))
        """, """
        op.alter_column("orders", "note", existing_type=sa.String(), type_=sa.JSON(),
                        postgresql_using="to_json(note)")
        """)
    assert _lint(root, "downgrade-not-inverse") == []


def test_a_readded_column_whose_old_type_the_downgrade_leaves_is_a_redefinition_kept(tmp_path: Path) -> None:
    root = _readd(tmp_path, """
        op.drop_column("orders", "note")
        op.add_column("orders", sa.Column("note", sa.String(), nullable=True))
        """, 'op.execute("SELECT 1")')
    assert _lint(root, "downgrade-not-inverse") == [("downgrade-not-inverse", "0002_b.py", 10)]
    [message] = _messages(root, "downgrade-not-inverse")
    assert "redefines column orders.note" in message and "it was JSON()" in message


def test_a_column_added_only_under_a_condition_after_its_drop_stays_reported(tmp_path: Path) -> None:
    root = _readd(tmp_path, """
        op.drop_column("orders", "note")
        if op.get_context().get_x_argument(as_dictionary=True).get("retype"):
            op.add_column("orders", sa.Column("note", sa.String(), nullable=True))
        """, 'op.execute("SELECT 1")')
    # the drop is not undone where the add does not run (line 9); the add is judged alone (line 11)
    assert ("downgrade-not-inverse", "0002_b.py", 9) in _lint(root, "downgrade-not-inverse")


def test_a_new_column_added_after_another_is_dropped_stays_reported(tmp_path: Path) -> None:
    root = _readd(tmp_path, """
        op.drop_column("orders", "note")
        op.add_column("orders", sa.Column("remark", sa.String(), nullable=True))
        """, 'op.execute("SELECT 1")')
    assert _lint(root, "downgrade-not-inverse") == [("downgrade-not-inverse", "0002_b.py", 9),
                                                    ("downgrade-not-inverse", "0002_b.py", 10)]


# --- #51: the index's table, from a CREATE INDEX written as SQL with its schema ------------------------------------

def test_drop_index_after_a_drop_constraint_on_its_schema_qualified_table_is_silent(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, """
        op.execute("ALTER TABLE mon.sites DROP CONSTRAINT check_sites_kind")
        op.execute("DROP INDEX mon.idx_sites_kind")
        """, """
        op.execute("CREATE INDEX idx_sites_kind ON mon.sites USING btree (kind)")
        """)})
    assert _lint(root, "drop-index-not-concurrently") == []


def test_drop_index_whose_table_takes_no_other_strong_lock_stays_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, """
        op.execute("ALTER TABLE mon.other DROP CONSTRAINT check_other_kind")
        op.execute("DROP INDEX mon.idx_sites_kind")
        """, """
        op.execute("CREATE INDEX idx_sites_kind ON mon.sites USING btree (kind)")
        """)})
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 10)]


def test_the_index_of_another_schemas_table_of_the_same_name_stays_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, """
        op.execute("ALTER TABLE archive.sites DROP CONSTRAINT check_sites_kind")
        op.execute("DROP INDEX mon.idx_sites_kind")
        """, """
        op.execute("CREATE INDEX idx_sites_kind ON mon.sites USING btree (kind)")
        """)})
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 10)]


def test_the_downgrades_index_on_public_is_the_drop_indexs_unqualified_one(tmp_path: Path) -> None:
    # gob-upload 8ed83f51654b line 22: ``ON public.events`` names the default schema, as a bare DROP INDEX does
    root = write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, """
        op.execute('DROP INDEX IF EXISTS "events.idx.eventid"')
        op.execute("ALTER TABLE events DROP CONSTRAINT IF EXISTS events_check")
        """, """
        op.execute('CREATE INDEX IF NOT EXISTS "events.idx.eventid" ON public.events USING btree (eventid)')
        """)})
    assert _lint(root, "drop-index-not-concurrently") == []


# --- #54: DROP INDEX of a key the revision already dropped ------------------------------------------------------------

def test_drop_index_of_the_primary_key_just_dropped_is_silent(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, """
        op.execute("ALTER TABLE events DROP CONSTRAINT IF EXISTS events_pkey")
        op.execute("DROP INDEX IF EXISTS events_pkey")
        """)})
    assert _lint(root, "drop-index-not-concurrently") == []


def test_drop_index_named_like_a_check_of_another_table_stays_reported(tmp_path: Path) -> None:
    # a CHECK constraint named like an index says nothing of the index's table
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, """
        op.execute("ALTER TABLE small DROP CONSTRAINT IF EXISTS ix_big_created")
        op.execute("DROP INDEX IF EXISTS ix_big_created")
        """)})
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 11)]


def test_drop_index_of_a_key_name_of_a_table_in_another_schema_stays_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, """
        op.execute("ALTER TABLE archive.events DROP CONSTRAINT IF EXISTS events_pkey")
        op.execute("DROP INDEX IF EXISTS events_pkey")
        """)})
    assert _lint(root, "drop-index-not-concurrently") == [("drop-index-not-concurrently", "0001_a.py", 11)]


# --- #60: DROP SCHEMA without CASCADE ---------------------------------------------------------------------------------

def test_drop_schema_without_cascade_loses_nothing_on_postgresql(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, """
        op.drop_table("old_events", schema="legacy")
        op.execute("DROP SCHEMA legacy")
        op.execute("DROP SCHEMA IF EXISTS scratch RESTRICT")
        """)})
    assert _lint(root, "drop-schema-or-database") == []


def test_drop_schema_with_cascade_or_hidden_cascade_stays_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, """
        op.execute("DROP SCHEMA legacy CASCADE")
        op.execute("DROP SCHEMA legacy2 CASCADE -- gone")
        op.execute(f"DROP SCHEMA {SCHEMA}")
        """, head="import os\nSCHEMA = os.environ['S']")})
    assert _lint(root, "drop-schema-or-database") == [("drop-schema-or-database", "0001_a.py", 11),
                                                      ("drop-schema-or-database", "0001_a.py", 12),
                                                      ("drop-schema-or-database", "0001_a.py", 13)]


def test_drop_schema_without_cascade_stays_reported_on_mysql(tmp_path: Path) -> None:
    # MySQL's DROP SCHEMA is DROP DATABASE: everything inside goes
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, 'op.execute("DROP SCHEMA legacy")')})
    assert _lint(root, "drop-schema-or-database", dialect="mysql") == [("drop-schema-or-database", "0001_a.py", 10)]


# --- #158: CLUSTER of a new table renamed over the old one ---------------------------------------------------------

_SWAP = """
op.execute('CREATE TABLE "zones_new" (LIKE "zones" INCLUDING CONSTRAINTS)')
op.execute('INSERT INTO "zones_new" SELECT * FROM "zones"')
{before}
op.execute('DROP TABLE "zones"')
op.execute('ALTER TABLE "zones_new" RENAME TO "zones"')
op.execute('CREATE INDEX zones_shape_ix ON "zones" USING GIST (shape)')
op.execute('CLUSTER "zones" USING zones_shape_ix')
"""


def test_cluster_of_a_table_created_and_renamed_in_the_transaction_is_silent(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, _SWAP.format(before=""))})
    assert _lint(root, "vacuum-full-or-cluster") == []


def test_cluster_of_the_old_table_before_the_rename_stays_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text(
        "0001", None, _SWAP.format(before="""op.execute('CLUSTER "zones" USING zones_old_ix')"""))})
    assert _lint(root, "vacuum-full-or-cluster") == [("vacuum-full-or-cluster", "0001_a.py", 12)]


def test_cluster_after_the_renamed_table_was_committed_stays_reported(tmp_path: Path) -> None:
    swap = """
        op.execute('CREATE TABLE "zones_new" (LIKE "zones" INCLUDING CONSTRAINTS)')
        op.execute('ALTER TABLE "zones_new" RENAME TO "zones_next"')
        with op.get_context().autocommit_block():
            op.execute("SELECT 1")
        op.execute('CLUSTER "zones_next"')
        """
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, swap)})
    assert _lint(root, "vacuum-full-or-cluster") == [("vacuum-full-or-cluster", "0001_a.py", 14)]
