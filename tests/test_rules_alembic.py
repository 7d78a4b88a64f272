"""Alembic-specific rules: env.py transactions, MySQL alter_column, SQLite batch mode, model imports,
empty revisions, and the static downgrade check."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulefixtures import cases, check_case

FAMILY = [
    "transaction-per-migration-off",
    "alter-column-without-existing-type",
    "sqlite-alter-outside-batch",
    "orm-model-import-in-migration",
    "empty-migration",
    "downgrade-not-inverse",
]


@pytest.mark.parametrize(("rule_id", "case"), cases(FAMILY))
def test_fixture(rule_id: str, case: Path) -> None:
    check_case(rule_id, case)
