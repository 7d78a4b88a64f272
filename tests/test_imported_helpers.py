"""Steps a revision runs through a helper of the project's own package (held-out-27: airunner's
``from airunner_services.database.db import add_column, drop_column``, 157 ``raw-sql-not-understood`` notes).

The helper's body is read from the project's source, never imported, as a same-module helper is read, with the
call's arguments bound; its findings are at the call's line and name the helper. What cannot be read (a module
outside the project, through a symlink out of it, missing; a method; ``*args``) keeps the old note. Before this
change every such call was one note and nothing else: each test that expects a finding through a helper failed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli

NOTE = "raw-sql-not-understood"
REVISION = """\
from alembic import op
import sqlalchemy as sa
{imports}

revision = "b1"
down_revision = "a1"


def upgrade():
{body}


def downgrade():
    pass
"""
FIRST = """\
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("email", sa.Text()))


def downgrade():
    op.drop_table("users")
"""
HELPERS = """\
from alembic import op
import sqlalchemy as sa
from .checks import column_exists


def drop_col(table, col):
    op.drop_column(table, col)


def make_index(table, name, columns=("email",)):
    op.create_index(name, table, list(columns))


def add_required(table, col):
    if not column_exists(table, col):
        op.add_column(table, sa.Column(col, sa.Integer(), nullable=False))


def nothing(table):
    print(table)
"""
CHECKS = """\
import sqlalchemy as sa
from alembic import op


def column_exists(table, col):
    return col in [c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)]
