"""review18: crafted revisions that held lint far longer than their size explains (held-out-18's new readings).

Each is linted by the real CLI in a child process; the limit is generous (lint of these files takes about a
second), and the code before the fix needs far longer than it: the test fails there with TimeoutExpired."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from migcheck.extract.python.guards import returned_test

_LIMIT = 90  # seconds; before the fixes: beyond the doubling helper's lifetime, minutes for the DROP SCHEMA


def _lint(path: Path, *args: str) -> list[dict[str, object]]:
    run = subprocess.run([sys.executable, "-m", "migcheck", "lint", str(path), "--format", "json", "--no-config",
                          "--no-cache", "--fail-on", "never", *args],
                         capture_output=True, text=True, timeout=_LIMIT, env={**os.environ, "NO_COLOR": "1"})
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["findings"]  # type: ignore[no-any-return]


def _doubling_helper(lines: int) -> str:
    """A guard helper whose every binding names the one before it twice: read as the test it returns, its text
    doubles per line."""
    body = ['    a0 = sa.inspect(op.get_bind()).get_columns("t")']
    body += [f"    a{i} = (a{i - 1}, a{i - 1})" for i in range(1, lines)]
    return "\n".join(["def has_run():", *body, f'    return "c" in [c["name"] for c in a{lines - 1}]'])


def test_a_guard_helper_whose_bindings_double_is_not_expanded(tmp_path: Path) -> None:
    tree = ast.parse(_doubling_helper(14) + "\nhas_run()\n")
    helper = tree.body[0]
    assert isinstance(helper, ast.FunctionDef)
    call = tree.body[1].value  # type: ignore[attr-defined]
    assert returned_test(call, {"has_run": helper}) is None  # 2**14 names once substituted: not read
    small = ast.parse(_doubling_helper(2) + "\nhas_run()\n")
    assert returned_test(small.body[1].value, {"has_run": small.body[0]}) is not None  # type: ignore[arg-type, attr-defined]

    revision = tmp_path / "a1_guarded.py"
    revision.write_text("\n".join([
        '"""A guard helper crafted to double at each line."""', "from alembic import op", "import sqlalchemy as sa",
        'revision = "a1"', "down_revision = None", "", _doubling_helper(40), "", "def upgrade():",
        "    if not has_run():", '        op.add_column("t", sa.Column("c", sa.Integer()))', "", "def downgrade():",
        '    op.drop_column("t", "c")', ""]))
    found = _lint(revision, "--select", "missing-lock-timeout")
    assert [(f["rule"], f["line"]) for f in found] == [("missing-lock-timeout", 52)]


def test_a_drop_schema_with_a_long_run_of_blanks_is_read_in_linear_time(tmp_path: Path) -> None:
    """`DROP SCHEMA s <blanks> RESTRICT` in a downgrade: the CASCADE reading took time quadratic in the blanks."""
    blanks = " " * 400_000
    revision = tmp_path / "d1_schema.py"
    revision.write_text(
        '"""A downgrade statement with a long run of blanks."""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        'revision = "d1"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), schema="s")\n\n\n'
        f'def downgrade():\n    op.execute("DROP SCHEMA s{blanks}RESTRICT")\n')
    found = _lint(revision, "--select", "downgrade-not-inverse")
    assert [(f["rule"], f["line"]) for f in found] == [("downgrade-not-inverse", 10)]
    cascade = tmp_path / "d1_cascade.py"
    cascade.write_text(revision.read_text().replace(f"s{blanks}RESTRICT", f"s{blanks}CASCADE"))
    assert _lint(cascade, "--select", "downgrade-not-inverse") == []
