"""The documented examples of squawk, strong_migrations, django-migration-linter, Eugene, Atlas and
alembic-guard, rewritten as small Alembic revisions or offline SQL files (``fixtures/peers/<peer>/``):
migcheck flags the statements the peer flags, at the same line, and stays quiet on the peer's safe
versions.

Each file names the peer rule and the migcheck rule(s) it maps to in its first line
(``# peer-rule: <peer id> -> <migcheck id>[, <migcheck id>]``) and marks the flagged lines with
``# expect: <migcheck id>``; files named ``*_safe*`` are the peer's documented safe alternative.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.rules.peers import PEER_TOOLS, PEERS
from rulefixtures import expected

PEER_DIR = FIXTURES / "peers"
_HEADER = re.compile(r"^(?:#|--)\s*peer-rule:\s*(.+?)\s*->\s*(.+)$")
EXAMPLES = sorted(p for p in PEER_DIR.rglob("*") if p.suffix in {".py", ".sql"})


def header(path: Path) -> tuple[str, list[str]]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = _HEADER.match(first)
    assert m, f"{path} does not start with a peer-rule line"
    rules = re.sub(r"\([^)]*\)", "", m.group(2))
    return m.group(1), [r.strip() for r in rules.split(",") if r.strip()]


@pytest.mark.parametrize("path", EXAMPLES, ids=[str(p.relative_to(PEER_DIR)) for p in EXAMPLES])
def test_peer_example(path: Path) -> None:
    _, rules = header(path)
    safe = "_safe" in path.stem
    run_args: list[str] = []
    marks: dict[str, set[tuple[Path, int]]] = {}
    for rule in rules:
        marks[rule], run_args = expected(rule, path)
    if safe:
        assert not any(marks.values()), f"{path.name} is a safe example but marks findings"
    else:
        assert any(marks.values()), f"{path.name} marks no flagged line"
    run = run_cli(
        "lint", path, "--format", "json", "--fail-on", "never", "--select", ",".join(rules), *run_args
    )
    assert run.exit_code == 0, run.stderr
    for rule in rules:
        found = {(Path(f["path"]).resolve(), f["line"]) for f in run.json()["findings"] if f["rule"] == rule}
        assert found == marks[rule], (
            f"{rule} on {path.name}: expected {sorted(marks[rule])}, got {sorted(found)}"
        )


def test_every_peer_has_examples_and_they_map_to_the_peer_mapping() -> None:
    assert {p.name for p in PEER_DIR.iterdir()} == set(PEER_TOOLS)
    for path in EXAMPLES:
        peer_id, rules = header(path)
        peer = path.parent.name
        mapped = " ".join(PEERS[rule][peer] for rule in rules)
        first = peer_id.split()[0]
        # Every example maps to a rule the peer mapping says is equivalent (the README "backfilling
        # data" section of strong_migrations is prose, not a check, so it has no id there).
        assert first in mapped or (peer == "strong_migrations" and first == "backfilling"), (
            path,
            peer_id,
            mapped,
        )
