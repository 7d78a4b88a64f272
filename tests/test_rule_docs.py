"""Every rule is documented in four parts, mapped to the peers, and the generated docs never drift."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from migcheck.rules.docgen import README_TABLE_FILE, render_all, rule_page
from migcheck.rules.peers import PEER_TOOLS, PEERS
from migcheck.rules.registry import DOC_SECTIONS, all_rules

RULE_IDS = [r.id for r in all_rules()]
DOCS_DIR = ROOT / "src" / "migcheck" / "rules" / "docs"



@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_has_a_page_in_four_sections(rule_id: str) -> None:
    path = DOCS_DIR / f"{rule_id}.md"
    assert path.is_file(), f"no documentation page {path.relative_to(ROOT)}"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# {rule_id}\n")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == list(DOC_SECTIONS), f"{rule_id}: sections {headings}"
    sections = dict(zip(headings, re.split(r"^## .+$", text, flags=re.M)[1:], strict=True))
    for name in ("What it finds", "Why it hurts"):
        assert len(sections[name].split()) >= 15, f"{rule_id}: section {name!r} is too thin"
    assert "```python" in sections["Example"], f"{rule_id}: the example is not Alembic code"
    assert "```python" in sections["Safe alternative"], f"{rule_id}: the safe way is not Alembic code"


def test_why_it_hurts_names_the_lock_or_the_failure() -> None:
    vague = []
    for rule_id in RULE_IDS:
        why = (DOCS_DIR / f"{rule_id}.md").read_text(encoding="utf-8").split("## Why it hurts")[1]
        why = why.split("## Example")[0]
        if not re.search(r"EXCLUSIVE|SHARE|lock|fail|refuse|error|lost|gone|break", why, flags=re.I):
            vague.append(rule_id)
    assert vague == []


def test_every_rule_has_a_peer_row_and_no_row_is_a_typo() -> None:
    assert sorted(set(RULE_IDS) - set(PEERS)) == [], "add a row per rule to src/migcheck/rules/peers.py PEERS"
    assert sorted(set(PEERS) - set(RULE_IDS)) == [], "rows in src/migcheck/rules/peers.py PEERS name no rule"
    for rule_id, row in PEERS.items():
        assert set(row) == set(PEER_TOOLS), rule_id


def test_generated_docs_are_up_to_date() -> None:
    stale = []
    for name, text in render_all().items():
        path = ROOT / "docs" / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    extra = sorted(
        p.name for p in (ROOT / "docs" / "rules").glob("*.md") if f"rules/{p.name}" not in render_all()
    )
    assert stale == [] and extra == [], (
        f"docs are out of date ({stale or extra}); run: PYTHONPATH=src python scripts/gen_rule_docs.py"
    )


def test_the_script_writes_what_the_test_compares(tmp_path: Path) -> None:
    """Regenerate into a copy of the repository layout and compare byte for byte."""
    (tmp_path / "scripts").mkdir()
    script = (ROOT / "scripts" / "gen_rule_docs.py").read_text(encoding="utf-8")
    (tmp_path / "scripts" / "gen_rule_docs.py").write_text(script, encoding="utf-8")
    (tmp_path / "src").symlink_to(ROOT / "src")
    run = subprocess.run(
        [sys.executable, str(tmp_path / "scripts" / "gen_rule_docs.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout == (ROOT / "docs" / README_TABLE_FILE).read_text(encoding="utf-8")
    for path in (tmp_path / "docs").rglob("*.md"):
        committed = ROOT / "docs" / path.relative_to(tmp_path / "docs")
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), committed


def test_readme_table_lists_every_rule_with_its_peers() -> None:
    table = (ROOT / "docs" / README_TABLE_FILE).read_text(encoding="utf-8")
    for rule_id in RULE_IDS:
        assert f"[`{rule_id}`](docs/rules/{rule_id}.md)" in table
    row = next(line for line in table.splitlines() if line.startswith("| [`missing-lock-timeout`]"))
    assert "`require-lock-timeout`" in row and "`E9`" in row


def test_explain_prints_the_generated_page() -> None:
    run = run_cli("explain", "unbatched-backfill")
    assert run.exit_code == 0
    rule = next(r for r in all_rules() if r.id == "unbatched-backfill")
    assert run.stdout == rule_page(rule)
    assert "## Safe alternative" in run.stdout and "Severity: warning. Dialects: all." in run.stdout


def test_rules_carry_their_peers() -> None:
    rule = next(r for r in all_rules() if r.id == "json-instead-of-jsonb")
    assert rule.peers == {"strong_migrations": "add_column_json", "eugene": "E3"}


def test_readme_carries_the_generated_rule_table() -> None:
    from migcheck.rules.docgen import readme_table, splice_readme

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert splice_readme(readme, readme_table(all_rules())) == readme, (
        "README.md's rule table is out of date; run: PYTHONPATH=src python scripts/gen_rule_docs.py"
    )


def test_a_comma_inside_a_peer_note_stays_in_the_note() -> None:
    from migcheck.rules.docgen import _peer_cell

    assert _peer_cell("E10 (trace, partial)") == "`E10` (trace, partial)"
    assert _peer_cell("PG104, PG304") == "`PG104`, `PG304`"
    assert _peer_cell("a, b (partial)") == "`a`, `b` (partial)"
