"""attack28a: shapes left28's exits trust, forged to hide a DROP TABLE. An ``exit()`` the module may have rebound out
of a binding's sight, a ``with`` whose ``__exit__`` may swallow the exit, and an ``assert``'s message (evaluated when
the test fails) read the DROP TABLE after or inside them as never run: no finding, exit 0."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, where, write_files

_HEAD = ("import os\nimport sys\nfrom alembic import op\n{head}\nrevision = '0001'\ndown_revision = None\n\n\n"
         "def upgrade():\n")


def _lint(tmp_path: Path, upgrade: str, head: str, dialect: str = "postgresql") -> tuple[int, list[tuple[str, str,
                                                                                                            int]]]:
    text = _HEAD.format(head=head) + textwrap.indent(upgrade, "    ") + "\n\ndef downgrade():\n    pass\n"
    root = write_files(tmp_path, {"versions/0001_a.py": text})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", "drop-table")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


@pytest.mark.parametrize(("head", "upgrade"), [
    ("from app.tools import *", "exit()\n"),  # app.tools may bind exit to a function that returns
    ("", "sys.exit = print\nsys.exit(0)\n"),
    ("os._exit = print", "os._exit(0)\n"),
    ("", 'setattr(sys, "exit", print)\nsys.exit(0)\n'),
    ("", 'sys.__setattr__("exit", print)\nsys.exit(0)\n'),
    ("import builtins\nbuiltins.exit = print", "exit()\n"),
    ("", 'vars(sys)["exit"] = print\nsys.exit(0)\n'),
], ids=["star-import", "sys-exit-assigned", "os-exit-assigned", "setattr", "dunder-setattr", "builtins", "vars"])
def test_an_exit_rebound_out_of_sight_does_not_hide_what_follows(tmp_path: Path, head: str, upgrade: str) -> None:
    """The call returns: the DROP TABLE after it runs. left28 read it as the process's end and the rest as dead."""
    line = 10 + head.count("\n") + upgrade.count("\n")
    assert _lint(tmp_path, upgrade + 'op.drop_table("users")\n', head) == (1, [("drop-table", "0001_a.py", line)])


@pytest.mark.parametrize("ending", ["sys.exit(0)", "raise ValueError('skip')", "assert False"])
def test_an_exit_a_context_manager_may_swallow_does_not_hide_what_follows(tmp_path: Path, ending: str) -> None:
    """``Swallow.__exit__`` returns True: the exception ends the block, not the function, and the DROP TABLE after
    the block runs (``sys.exit`` since left28, ``raise`` before it)."""
    upgrade = f'with Swallow():\n    {ending}\nop.drop_table("users")\n'
    head = "class Swallow:\n    def __enter__(self):\n        return self\n\n" \
           "    def __exit__(self, *exc):\n        return True\n"
    assert _lint(tmp_path, upgrade, head) == (1, [("drop-table", "0001_a.py", 18)])


def test_a_return_in_a_with_block_still_ends_the_body(tmp_path: Path) -> None:
    """No ``__exit__`` can undo a ``return``: the DROP TABLE after the block never runs (held)."""
    assert _lint(tmp_path, 'with open("x"):\n    return\nop.drop_table("users")\n', "") == (0, [])


@pytest.mark.parametrize("test", ["False", 'op.get_bind().dialect.name == "postgresql"'])
def test_a_failed_asserts_message_is_evaluated(tmp_path: Path, test: str) -> None:
    """On MySQL the test fails, so the message is evaluated: the DROP TABLE in it runs and commits (MySQL's DDL is
    not transactional) before AssertionError. left28 walked nothing of a failing ``assert``."""
    assert _lint(tmp_path, f'assert {test}, op.drop_table("users")\n', "", "mysql") \
        == (1, [("drop-table", "0001_a.py", 10)])


def test_a_passing_asserts_message_is_not_evaluated(tmp_path: Path) -> None:
    """On PostgreSQL the test holds and the message is never evaluated: no DROP TABLE (held since left28)."""
    assert _lint(tmp_path, 'assert op.get_bind().dialect.name == "postgresql", op.drop_table("users")\n', "") \
        == (0, [])
