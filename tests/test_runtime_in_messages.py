"""A message never names migcheck's own stand-in for a value known only at run time (held-out-24 #34)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import lint_selected, revision_text, write_files

UNKNOWN_TYPE = '''
    op.execute(text(f"ALTER TABLE sessions ALTER COLUMN kind TYPE {typename} USING kind::text::kinds"))
'''


def test_a_type_known_at_run_time_is_shown_as_a_placeholder(tmp_path: Path) -> None:
    head = "from sqlalchemy import text\nfrom app.models import Kinds\n\ntypename = Kinds.__name__.lower()\n"
    write_files(tmp_path, {
        "versions/a0.py": revision_text("a0", None, 'op.execute("CREATE TABLE sessions (id int, kind text)")'),
        "versions/a1.py": revision_text("a1", "a0", UNKNOWN_TYPE, head=head),
    })
    _, found = lint_selected(tmp_path / "versions", "alter-column-type")
    assert [(Path(f["path"]).name, f["line"]) for f in found] == [("a1.py", 14)]
    message = found[0]["message"]
    assert "migcheck_" not in message and "migcheck_" not in (found[0].get("fix") or "")
    assert "changes from TEXT to {…} USING" in message
