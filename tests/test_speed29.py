"""Issue 13 (branch speed29): what a revision of the app-calls history paid for its call into the application and its
``DROP INDEX IF EXISTS``.

The call ``helpers.touch_updated_at(op, "t1")`` made the extractor walk every node of the module to find the names
whose ``.session`` is only flushed (imports.idle_sessions), though only a call on such a session can be one; the
tests count that walk (never time) and check what a user sees (the finding of the call, the flush still idle) is
unchanged. The drop's name, asked whether any line of the revision names it other than the drop, is found by one
search of the joined code lines; the findings it decides are checked here."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where
from migcheck.extract.python import evaluate


@pytest.fixture
def idle_walks(monkeypatch: pytest.MonkeyPatch) -> list[ast.Module]:
    """The modules imports.idle_sessions (a walk of every node) is asked of from here on."""
    asked: list[ast.Module] = []
    real = evaluate.idle_sessions

    def counting(tree: ast.Module) -> frozenset[str]:
        asked.append(tree)
        return real(tree)

    monkeypatch.setattr(evaluate, "idle_sessions", counting)
    return asked


def _lint(path: Path, *rules: str) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--no-config", "--no-cache", "--format", "json", "--select", ",".join(rules),
                  "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return list(json.loads(run.stdout)["findings"])


def test_a_call_into_the_application_does_not_walk_the_module_for_idle_sessions(tmp_path: Path,
                                                                                 idle_walks: list[ast.Module]) -> None:
    """``helpers.touch_updated_at(op, "t1")`` is no session's flush: the module is not walked for idle sessions (on
    main: once per revision), and the call is still reported as code migcheck does not read."""
    upgrade = 'from myapp.db import helpers\nop.add_column("t1", sa.Column("c5", sa.Text()))\n' \
              'helpers.touch_updated_at(op, "t1")\n'
    (tmp_path / "0001_app.py").write_text(revision_text("0001", None, upgrade))
    found = _lint(tmp_path, "raw-sql-not-understood")
    assert idle_walks == []
    assert where(found) == [("raw-sql-not-understood", "0001_app.py", 12)]
    assert "`helpers.touch_updated_at()` comes from `myapp.db.helpers`" in str(found[0]["message"])


@pytest.mark.parametrize("flush", ["db.session.flush()", "db.session.commit().close()"])
def test_an_idle_session_is_still_asked_about_and_still_idle(tmp_path: Path, idle_walks: list[ast.Module],
                                                             flush: str) -> None:
    """The twin: a flush of a session the revision never fills (held-out-28 #95) asks, once, and runs no SQL; so
    does a call made on what such a flush returns, whose chain holds the flush."""
    upgrade = f'from myapp import db\nop.add_column("t1", sa.Column("c5", sa.Text()))\n{flush}\n'
    (tmp_path / "0001_flush.py").write_text(revision_text("0001", None, upgrade))
    assert _lint(tmp_path, "raw-sql-not-understood") == []
    assert len(idle_walks) == 1


def test_a_session_used_otherwise_is_still_not_idle(tmp_path: Path) -> None:
    """A name whose session is also filled (``db.session.add(x)``) is no idle one: its flush is reported."""
    upgrade = 'from myapp import db, models\ndb.session.add(models.User())\ndb.session.flush()\n'
    (tmp_path / "0001_add.py").write_text(revision_text("0001", None, upgrade))
    assert [line for _, _, line in where(_lint(tmp_path, "raw-sql-not-understood"))] == [11, 12]


_FIRST = 'op.create_table("t1", sa.Column("id", sa.Integer(), primary_key=True))'


@pytest.mark.parametrize(("other", "restored"), [
    ("", False),                                   # only its own drop line names it: it was never made
    ("# ix_legacy is gone\n", False),              # a comment is no code
    ('NOTE = "IX_LEGACY"\n', True),                # another line names it (any case): it may have been made
    ('NOTE = "ix_legacy_old"\n', False),           # a longer word is not the name
    ('NOTE = "ix_legacy ix_legacy $ix_legacy"\n', True),
])
def test_a_drop_if_exists_of_a_name_only_its_own_line_spells(tmp_path: Path, other: str, restored: bool) -> None:
    """``DROP INDEX IF EXISTS ix_legacy`` with nothing before it giving that name drops nothing, so the downgrade
    need not restore it; a line of the revision's code naming it otherwise (as a whole word, comments aside) may have
    made it, and then the downgrade is asked to."""
    (tmp_path / "0001_first.py").write_text(revision_text("0001", None, _FIRST))
    upgrade = f'{other}op.add_column("t1", sa.Column("c5", sa.Text()))\nop.execute("DROP INDEX IF EXISTS ix_legacy")\n'
    text = revision_text("0002", "0001", upgrade).replace("    pass\n", '    op.drop_column("t1", "c5")\n')
    (tmp_path / "0002_drop.py").write_text(text)
    found = _lint(tmp_path, "downgrade-not-inverse")
    line = 11 + other.count("\n")
    assert where(found) == ([("downgrade-not-inverse", "0002_drop.py", line)] if restored else [])
