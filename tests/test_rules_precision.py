"""Issue #16's remaining false-positive and false-negative patterns, on fixtures in the bad*/safe* convention
(tests/rulefixtures.py) for rules whose older cases still live in fires/safe folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulefixtures import cases, check_case

RULES = ["create-index-not-concurrently", "validate-in-same-transaction", "add-primary-key-to-existing-table"]
#: The older fires/safe cases of these rules are checked by test_rules_postgres_fixtures.py.
_OLDER = {"safe", "safe.sql"}


@pytest.mark.parametrize(("rule_id", "case"), [
    p for p in cases(RULES) if p.values[1].name not in _OLDER  # type: ignore[attr-defined]
])
def test_fixture(rule_id: str, case: Path) -> None:
    check_case(rule_id, case)
