"""Held-out-24 (precision), helper fixH24b: data kept, inverses, exemptions.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import findings_of, run_cli
from conftest import where as _where
from conftest import write_files as _write


def _lint(path: Path, dialect: str, *rules: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--no-config", "--dialect", dialect, "--format", "json", "--select",
                  ",".join(rules), "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, [f for rule in rules for f in findings_of(run, rule)]


def _revision(rev: str, down: str | None, upgrade: str, downgrade: str = "pass", doc: str = "") -> str:
    return (f'"""{doc or "r " + rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\n'
            f"down_revision = {down!r}\n\n\ndef upgrade():\n{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n")


_BASE = _revision("a001", None, """\
    op.create_table("grants", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("role_id", sa.Integer()),
                    sa.Column("kind", sa.Text()))
    op.create_table("groups", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("role_id", sa.Integer()))
""", """\
    op.drop_table("groups")
    op.drop_table("grants")
""")


# --- #152: a DELETE of the rows an UPDATE ... FROM found no match for ------------------------------------------------

_MATCHED = """\
    op.add_column("grants", sa.Column("group_id", sa.Integer(), nullable=True))
    op.execute("UPDATE grants g SET group_id = x.id FROM groups x WHERE x.role_id = g.role_id")
    op.execute("DELETE FROM grants WHERE group_id IS NULL")
    op.alter_column("grants", "group_id", nullable=False)
"""


def test_delete_of_rows_a_joined_fill_left_null_is_the_orphans_only(tmp_path: Path) -> None:
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_fill.py": _revision("a002", "a001", _MATCHED)})
    assert _lint(root, "postgresql", "unbatched-backfill") == (0, [])


def test_delete_of_a_column_no_fill_reached_is_still_reported(tmp_path: Path) -> None:
    body = _MATCHED.replace("SET group_id = x.id", "SET kind = x.id")
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_fill.py": _revision("a002", "a001", body)})
    code, found = _lint(root, "postgresql", "unbatched-backfill")
    assert code == 1 and _where(found) == [("unbatched-backfill", "a002_fill.py", 12)]
