"""The PostgreSQL lock and rewrite rules on their fixtures, on every path.

Each rule has ``fixtures/rules/<rule>/{fires,safe}/versions`` (op.* calls and op.execute SQL strings)
and ``fires.sql`` / ``safe.sql`` (what ``alembic upgrade --sql`` emits for those revisions, rendered
by tools/render_offline_fixtures.py). A ``# fires: <rule>`` (``-- fires:`` in SQL) comment marks each
line that must be reported; the test asserts that exactly the marked lines are, and that the safe
versions report nothing for the rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

RULES_DIR = FIXTURES / "rules"
RULES = [
    "add-column-with-volatile-default",
    "set-not-null",
    "drop-not-null",
    "alter-column-type",
    "add-foreign-key-without-not-valid",
    "add-check-constraint-without-not-valid",
    "add-unique-constraint",
    "add-primary-key-to-existing-table",
    "add-exclusion-constraint",
    "validate-in-same-transaction",
    "rename-column",
    "rename-table",
    "enum-add-value-in-transaction",
    "reindex-not-concurrently",
    "vacuum-full-or-cluster",
    "refresh-materialized-view-not-concurrently",
    "detach-partition-not-concurrently",
    "truncate-table",
    "drop-schema-or-database",
    "cannot-run-in-transaction",
]
_MARKER = re.compile(r"(?:#|--)\s*fires:\s*([\w\-, ]+)$")


def marked(paths: list[Path], rule: str) -> list[tuple[str, int]]:
    """(file name, line) of every line whose marker names ``rule``."""
    out = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            m = _MARKER.search(line)
            if m and rule in [r.strip() for r in m.group(1).split(",")]:
                out.append((path.name, number))
    return sorted(out)


def reported(target: Path, rule: str, *extra: str) -> tuple[int, list[tuple[str, int]], list[dict]]:
    run = run_cli("lint", target, "--format", "json", "--fail-on", "info", *extra)
    findings = [f for f in run.json()["findings"] if f["rule"] == rule]
    return run.exit_code, sorted((Path(f["path"]).name, f["line"]) for f in findings), findings


@pytest.mark.parametrize("rule", RULES)
def test_fires_on_python_revisions(rule: str) -> None:
    fires = RULES_DIR / rule / "fires"
    expected = marked(sorted((fires / "versions").glob("*.py")), rule)
    assert expected, f"{rule}: fixture has no markers"
    # both forms are covered: an op.execute SQL string, and an op.* call (or, for statements Alembic
    # has no operation for, SQL run on op.get_bind())
    lines = {(n, i): (fires / "versions" / n).read_text().splitlines()[i - 1] for n, i in expected}
    assert any("op.execute" in text for text in lines.values()), rule
    assert any("op.execute" not in text for text in lines.values()), rule
    code, hits, _ = reported(fires, rule)
    assert code == 1
    assert hits == expected


@pytest.mark.parametrize("rule", RULES)
def test_fires_on_offline_sql(rule: str) -> None:
    path = RULES_DIR / rule / "fires.sql"
    expected = marked([path], rule)
    assert expected, f"{rule}: fires.sql has no markers"
    code, hits, _ = reported(path, rule)
    assert code == 1
    assert hits == expected


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("variant", ["safe", "safe.sql"])
def test_quiet_on_safe_versions(rule: str, variant: str) -> None:
    _, hits, _ = reported(RULES_DIR / rule / variant, rule)
    assert hits == []
