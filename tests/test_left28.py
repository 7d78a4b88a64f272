"""What users see for branch left28's fixes: exits that end the process (``sys.exit()``, ``os._exit()``, ``raise
SystemExit``) and ``assert`` read as the early exits they are (exits.py), and ``sa.true()`` / ``sa.false()`` read as
SQLAlchemy's constants only when the name comes from SQLAlchemy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, where, write_files

_HEAD = ("import contextlib\nimport os\nimport sys\nimport sqlalchemy as sa\nfrom alembic import context, op\n"
         "{head}\nrevision = '0001'\ndown_revision = None\n\n\ndef upgrade():\n")


def _revision(upgrade: str, head: str = "") -> str:
    return (_HEAD.format(head=head) + textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
            + "\n\n\ndef downgrade():\n    pass\n")


def _lint(tmp_path: Path, upgrade: str, dialect: str, rule: str, head: str = "") -> tuple[int, list[tuple[str, str,
                                                                                                           int]]]:
    root = write_files(tmp_path, {"versions/0001_a.py": _revision(upgrade, head)})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", rule, "--fail-on", "warning")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


# mayrun27's shape: drop-index-not-concurrently exempts a DROP INDEX when the table is dropped in the same upgrade,
# but not when that DROP TABLE may not run. Line 12 is the upgrade's first line (with no extra head line).
_DROP = 'op.drop_index("ix_users_email", table_name="users")\n'


@pytest.mark.parametrize(("between", "head"), [
    ('if os.environ.get("KEEP_USERS"):\n    sys.exit(0)\n', ""),
    ('if os.environ.get("KEEP_USERS"):\n    s.exit(0)\n', "import sys as s"),
    ('if os.environ.get("KEEP_USERS"):\n    bye()\n', "from sys import exit as bye"),
    ('if os.environ.get("KEEP_USERS"):\n    os._exit(0)\n', ""),
    ('if os.environ.get("KEEP_USERS"):\n    exit(0)\n', ""),
    ('if os.environ.get("KEEP_USERS"):\n    quit()\n', ""),
    ('if os.environ.get("KEEP_USERS"):\n    o._exit(0)\n', "import os.path as p, os as o"),
    ('if os.environ.get("KEEP_USERS"):\n    raise SystemExit\n', ""),
    ('if os.environ.get("KEEP_USERS"):\n    raise SystemExit(0)\n', ""),
    ('import sys\nif os.environ.get("KEEP_USERS"):\n    sys.exit(0)\n', ""),  # imported again in the function
    ('def _check():\n    if os.environ.get("KEEP_USERS"):\n        sys.exit(0)\n\n_check()\n', ""),
    ('try:\n    if os.environ.get("KEEP_USERS"):\n        sys.exit(0)\nexcept Exception:\n    pass\n', ""),
], ids=["sys-exit", "sys-as", "from-sys-import-exit", "os-exit", "builtin-exit", "builtin-quit", "os-as",
        "raise-systemexit", "raise-systemexit-call",
        "sys-imported-in-function", "in-helper", "try-except-exception"])
def test_a_drop_after_an_exit_that_may_end_the_run_does_not_hide_the_drop_index(tmp_path: Path, between: str,
                                                                                 head: str) -> None:
    """``sys.exit(0)`` and its kin end the process quietly (the command succeeds): the DROP TABLE after them may
    not run, so the DROP INDEX is reported (exit 1). Before left28 the walker read them as plain calls, or as a
    ``raise`` that fails loudly, and the DROP TABLE as surely run: no finding, exit 0."""
    assert _lint(tmp_path, _DROP + between + 'op.drop_table("users")', "postgresql", "drop-index-not-concurrently",
                 head) == (1, [("drop-index-not-concurrently", "0001_a.py", 12)])


def test_a_drop_after_an_assert_a_try_catches_does_not_hide_the_drop_index(tmp_path: Path) -> None:
    """``assert <test>`` is ``if not <test>: raise AssertionError``: inside a ``try`` that catches it, the DROP TABLE
    after it may not run while the revision completes."""
    assert _lint(tmp_path, _DROP + 'try:\n    assert not os.environ.get("KEEP_USERS")\n    op.drop_table("users")\n'
                 'except AssertionError:\n    pass', "postgresql", "drop-index-not-concurrently") \
        == (1, [("drop-index-not-concurrently", "0001_a.py", 12)])


@pytest.mark.parametrize(("between", "head"), [
    ('sys = types.SimpleNamespace(exit=print)\nif os.environ.get("KEEP_USERS"):\n    sys.exit(0)\n', "import types"),
    ('if os.environ.get("KEEP_USERS"):\n    exit(0)\n', "from app.tools import exit"),
    ('if os.environ.get("KEEP_USERS"):\n    raise SystemExit\n', "class SystemExit(Exception):\n    pass\n"),
    ('if os.environ.get("KEEP_USERS"):\n    sys.stdout.flush()\n', ""),
    ('if context.is_offline_mode():\n    sys.exit(0)\n', ""),
    ('assert not os.environ.get("KEEP_USERS")\n', ""),  # fails the revision loudly: nothing skipped quietly
    ('assert True\n', ""),
], ids=["sys-rebound", "exit-of-the-app", "own-systemexit", "other-sys-call", "offline", "assert-uncaught",
        "assert-true"])
def test_a_drop_after_what_is_no_quiet_exit_still_exempts_the_drop_index(tmp_path: Path, between: str,
                                                                         head: str) -> None:
    """A ``sys`` the revision binds itself, an ``exit`` or ``SystemExit`` of its own, offline mode's exit and an
    ``assert`` nothing catches end nothing quietly: the DROP TABLE surely runs where the revision completes, and
    exempts the DROP INDEX (exit 0), as before."""
    assert _lint(tmp_path, _DROP + between + 'op.drop_table("users")', "postgresql",
                 "drop-index-not-concurrently", head) == (0, [])


@pytest.mark.parametrize("guard", [
    'if op.get_bind().dialect.name != "postgresql":\n    sys.exit(0)\n',
    'if op.get_bind().dialect.name != "postgresql":\n    os._exit(1)\n',
    'if op.get_bind().dialect.name != "postgresql":\n    raise SystemExit("PostgreSQL only")\n',
    'assert op.get_bind().dialect.name == "postgresql"\n',
    'bind = op.get_bind()\nassert bind.dialect.name == "postgresql", "PostgreSQL only"\n',
], ids=["sys-exit", "os-exit", "raise-systemexit", "assert", "assert-bound"])
def test_steps_after_a_postgresql_only_exit_run_only_on_postgresql(tmp_path: Path, guard: str) -> None:
    """The rest of the upgrade runs only on PostgreSQL: linted for SQLite it is not walked (no finding), for
    PostgreSQL it is (the DROP COLUMN is reported, on its line). Before left28, ``sys.exit(0)`` and ``assert`` were
    passed over and the DROP COLUMN was reported for SQLite too."""
    upgrade = guard + 'op.drop_column("users", "email")'
    line = 12 + guard.count("\n")
    assert _lint(tmp_path / "pg", upgrade, "postgresql", "drop-column") == (1, [("drop-column", "0001_a.py", line)])
    assert _lint(tmp_path / "sqlite", upgrade, "sqlite", "drop-column") == (0, [])


def test_an_assert_false_ends_the_upgrade(tmp_path: Path) -> None:
    """``assert False`` always fails: the step after it never runs, as after a ``raise`` (no finding)."""
    assert _lint(tmp_path, 'assert False, "not yet"\nop.drop_column("users", "email")', "postgresql",
                 "drop-column") == (0, [])


# --- sa.true() / sa.false(): SQLAlchemy's only when the name comes from SQLAlchemy -----------------------------

_OWN_TRUE = "\n\ndef true():\n    return sa.text(\"random() > 0.5\")\n"


@pytest.mark.parametrize(("default", "head", "reported"), [
    ("sa.true()", "", False),
    ("sa.false()", "", False),
    ("sa.sql.expression.true()", "", False),
    ("true()", "from sqlalchemy.sql.expression import true", False),
    ("expression.false()", "from sqlalchemy.sql import expression", False),
    ("true()", _OWN_TRUE, True),
    ("true()", "from app.defaults import true", True),
    ("defaults.false()", "from app import defaults", True),
    ("sa.func.true()", "", True),
], ids=["sa-true", "sa-false", "expression-path", "from-sqlalchemy", "expression-module", "own-def", "from-app",
        "app-module", "sql-function"])
def test_a_server_default_is_sqlalchemys_constant_only_when_the_name_is_sqlalchemys(
        tmp_path: Path, default: str, head: str, reported: bool) -> None:
    """``server_default=sa.true()`` is the literal true: no rewrite (squawk #390). Any call named ``true()`` was
    read so, the revision's own ``def true()`` returning ``random() > 0.5`` too, or one imported from the
    application: quiet. Now only SQLAlchemy's is the literal; another is a call of a function PostgreSQL does not
    ship, which add-column-with-volatile-default reports (warning), as it reports any other such call."""
    upgrade = f'op.add_column("users", sa.Column("flag", sa.Boolean(), server_default={default}))'
    code, found = _lint(tmp_path, upgrade, "postgresql", "add-column-with-volatile-default", head)
    line = 12 + head.count("\n")  # the upgrade's first line
    assert (code, found) == ((1, [("add-column-with-volatile-default", "0001_a.py", line)]) if reported else (0, []))


@pytest.mark.parametrize(("test", "head", "expected"), [
    ("Value.kind.is_(sa.null())", "", []),
    ("Value.kind.is_not(sa.true())", "", []),
    ("Value.kind.is_(true())", "\nfrom helpers import true\n", [0]),
    ("Value.kind.is_(false())", "\n\ndef false():\n    return Other.value > 0\n", [0]),
], ids=["sa-null", "sa-true", "from-helpers", "own-def"])
def test_a_delete_by_sqlalchemys_constants_only_is_repeatable(tmp_path: Path, test: str, head: str,
                                                               expected: list[int]) -> None:
    """A DELETE whose rows are chosen by tests of the entity's own columns against constants deletes the same rows
    when run again (held-out-24 #93): mixed-schema-and-data-change stays quiet on MySQL. ``true()`` / ``false()``
    were constants whatever they were; the revision's own, or the application's, may compare with anything, so the
    DELETE is reported, at its line, as any other test of a value known only at run time."""
    from test_held_out24_fixH24a import _MODELS, _mixed

    assert _mixed(tmp_path, f"session.query(Value).filter({test}).delete()", _MODELS + head) == expected


@pytest.mark.parametrize(("default", "head", "reported"), [
    ("sa.false()", "", False),
    ("sa.text('0')", "", False),
    ("false()", "\n\ndef false():\n    return sa.text(\"1\")\n", True),
    ("false()", "from app.defaults import false", True),
], ids=["sa-false", "text-0", "own-def", "from-app"])
def test_a_later_false_server_default_is_sqlalchemys_only_when_the_name_is_sqlalchemys(
        tmp_path: Path, default: str, head: str, reported: bool) -> None:
    """A NOT NULL boolean added on MySQL gets FALSE in the rows already there: fine when the server default set
    later says FALSE too (held-out-17 #3). A ``false()`` of the revision's own, or the application's, may say
    anything (here TRUE): add-not-null-column-without-default is reported, at the ADD COLUMN's line."""
    upgrade = ('op.add_column("recipe_set", sa.Column("waived", sa.Boolean(), nullable=False))\n'
               f'op.alter_column("recipe_set", "waived", existing_type=sa.Boolean(), server_default={default})')
    code, found = _lint(tmp_path, upgrade, "mysql", "add-not-null-column-without-default", head)
    line = 12 + head.count("\n")
    assert (code, found) == ((1, [("add-not-null-column-without-default", "0001_a.py", line)]) if reported
                             else (0, []))


def test_an_undecided_asserts_message_may_not_run(tmp_path: Path) -> None:
    """``assert <test>, <message>``: the message is evaluated only when the test fails, like ``test or message``.
    A DROP TABLE in the message of an undecided assert may not run, so it does not exempt the DROP INDEX (the
    read-through of round 28: the message was walked as surely run)."""
    assert _lint(tmp_path, _DROP + 'assert os.environ.get("KEEP_USERS"), op.drop_table("users")', "postgresql",
                 "drop-index-not-concurrently") == (1, [("drop-index-not-concurrently", "0001_a.py", 12)])

