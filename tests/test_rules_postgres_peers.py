"""migcheck flags the statements the peer linters document as dangerous, and not their safe versions.

``fixtures/peers-postgres/<tool>/<example>/versions`` rewrites each documented example of squawk, Eugene,
strong_migrations, alembic-guard and django-migration-linter (source named in every revision's
docstring) as a small chain of Alembic revisions. ``# expect: <rule>`` (the marker of the rule fixtures) marks each statement migcheck
must report; unmarked statements (the peers' safe versions) must not be reported by any of the
PostgreSQL lock and rewrite rules. ``fixtures/peers-postgres/false-positives`` holds the cases peer users
complained about.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from rulefixtures import POSTGRES_LOCK_RULES as RULES

PEERS = FIXTURES / "peers-postgres"
EXAMPLES = sorted(p.parent for p in PEERS.glob("*/*/versions"))
_MARKER = re.compile(r"#\s*expect:\s*([\w\-, ]+)$")


def _marked(versions: Path) -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted(versions.glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if m := _MARKER.search(line):
                out.update((path.name, number, rule.strip()) for rule in m.group(1).split(","))
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=[str(p.relative_to(PEERS)) for p in EXAMPLES])
def test_peer_example(example: Path) -> None:
    run = run_cli("lint", example / "versions", "--format", "json", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    reported = {(Path(f["path"]).name, f["line"], f["rule"]) for f in run.json()["findings"] if f["rule"] in RULES}
    assert reported == _marked(example / "versions")


def test_every_tool_is_covered() -> None:
    tools = {p.parent.name for p in EXAMPLES}
    assert {"squawk", "eugene", "strong_migrations", "alembic-guard", "django-migration-linter",
            "false-positives"} <= tools
    marked_rules = {rule for example in EXAMPLES for _, _, rule in _marked(example / "versions")}
    # every rule of this family that a peer documents is exercised by a peer example
    assert marked_rules >= set(RULES) - {"cannot-run-in-transaction", "enum-add-value-in-transaction",
                                         "refresh-materialized-view-not-concurrently"}
