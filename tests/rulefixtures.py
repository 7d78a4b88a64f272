"""The one fixture convention for rule tests: ``fixtures/rules/<rule-id>/bad*`` and ``safe*`` cases.

A case is a revision file (``.py``), an offline SQL file (``.sql``) or a small project directory
(``bad/versions/...``, or a whole project with ``alembic.ini`` and models). The lines where a
finding is expected carry a marker comment, ``# expect: <rule-id>`` (``-- expect:`` in SQL); safe
cases carry none. Extra CLI options go in a ``# migcheck-args: ...`` line. tests/test_rule_fixtures.py
collects every case of every folder and runs the real CLI with ``--select <rule-id>``, comparing the
rule's findings, file and line, with the markers, so a finding on the wrong line fails as surely as
a missing one. test_peer_examples.py reads its markers with :func:`expected` too.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from conftest import FIXTURES, run_cli

RULE_FIXTURES = FIXTURES / "rules"
_EXPECT = re.compile(r"(?:#|--)\s*expect:\s*([\w\-, ]+)")
_ARGS = re.compile(r"(?:#|--)\s*migcheck-args:\s*(.+)$")
CASE_PREFIXES = ("bad", "safe")

#: The PostgreSQL lock and rewrite rules: their bad revisions show both Python forms, and the peer
#: examples of fixtures/peers-postgres are judged on exactly these rules.
POSTGRES_LOCK_RULES = [
    "add-column-with-volatile-default", "set-not-null", "drop-not-null", "alter-column-type",
    "add-foreign-key-without-not-valid", "add-check-constraint-without-not-valid", "add-unique-constraint",
    "add-primary-key-to-existing-table", "add-exclusion-constraint", "validate-in-same-transaction",
    "rename-column", "rename-table", "enum-add-value-in-transaction", "reindex-not-concurrently",
    "vacuum-full-or-cluster", "refresh-materialized-view-not-concurrently",
    "detach-partition-not-concurrently", "truncate-table", "drop-schema-or-database",
    "cannot-run-in-transaction",
]


def all_cases() -> list[tuple[str, Path]]:
    """(rule id, case) for every bad*/safe* entry of every folder under fixtures/rules, sorted."""
    return [
        (folder.name, path)
        for folder in sorted(p for p in RULE_FIXTURES.iterdir() if p.is_dir())
        for path in sorted(folder.iterdir())
        if path.name.startswith(CASE_PREFIXES)
    ]


def case_files(case: Path) -> list[Path]:
    """The files of a case whose markers count: the case itself, or every .py/.sql file under it (and
    ``script.py.mako``, the revision template, which a finding may name)."""
    if case.is_file():
        return [case]
    return sorted(p for p in case.rglob("*") if (p.suffix in {".py", ".sql"} or p.name == "script.py.mako")
                  and p.is_file())


def expected(rule_id: str, case: Path) -> tuple[set[tuple[Path, int]], list[str]]:
    """(file, line) pairs marked for ``rule_id``, and the extra CLI args of the case."""
    marks: set[tuple[Path, int]] = set()
    args: list[str] = []
    for path in case_files(case):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if (m := _EXPECT.search(line)) and rule_id in [r.strip() for r in m.group(1).split(",")]:
                marks.add((path.resolve(), number))
            if m := _ARGS.search(line):
                args.extend(shlex.split(m.group(1)))
    return marks, args


def check_case(rule_id: str, case: Path) -> None:
    """Lint one case: exactly the marked lines are reported, and the exit code follows (1 on a bad case)."""
    marks, args = expected(rule_id, case)
    if case.name.startswith("bad"):
        assert marks, f"{case} is a bad case but marks no line with `expect: {rule_id}`"
    else:
        assert not marks, f"{case} is a safe case but expects {rule_id}"
    run = run_cli("lint", case, "--format", "json", "--select", rule_id, "--fail-on", "info", *args)
    assert run.exit_code in (0, 1), run.stderr
    ours = [f for f in run.json()["findings"] if f["rule"] == rule_id]
    found = {(Path(f["path"]).resolve(), f["line"]) for f in ours}
    suppressed = sorted((Path(f["path"]).name, f["line"]) for f in ours if f["suppressed"])
    assert found == marks, (
        f"{rule_id} on {case.name}: expected {sorted((p.name, n) for p, n in marks)}, "
        f"got {sorted((p.name, n) for p, n in found)}"
        + (f" (suppressed inline: {suppressed}; a safe case is code the rule must not report)" if suppressed else "")
    )
    assert run.exit_code == (1 if marks else 0), f"exit code {run.exit_code} on {case.name}: {run.stderr}"
