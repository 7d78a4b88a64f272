"""attack29c: fix29c read ``conn.commit()`` as the end of the migration's transaction. Forged: a commit that may not
run (under an ``if``, in a loop, after ``and``, in a lambda), or of another connection (``mylib.get_bind()``, a
``Session``'s, a name rebound on one branch, a transaction from ``begin()``) made validate-in-same-transaction
believe the NOT VALID constraint was committed first: no finding. And a revision that is a symlink out of the
project, refused unread, still had its first line printed under the refusal (``x.py -> /etc/hostname``)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, where, write_files

RULE = "validate-in-same-transaction"
_HEAD = ("import mylib\nimport sqlalchemy as sa\nfrom alembic import op\nfrom sqlalchemy.orm import Session\n\n"
         "revision = '0001'\ndown_revision = None\n\n\ndef upgrade():\n")
_ADD = 'op.execute("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID")\n'
_VALIDATE = 'op.execute("ALTER TABLE t VALIDATE CONSTRAINT fk")\n'


def _lint(tmp_path: Path, between: str) -> tuple[int, list[tuple[str, str, int]]]:
    body = _ADD + textwrap.dedent(between) + _VALIDATE
    text = _HEAD + textwrap.indent(body, "    ") + "\n\ndef downgrade():\n    pass\n"
    root = write_files(tmp_path, {"versions/0001_a.py": text})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", RULE, "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


_FORGED = {
    "if": "if sa.__version__ > '2':\n    op.get_bind().commit()\n",
    "loop": "for row in op.get_bind().execute(sa.text('SELECT 1')).fetchall():\n    op.get_bind().commit()\n",
    "and": "sa.__version__ > '3' and op.get_bind().commit()\n",
    "ternary": "op.get_bind().commit() if sa.__version__ > '3' else None\n",
    "lambda": "later = lambda: op.get_bind().commit()\n",
    "look-alike-get-bind": "mylib.get_bind().commit()\n",
    "session-get-bind": "Session(sa.create_engine('sqlite://')).get_bind().connect().commit()\n",
    "rebound-on-a-branch": "conn = op.get_bind()\nif sa.__version__ > '2':\n"
                           "    conn = sa.create_engine('sqlite://').connect()\nconn.commit()\n",
    "rebound-by-with": "conn = op.get_bind()\nwith sa.create_engine('sqlite://').connect() as conn:\n    pass\n"
                       "conn.commit()\n",
    "rebound-by-for": "conn = op.get_bind()\nfor conn in [sa.create_engine('sqlite://').connect()]:\n    pass\n"
                      "conn.commit()\n",
    "begin-transaction": "op.get_bind().begin().commit()\n",
}


@pytest.mark.parametrize("between", list(_FORGED.values()), ids=list(_FORGED))
def test_a_commit_that_may_not_end_the_migrations_transaction_silences_nothing(tmp_path: Path, between: str) -> None:
    """The VALIDATE may run in the transaction that added the constraint: reported on its line, as with no commit."""
    line = 12 + between.count("\n")
    assert _lint(tmp_path, between) == (1, [(RULE, "0001_a.py", line)])


@pytest.mark.parametrize("between", ["op.get_bind().commit()\n", "conn = op.get_bind()\nconn.commit()\n",
                                     "op.get_context().connection.commit()\n"], ids=["get-bind", "name", "context"])
def test_the_migration_connections_own_commit_still_ends_it(tmp_path: Path, between: str) -> None:
    """Held: a commit certainly run on the migration's connection commits the NOT VALID constraint first."""
    assert _lint(tmp_path, between) == (0, [])


def test_a_refused_symlink_out_of_the_project_shows_none_of_its_target(tmp_path: Path) -> None:
    """The refusal is reported on line 1 of the symlink; the line under it was read through the link."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("TOKEN=hunter2-do-not-print\n")
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "versions").mkdir()
    os.symlink(secret, project / "versions" / "0001_a.py")
    run = run_cli("lint", project, "--no-config", "--no-cache")
    assert run.exit_code == 1, run.stderr
    assert "invalid-migration-file" in run.stdout and "outside the project" in run.stdout
    assert "hunter2" not in run.stdout + run.stderr


@pytest.mark.parametrize("commit", ["op.get_bind().commit()\n", "if sa.__version__ > '2':\n    op.get_bind().commit()\n"],
                         ids=["certain", "may-not-run"])
def test_a_commit_that_may_run_still_ends_what_a_truncate_proved(tmp_path: Path, commit: str) -> None:
    """Held the other way: after a commit that may run, other sessions may fill the truncated table before SET NOT
    NULL scans it, so the TRUNCATE no longer keeps set-not-null silent (emptied_before: may_end_transaction)."""
    body = "op.execute('TRUNCATE t')\n" + commit + \
        "op.alter_column('t', 'a', existing_type=sa.Integer(), nullable=False)\n"
    text = _HEAD + textwrap.indent(body, "    ") + "\n\ndef downgrade():\n    pass\n"
    root = write_files(tmp_path, {"versions/0001_a.py": text})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "set-not-null", "--fail-on", "info")
    assert (run.exit_code, where(run.json()["findings"])) == (1, [("set-not-null", "0001_a.py", 12 + commit.count("\n"))])


def test_a_flask_migrate_folders_version_locations_are_the_history_read(tmp_path: Path) -> None:
    """``flask db upgrade`` passes the folder as script location and Alembic still takes the ini's version_locations:
    the revision dropping ``users`` in ``real/`` runs. fix29c read the decoy ``versions/`` alone: exit 0."""
    drop = "from alembic import op\nrevision = 'r1'\ndown_revision = None\n\n\ndef upgrade():\n" \
           "    op.drop_table('users')\n\n\ndef downgrade():\n    pass\n"
    decoy = drop.replace("r1", "d1").replace("op.drop_table('users')", "pass")
    root = write_files(tmp_path, {"migrations/env.py": "", "migrations/versions/d1.py": decoy,
                                  "migrations/real/r1.py": drop,
                                  "migrations/alembic.ini": "[alembic]\nversion_locations = %(here)s/real\n"})
    run = run_cli("lint", root / "migrations", "--no-config", "--no-cache", "--format", "json", "--dialect",
                  "postgresql", "--select", "drop-table")
    assert (run.exit_code, where(run.json()["findings"])) == (1, [("drop-table", "r1.py", 7)]), run.stderr
