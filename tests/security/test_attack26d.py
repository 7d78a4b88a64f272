"""Attacker review of speed26 (issue 13): each test is a pull request a stranger could send, shaped so that an
exemption the change's neighbourhood trusts hides a real risk, which the report must not lose.

* drop-index-not-concurrently: "the index's table is dropped in the same upgrade" (and "another step of the
  transaction takes ACCESS EXCLUSIVE on it anyway") when that DROP TABLE / DROP MATERIALIZED VIEW / DROP COLUMN may
  not run where the DROP INDEX runs: under an ``if`` decided at run time, in a loop that may make no pass, after a
  step a ``try`` may leave by its ``except``. The index's table stays, locked by the DROP INDEX.
* mixed-schema-and-data-change: "an UPDATE / DELETE of one row by its key" when the key is ``"user"`` and the WHERE
  says ``user = 'admin'`` unquoted: PostgreSQL reads ``user`` (``current_role``, ``system_user``) as the session's
  role, not the column, so every row goes when the migration runs as admin. The keyed DELETE is one of speed26's
  plain statements; sqlglot's reading, and the keyed UPDATE's fast path before it, took it for the column.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, where, write_files


def _revision(rid: str, down: str | None, upgrade: str) -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    # line 10: the first step of the upgrade
    return (f"import os\nimport sqlalchemy as sa\nfrom alembic import op\n\nrevision = {rid!r}\n"
            f"down_revision = {down!r}\n\n\ndef upgrade():\n{up}\n\n\ndef downgrade():\n    pass\n")


def _lint(root: Path, rule: str) -> tuple[int, list[tuple[str, str, int]]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", rule, "--fail-on", "warning")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


_DROP = 'op.drop_index("ix_users_email", table_name="users")\n'


@pytest.mark.parametrize("later", [
    'if os.environ.get("DROP_USERS"):\n    op.drop_table("users")',
    'for name in os.environ.get("TABLES", "").split():\n    op.drop_table("users")',
    'try:\n    int(os.environ["N"])\n    op.drop_table("users")\nexcept Exception:\n    pass',
    'if os.environ.get("DROP_USERS"):\n    op.execute("DROP MATERIALIZED VIEW users")',
], ids=["if", "loop", "try", "matview-if"])
def test_a_drop_of_the_table_that_may_not_run_does_not_hide_the_drop_index(tmp_path: Path, later: str) -> None:
    """The DROP TABLE may be skipped while the DROP INDEX runs: ``users`` stays, and its DROP INDEX took ACCESS
    EXCLUSIVE on it. On speed26 (and before) any DROP TABLE of the name in the upgrade exempted it: exit 0."""
    root = write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, _DROP + later)})
    assert _lint(root, "drop-index-not-concurrently") == (1, [("drop-index-not-concurrently", "0001_a.py", 10)])


def test_a_drop_of_the_table_that_runs_still_exempts_it(tmp_path: Path) -> None:
    """The exemption itself kept: the table goes in the same transaction, under the same ``if`` as the index."""
    root = write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, """
        if os.environ.get("DROP_USERS"):
            op.drop_index("ix_users_email", table_name="users")
            op.drop_table("users")
        """)})
    assert _lint(root, "drop-index-not-concurrently") == (0, [])


def test_a_strong_lock_in_a_loop_that_may_make_no_pass_does_not_hide_the_drop_index(tmp_path: Path) -> None:
    """``DROP COLUMN`` of the index's table takes ACCESS EXCLUSIVE for the transaction, so CONCURRENTLY would gain
    nothing, but only when it runs: in a loop over a list known at run time it may run no time."""
    root = write_files(tmp_path, {"versions/0001_a.py": _revision("0001", None, _DROP + (
        'for column in os.environ.get("COLUMNS", "").split():\n    op.drop_column("users", column)'))})
    assert _lint(root, "drop-index-not-concurrently") == (1, [("drop-index-not-concurrently", "0001_a.py", 10)])


_ACCOUNTS = 'op.create_table("accounts", sa.Column("user", sa.String(50), primary_key=True), sa.Column("a", sa.Integer))'


@pytest.mark.parametrize(("statement", "found"), [
    ("DELETE FROM accounts WHERE user = 'admin'", [("mixed-schema-and-data-change", "0002_b.py", 11)]),
    ("UPDATE accounts SET a = 1 WHERE user = 'admin'", [("mixed-schema-and-data-change", "0002_b.py", 11)]),
    ("DELETE FROM accounts WHERE \\\"user\\\" = 'admin'", []),  # the column, quoted: one row by the key
    ("DELETE FROM accounts WHERE accounts.user = 'admin'", []),  # the column, qualified
], ids=["delete", "update", "quoted", "qualified"])
def test_user_unquoted_is_the_session_role_not_the_key_column(tmp_path: Path, statement: str,
                                                               found: list[tuple[str, str, int]]) -> None:
    root = write_files(tmp_path, {
        "versions/0001_a.py": _revision("0001", None, _ACCOUNTS),
        "versions/0002_b.py": _revision("0002", "0001", (
            'op.add_column("accounts", sa.Column("b", sa.Integer))\n'
            f'op.execute("{statement}")')),
    })
    assert _lint(root, "mixed-schema-and-data-change") == (1 if found else 0, found)
