"""Alembic's multidb template: ``upgrade(engine_name)`` dispatches through ``globals()[f"upgrade_{engine_name}"]()``
to one function per engine. migcheck once read only the dispatch and found nothing in any such revision ("No
problems found" on keylime's 40 revisions); the steps of ``upgrade_<engine>()`` are now the phase's, each tagged
with its engine, and each engine's steps are a run of statements of their own (extract/python/multidb.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.sources.load import load_python
from migcheck.vocabulary.changes import AddColumn, CreateTable, DropColumn, RawSQL

CASES = FIXTURES / "multidb"
HEADER = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "r1"\ndown_revision = None\n'
ENGINES = """

def upgrade_users_db():
    op.add_column("users", sa.Column("nickname", sa.String(50)))


def downgrade_users_db():
    op.drop_column("users", "nickname")


def upgrade_orders_db():
    op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True))
"""


def _load(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "r1.py"
    path.write_text(HEADER + textwrap.dedent(body))
    migration = load_python(path, "postgresql")
    assert migration is not None
    return migration


def _lint(case: str, *args: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", CASES / case, "--no-config", "--format", "json", "--fail-on", "info", *args)
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, list(run.json()["findings"])


@pytest.mark.parametrize("key", [
    'f"upgrade_{engine_name}"',
    '"upgrade_%s" % engine_name',
    '"upgrade_%s" % (engine_name,)',
    '"upgrade_" + engine_name',
    '"upgrade_{}".format(engine_name)',
])
def test_every_way_of_naming_the_engine_function_reads_its_steps(tmp_path: Path, key: str) -> None:
    migration = _load(tmp_path, f"def upgrade(engine_name):\n    globals()[{key}]()\n{ENGINES}")
    steps = migration.upgrade_changes
    assert [(type(c), c.engine, c.line) for c in steps] == [(AddColumn, "users_db", 10), (CreateTable, "orders_db", 18)]
    assert migration.upgrade is not None and not migration.upgrade.trivial


def test_the_downgrade_reads_its_own_engine_functions_and_a_return_is_a_dispatch_too(tmp_path: Path) -> None:
    migration = _load(tmp_path, f"def downgrade(engine_name):\n    return globals()[f'downgrade_{{engine_name}}']()\n"
                                f"{ENGINES}")
    assert [(type(c), c.engine, c.phase) for c in migration.downgrade_changes] == [(DropColumn, "users_db", "downgrade")]


def test_a_phase_whose_engine_functions_all_pass_is_trivial(tmp_path: Path) -> None:
    migration = _load(tmp_path, """\
        def downgrade(engine_name):
            globals()["downgrade_%s" % engine_name]()


        def downgrade_users_db():
            pass


        def downgrade_orders_db():
            pass
        """)
    assert migration.downgrade is not None and migration.downgrade.trivial
    assert migration.downgrade_changes == []


def test_a_revision_of_one_database_has_no_engine(tmp_path: Path) -> None:
    migration = _load(tmp_path, 'def upgrade():\n    op.add_column("t", sa.Column("c", sa.Integer()))\n')
    assert [c.engine for c in migration.upgrade_changes] == [None]


@pytest.mark.parametrize(("call", "reason"), [
    ('globals()[f"upgrade_{engine_name}"]()', "no function of this module is named `upgrade_<engine>`"),
    ("globals()[STEPS[engine_name]]()", "named at run time"),
    ("globals()[engine_name]()", "named at run time"),  # any function of the module: no prefix to go by
])
def test_a_dispatch_migcheck_cannot_follow_is_an_unread_step(tmp_path: Path, call: str, reason: str) -> None:
    migration = _load(tmp_path, f"def upgrade(engine_name):\n    {call}\n\n\ndef other():\n    pass\n")
    (step,) = migration.upgrade_changes
    assert isinstance(step, RawSQL) and not step.understood and step.line == 6
    assert step.reason is not None and reason in step.reason


def test_the_risky_step_of_the_second_engine_is_reported_on_its_own_line() -> None:
    code, found = _lint("bad", "--select", "add-not-null-column-without-default")
    assert code == 1
    assert [(f["rule"], Path(str(f["path"])).name, f["line"]) for f in found] == [
        ("add-not-null-column-without-default", "0002_order_status.py", 32)]


def test_its_twin_with_a_server_default_is_silent() -> None:
    assert _lint("safe", "--select", "add-not-null-column-without-default") == (0, [])


def test_a_commit_on_one_database_does_not_end_the_transaction_of_another() -> None:
    """users_db sends COMMIT before its concurrent index (psycopg2: it then runs outside a transaction); orders_db's
    concurrent index follows in the same phase, but on its own connection, still in its transaction."""
    code, found = _lint("bad", "--select", "concurrent-index-in-transaction")
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [("0003_order_index.py", 32)]


def test_each_database_ending_its_own_transaction_is_silent() -> None:
    assert _lint("safe", "--select", "concurrent-index-in-transaction") == (0, [])


def test_an_unfollowable_dispatch_is_reported_not_passed_over() -> None:
    code, found = _lint("unread", "--select", "raw-sql-not-understood")
    assert code == 1
    assert [(f["rule"], f["line"]) for f in found] == [("raw-sql-not-understood", 16), ("raw-sql-not-understood", 20)]
