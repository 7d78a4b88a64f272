"""A MODIFY written as SQL inside op.execute() restates the whole column on MySQL (held-out-24 #36's neighbour: the
mysqldb branch's `ALTER TABLE errors MODIFY message text` made a NOT NULL column nullable, unreported)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import findings_of, revision_text, run_cli, write_files

BASE = '''
    op.create_table("errors", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("message", sa.String(255), nullable=False, server_default="x"),
                    sa.Column("note", sa.String(255), nullable=True))
'''
HEAD = "import sqlalchemy as sa\n"


def _project(tmp_path: Path, upgrade: str, downgrade: str = "pass") -> Path:
    text = revision_text("a1", "a0", upgrade).replace("def downgrade():\n    pass", f"def downgrade():\n    {downgrade}")
    return write_files(tmp_path, {"versions/a0.py": revision_text("a0", None, BASE, head=HEAD), "versions/a1.py": text})


def _found(versions: Path) -> tuple[int, list[dict[str, Any]]]:
    run = run_cli("lint", versions, "--no-config", "--no-cache", "--dialect", "mysql", "--format", "json",
                  "--select", "alter-column-without-existing-type")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, findings_of(run, "alter-column-without-existing-type")


def test_raw_modify_of_a_not_null_column_is_reported(tmp_path: Path) -> None:
    root = _project(tmp_path, 'op.execute("ALTER TABLE errors MODIFY message text")')
    _, found = _found(root / "versions")
    assert [(Path(f["path"]).name, f["line"]) for f in found] == [("a1.py", 10)]
    assert "becomes nullable although its history makes it NOT NULL" in found[0]["message"]
    assert "loses the server default" in found[0]["message"]


def test_raw_modify_stating_the_column_or_of_a_nullable_column_is_not(tmp_path: Path) -> None:
    root = _project(tmp_path, "\n".join([
        'op.execute("ALTER TABLE errors MODIFY message text NOT NULL DEFAULT \'x\'")',
        'op.execute("ALTER TABLE errors MODIFY note text")',  # nullable without a default: nothing lost
    ]), downgrade='op.execute("ALTER TABLE errors MODIFY message varchar(255)")')
    assert _found(root / "versions") == (0, [])
