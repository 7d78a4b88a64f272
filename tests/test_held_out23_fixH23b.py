"""Held-out-23 (issue #16, precision), helper fixH23b: data copied before a drop, and what the history knows.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import findings_of, run_cli


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _lint(path: Path, dialect: str, *rules: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--no-config", "--dialect", dialect, "--format", "json", "--select",
                  ",".join(rules), "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, [f for rule in rules for f in findings_of(run, rule)]


def _where(found: list[dict[str, object]]) -> list[tuple[str, str, int]]:
    return sorted((str(f["rule"]), Path(str(f["path"])).name, int(str(f["line"]))) for f in found)


def _revision(rev: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    return (f'"""r {rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\n'
            f"down_revision = {down!r}\n\n\ndef upgrade():\n{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n")


_BASE = _revision("a001", None, """\
    op.create_table("misc", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("note", sa.Text()))
    op.create_table("layer", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("title", sa.Text()),
                    sa.Column("flagField", sa.Text()), sa.Column("owner_id", sa.Integer()))
    op.create_table("layer_v1", sa.Column("id", sa.Integer(), sa.ForeignKey("layer.id"), primary_key=True),
                    sa.Column("extra", sa.Text()))
""", """\
    op.drop_table("layer_v1")
    op.drop_table("layer")
    op.drop_table("misc")
""")


# --- #82: a data change in a swallowing try cannot fail the revision --------------------------------------------

_SWALLOWED = """\
    with op.batch_alter_table("misc") as batch_op:
        batch_op.add_column(sa.Column("policy", sa.Text()))
    try:
        op.execute("UPDATE misc SET policy = 'autogen'")
    except Exception as err:
        print(f"Error: {err}")
"""


def test_sqlite_update_in_a_swallowing_try_after_ddl_is_not_a_rerun_hazard(tmp_path: Path) -> None:
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_policy.py": _revision("a002", "a001", _SWALLOWED)})
    assert _lint(root, "sqlite", "mixed-schema-and-data-change") == (0, [])


def test_sqlite_update_that_can_fail_after_ddl_is_still_reported(tmp_path: Path) -> None:
    body = _SWALLOWED.replace("    try:\n", "").replace("    except Exception as err:\n        print(f\"Error: {err}\")\n",
                                                          "").replace("        op.execute", "    op.execute")
    root = _write(tmp_path / "v", {"a001_base.py": _BASE, "a002_policy.py": _revision("a002", "a001", body)})
    code, found = _lint(root, "sqlite", "mixed-schema-and-data-change")
    assert code == 1 and _where(found) == [("mixed-schema-and-data-change", "a002_policy.py", 12)]
    assert "re-running the revision fails on the DDL already applied" in str(found[0]["message"])
