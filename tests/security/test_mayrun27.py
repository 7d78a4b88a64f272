"""Steps that may not run, read as steps that surely run (mayrun27): a pull request hides a risky step behind an
exemption whose excusing step never runs. drop-index-not-concurrently exempts a DROP INDEX when the index's table is
dropped in the same upgrade, wherever the DROP INDEX runs (attack26d); the DROP TABLE below sits after an early exit
(``if flag: return``, ``continue`` / ``break``, a ``raise`` a ``try`` catches), in ``contextlib.suppress``, on the
right of ``and`` / ``or``, in a branch of a conditional expression or in a lambda: each may be
skipped while the revision completes, ``users`` stays, and the DROP INDEX took ACCESS EXCLUSIVE on it. Before
mayrun27 the walker marked none of them as a step that may not run, so the report was empty (exit 0).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, where, write_files


def _revision(upgrade: str) -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    # line 11: the first step of the upgrade
    return ("import contextlib\nimport os\nimport sqlalchemy as sa\nfrom alembic import context, op\n\n"
            "revision = '0001'\ndown_revision = None\n\n\ndef upgrade():\n"
            f"{up}\n\n\ndef downgrade():\n    pass\n")


def _lint(tmp_path: Path, upgrade: str) -> tuple[int, list[tuple[str, str, int]]]:
    root = write_files(tmp_path, {"versions/0001_a.py": _revision(upgrade)})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "drop-index-not-concurrently", "--fail-on", "warning")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


_DROP = 'op.drop_index("ix_users_email", table_name="users")\n'
_FOUND = (1, [("drop-index-not-concurrently", "0001_a.py", 11)])


@pytest.mark.parametrize("later", [
    'if os.environ.get("KEEP_USERS"):\n    return\nop.drop_table("users")',
    'if not os.environ.get("DROP_USERS"):\n    return\nelse:\n    pass\nop.drop_table("users")',
    'if os.environ.get("KEEP_USERS"):\n    if os.environ.get("REALLY"):\n        return\nop.drop_table("users")',
    'with op.get_context().autocommit_block():\n    if os.environ.get("KEEP_USERS"):\n        return\n'
    'op.drop_table("users")',
    'for table in ["users"]:\n    if os.environ.get("KEEP_USERS"):\n        continue\n    op.drop_table(table)',
    'for table in ["users"]:\n    if os.environ.get("KEEP_USERS"):\n        break\n    op.drop_table(table)',
    'try:\n    if os.environ.get("KEEP_USERS"):\n        raise ValueError("kept")\n    op.drop_table("users")\n'
    'except ValueError:\n    pass',
    'with contextlib.suppress(Exception):\n    op.drop_table("users")',
    'with contextlib.suppress(Exception):\n    op.execute("LOCK TABLE users")\n    op.drop_table("users")',
    'os.environ.get("DROP_USERS") and op.drop_table("users")',
    'os.environ.get("KEEP_USERS") or op.drop_table("users")',
    'op.drop_table("users") if os.environ.get("DROP_USERS") else None',
    'later = lambda: op.drop_table("users")',
], ids=["if-return", "if-not-else-return", "nested-if-return", "with-return", "loop-continue", "loop-break",
        "caught-raise", "suppress-first", "suppress-second", "and", "or", "ternary", "lambda"])
def test_a_drop_of_the_table_that_may_not_run_does_not_hide_the_drop_index(tmp_path: Path, later: str) -> None:
    """Each shape may skip the DROP TABLE while the revision completes: the DROP INDEX is reported (exit 1)."""
    assert _lint(tmp_path, _DROP + later) == _FOUND


def test_an_early_return_in_a_helper_ends_the_helper_only(tmp_path: Path) -> None:
    """A helper's ``return`` leaves the helper: the caller's DROP TABLE after the call still runs, and exempts."""
    assert _lint(tmp_path, '''
        def _check():
            if os.environ.get("SKIP_CHECK"):
                return
            op.execute("SELECT 1")

        op.drop_index("ix_users_email", table_name="users")
        _check()
        op.drop_table("users")
        ''') == (0, [])


@pytest.mark.parametrize("between", [
    'if context.is_offline_mode():\n    return\n',  # online, every database runs what follows
    'if not context.is_offline_mode():\n    pass\nelse:\n    return\n',
    'if op.get_context().as_sql:\n    return\n',
    'if False:\n    return\n',
    'if op.get_bind().dialect.name == "sqlite":\n    return\n',  # decided for PostgreSQL
    'if os.environ.get("STRICT"):\n    raise RuntimeError("refused")\n',  # fails the revision: nothing skipped
    'for table in ["users"]:\n    if os.environ.get("KEEP_USERS"):\n        continue\n',  # ends a pass only
    'with contextlib.suppress(KeyError):\n    os.environ["X"]\n',  # the block swallows, what follows runs
    'try:\n    if os.environ.get("X"):\n        raise ValueError("x")\nexcept ValueError:\n    pass\n',
], ids=["offline", "offline-else", "as-sql", "if-false", "dialect", "raise", "loop", "suppress", "caught-raise"])
def test_a_drop_of_the_table_that_surely_runs_still_exempts_it(tmp_path: Path, between: str) -> None:
    """Exits that are decided, are offline mode's, end the run loudly, or end no more than a pass or a block keep
    the exemption: no finding (exit 0), as before mayrun27."""
    assert _lint(tmp_path, _DROP + between + 'op.drop_table("users")') == (0, [])


def test_steps_after_the_same_exit_run_together(tmp_path: Path) -> None:
    """Both steps after ``if flag: return``: they run together or not at all, so the exemption holds."""
    assert _lint(tmp_path, 'if os.environ.get("KEEP_USERS"):\n    return\n' + _DROP + 'op.drop_table("users")') \
        == (0, [])


def test_a_step_after_a_taken_return_is_still_reported(tmp_path: Path) -> None:
    """``if True: return`` ends the upgrade (the test is not read as decided): the DROP INDEX after it is still
    reported, on its line, as before mayrun27."""
    assert _lint(tmp_path, 'if True:\n    return\n' + _DROP) == (1, [("drop-index-not-concurrently", "0001_a.py", 13)])


def test_a_step_in_a_match_case_is_read(tmp_path: Path) -> None:
    """A ``match`` statement's cases were not read at all before mayrun27 (the walker searched the statement's
    expressions and statements for calls, and a case is neither): the DROP INDEX in one was silent (exit 0). Each
    case is now walked as a block that may not run."""
    assert _lint(tmp_path, 'match os.environ.get("MODE"):\n    case "drop":\n        ' + _DROP) \
        == (1, [("drop-index-not-concurrently", "0001_a.py", 13)])


def test_an_existence_guard_written_as_an_early_return_reads_as_its_if(tmp_path: Path) -> None:
    """``if <column exists>: return`` then the ADD COLUMN is the same guard as ``if <column missing>:`` around it
    (the step runs only while the column is absent: Change.unless_exists): every rule reports the same findings on
    both, on the same line. A regression guard only (it passes on the code before mayrun27 too): the early exit
    makes the step one that may not run, and the guard keeps it marked as the ``if`` form marks it."""
    test = 'if "c" {} [col["name"] for col in sa.inspect(op.get_bind()).get_columns("t")]:\n'
    step = 'op.add_column("t", sa.Column("c", sa.Integer(), nullable=False, server_default="0"))\n'
    found = []
    for name, body in (("ret", test.format("in") + "    return\n" + step),
                       ("if", test.format("not in") + "    pass\n    " + step)):
        root = write_files(tmp_path / name, {"versions/0001_a.py": _revision(body)})
        run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                      "--fail-on", "never")
        assert run.exit_code == 0, run.stderr
        found.append(where(run.json()["findings"]))
    assert found[0] == found[1]
