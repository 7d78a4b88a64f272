"""Fixture-driven rule tests: each rule has ``fixtures/rules/<rule-id>/bad*`` and ``safe*`` cases.

A case is a revision file (``.py``), an offline SQL file (``.sql``) or a small project directory.
The lines where a finding is expected carry a marker comment, ``# expect: <rule-id>`` (``-- expect:``
in SQL); safe cases carry none. Extra CLI options go in a ``# migcheck-args: ...`` line. The test
runs the real CLI with ``--select <rule-id>`` and compares the rule's findings, file and line, with
the markers, so a finding on the wrong line fails as surely as a missing one.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

RULE_FIXTURES = FIXTURES / "rules"
_EXPECT = re.compile(r"(?:#|--)\s*expect:\s*([\w\-, ]+)")
_ARGS = re.compile(r"(?:#|--)\s*migcheck-args:\s*(.+)$")


def cases(rule_ids: list[str]) -> list[object]:
    """One pytest param per bad/safe case of each rule, with ids like ``empty-migration/bad.sql``."""
    params = []
    for rule_id in rule_ids:
        folder = RULE_FIXTURES / rule_id
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if path.name.startswith(("bad", "safe")):
                params.append(pytest.param(rule_id, path, id=f"{rule_id}/{path.name}"))
    return params


def _files(case: Path) -> list[Path]:
    if case.is_file():
        return [case]
    return sorted(p for p in case.rglob("*") if p.suffix in {".py", ".sql"} and p.is_file())


def expected(rule_id: str, case: Path) -> tuple[set[tuple[Path, int]], list[str]]:
    """(file, line) pairs marked for ``rule_id``, and the extra CLI args of the case."""
    marks: set[tuple[Path, int]] = set()
    args: list[str] = []
    for path in _files(case):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if (m := _EXPECT.search(line)) and rule_id in [r.strip() for r in m.group(1).split(",")]:
                marks.add((path.resolve(), number))
            if m := _ARGS.search(line):
                args.extend(shlex.split(m.group(1)))
    return marks, args


def check_case(rule_id: str, case: Path) -> None:
    marks, args = expected(rule_id, case)
    if case.name.startswith("bad"):
        assert marks, f"{case} is a bad case but marks no line with `expect: {rule_id}`"
    else:
        assert not marks, f"{case} is a safe case but expects {rule_id}"
    run = run_cli("lint", case, "--format", "json", "--select", rule_id, "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    found = {(Path(f["path"]).resolve(), f["line"]) for f in run.json()["findings"] if f["rule"] == rule_id}
    assert found == marks, (
        f"{rule_id} on {case.name}: expected lines {sorted(n for _, n in marks)}, "
        f"got {sorted(n for _, n in found)}"
    )