"""


def _project(root: Path, body: str, imports: str, files: dict[str, str] | None = None) -> Path:
    """A project with env.py, two revisions (b1's body given) and the package ``app`` (``files`` added or replaced)."""
    written = {
        "pyproject.toml": "",
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": "from alembic import context\ntarget_metadata = None\n",
        "migrations/versions/a1_users.py": FIRST,
        "migrations/versions/b1_change.py": REVISION.format(imports=imports,
                                                            body=textwrap.indent(textwrap.dedent(body), "    ")),
        "app/__init__.py": "",
        "app/db.py": HELPERS,
        "app/checks.py": CHECKS,
        **(files or {}),
    }
    for rel, text in written.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _lint(project: Path, *args: str) -> list[tuple[str, int, str]]:
    run = run_cli("lint", project, "--format", "json", "--no-config", "--fail-on", "never", *args)
    return sorted((str(f["rule"]), int(f["line"]), str(f["message"])) for f in run.json()["findings"]
                  if Path(str(f["path"])).name == "b1_change.py")


def _at(project: Path, text: str) -> int:
    """The line of b1_change.py that holds ``text``."""
    lines = (project / "migrations" / "versions" / "b1_change.py").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def _rules(findings: list[tuple[str, int, str]]) -> list[tuple[str, int]]:
    return [(rule, line) for rule, line, _ in findings if rule != "missing-downgrade"]


def test_a_step_of_an_imported_helper_is_found_at_the_call_and_names_the_helper(tmp_path: Path) -> None:
    project = _project(tmp_path, """\
        drop_col("users", "email")
        db.make_index("users", "ix_users_email")
        nothing("users")
    """, "from app.db import drop_col, nothing\nimport app.db as db")
    findings = _lint(project, "--no-cache")
    assert _rules(findings) == [("create-index-not-concurrently", _at(project, "make_index")),
                                ("drop-column", _at(project, "drop_col("))]
    messages = {rule: message for rule, _, message in findings}
    assert messages["drop-column"].startswith("column users.email is dropped")
    assert messages["drop-column"].endswith("(via `drop_col()` of `app.db`)")
    assert "index ix_users_email on existing table users" in messages["create-index-not-concurrently"]
    assert messages["create-index-not-concurrently"].endswith("(via `make_index()` of `app.db`)")


def test_a_guarded_helper_reads_as_the_same_helper_written_in_the_revision(tmp_path: Path) -> None:
    """The step under ``if not column_exists(...)`` may not run: where the history already made the column, it never
    runs and nothing is reported; where it did not, it is reported as the same-module helper's step is."""
    same_file = _project(tmp_path / "same", "add_required('users', 'age')\nadd_required('users', 'email')",
                         HELPERS.replace("from alembic import op\nimport sqlalchemy as sa\n", "")
                         .replace("from .checks import column_exists\n", "from app.checks import column_exists\n"))
    imported = _project(tmp_path / "imported", "add_required('users', 'age')\nadd_required('users', 'email')",
                        "from app.db import add_required")
    expected = [(rule, line, message) for rule, line, message in _lint(same_file, "--no-cache")
                if rule != "missing-downgrade"]
    got = [(rule, line, message) for rule, line, message in _lint(imported, "--no-cache")
           if rule != "missing-downgrade"]
    # 'email' exists since a1: that call's step never runs; 'age' does not
    assert [rule for rule, _, _ in expected] == ["add-not-null-column-without-default"]
    assert [(rule, message.removesuffix(" (via `add_required()` of `app.db`)")) for rule, _, message in got] \
        == [(rule, message) for rule, _, message in expected]
    assert [line for _, line, _ in got] == [_at(imported, "'age'")]  # the call's line, not the helper's


def test_what_cannot_be_read_keeps_the_note(tmp_path: Path) -> None:
    project = _project(tmp_path, """\
        missing("users")
        Tools.drop("users", "email")
        drop_col(*ARGS)
        twice("users", "email")
    """, "from app.nothere import missing\nfrom app.tools import Tools, twice\nfrom app.db import drop_col\n"
         "ARGS = ('users', 'email')",
        {"app/tools.py": "from alembic import op\n\nclass Tools:\n    @staticmethod\n    def drop(t, c):\n"
                         "        op.drop_column(t, c)\n\n\ndef twice(t, c):\n    op.drop_column(t, c)\n\n\n"
                         "def twice(t, c):\n    op.drop_column(t, c)\n"})
    findings = _lint(project, "--no-cache")
    assert _rules(findings) == [(NOTE, _at(project, call)) for call in ("missing(", "Tools.drop", "drop_col(", "twice(")]
    assert all("migcheck does not read imported code" in message for _, _, message in findings if _ == NOTE)


def test_a_helper_module_through_a_symlink_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(HELPERS, encoding="utf-8")
    project = _project(tmp_path / "project", 'drop_col("users", "email")', "from app.db import drop_col")
    (project / "app" / "db.py").unlink()
    (project / "app" / "db.py").symlink_to(outside)
    findings = _lint(project, "--no-cache")
    assert _rules(findings) == [(NOTE, _at(project, "drop_col("))]
    assert "`drop_col()` comes from `app.db`, and migcheck does not read imported code" in findings[-1][2]


def test_a_helper_module_outside_the_project_root_is_not_read(tmp_path: Path) -> None:
    """``lib/`` beside the project (what a ``sys.path`` entry outside the checkout would find) is never read."""
    (tmp_path / "lib" / "common").mkdir(parents=True)
    (tmp_path / "lib" / "common" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "lib" / "common" / "db.py").write_text(HELPERS.replace(".checks", "app.checks"), encoding="utf-8")
    project = _project(tmp_path / "project", 'drop_col("users", "email")', "from common.db import drop_col")
    findings = _lint(project, "--no-cache")
    assert _rules(findings) == [(NOTE, _at(project, "drop_col("))]
    assert "`drop_col()` comes from `common.db`" in findings[-1][2]


def test_helpers_calling_each_other_across_modules_and_a_module_importing_itself_end(tmp_path: Path) -> None:
    project = _project(tmp_path, "ping('users')\nselfish('audit')", "from app.ping import ping\n"
                       "from app.me import selfish", {
                           "app/ping.py": "from alembic import op\nfrom app.pong import pong\n\n\ndef ping(t):\n"
                                          "    op.drop_column(t, 'email')\n    pong(t)\n",
                           "app/pong.py": "from app.ping import ping\n\n\ndef pong(t):\n    ping(t)\n",
                           "app/me.py": "from alembic import op\nimport app.me as me\n\n\ndef selfish(t):\n"
                                        "    op.drop_table(t)\n    me.selfish(t)\n",
                       })
    findings = _lint(project, "--no-cache")
    # ping -> pong -> ping again, selfish -> me.selfish (its own module imported): not followed a second time, and
    # that inner call keeps its note, at the revision's call
    ping, selfish = _at(project, "ping("), _at(project, "selfish(")
    assert _rules(findings) == [("drop-column", ping), ("drop-table", selfish), (NOTE, ping), (NOTE, selfish)]
    assert "`ping()` comes from `app.ping`" in findings[-2][2]
    assert findings[-2][2].endswith("(via `ping()` of `app.ping`)")


def test_helpers_are_followed_three_modules_deep_then_the_note(tmp_path: Path) -> None:
    chain = {f"app/m{n}.py": f"from app.m{n + 1} import f{n + 1}\n\n\ndef f{n}(t):\n    f{n + 1}(t)\n"
             for n in range(1, 5)}
    chain["app/m3.py"] = "from alembic import op\nfrom app.m4 import f4\n\n\ndef f3(t):\n    op.drop_table(t)\n" \
                         "    f4(t)\n"
    chain["app/m5.py"] = "from alembic import op\n\n\ndef f5(t):\n    op.drop_column(t, 'email')\n"
    project = _project(tmp_path, "f1('users')", "from app.m1 import f1", chain)
    findings = _lint(project, "--no-cache")
    assert _rules(findings) == [("drop-table", _at(project, "f1(")), (NOTE, _at(project, "f1("))]
    assert "`f4()` comes from `app.m4`" in next(m for r, _, m in findings if r == NOTE)


def test_the_cache_does_not_keep_what_a_changed_helper_did(tmp_path: Path) -> None:
    project = _project(tmp_path, 'drop_col("users", "email")', "from app.db import drop_col")
    assert _rules(_lint(project)) == [("drop-column", _at(project, "drop_col("))]
    (project / "app" / "db.py").write_text(HELPERS.replace("    op.drop_column(table, col)\n", "    print(col)\n"),
                                           encoding="utf-8")
    assert _rules(_lint(project)) == []


def test_a_helper_called_again_and_again_spends_the_revision_s_walk_budget(tmp_path: Path) -> None:
    """Each call walks the helper's body again, and that counts against extract/limits.py's budget as a same-module
    helper's second call does: past it, reading stops with an error at the call (a stranger's helper cannot make a
    run walk millions of nodes)."""
    heavy = "from alembic import op\n\n\ndef heavy(t):\n    op.execute(str([" + ", ".join(["1"] * 4000) + "]))\n"
    tables = ", ".join(f"'t{n}'" for n in range(100))
    project = _project(tmp_path, f"for t in ({tables}):\n    heavy(t)", "from app.heavy import heavy",
                       {"app/heavy.py": heavy})
    findings = _lint(project, "--no-cache")
    stopped = [(line, message) for rule, line, message in findings if rule == "invalid-migration-file"]
    assert [line for line, _ in stopped] == [_at(project, "heavy(t)")]
    assert "syntax nodes again per function" in stopped[0][1]
