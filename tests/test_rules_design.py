"""Schema-design advice rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulefixtures import cases, check_case

FAMILY = [
    "prefer-bigint-primary-key",
    "prefer-identity",
    "prefer-timestamptz",
    "prefer-text-over-varchar",
    "ban-char-field",
    "json-instead-of-jsonb",
    "identifier-too-long",
]


@pytest.mark.parametrize(("rule_id", "case"), cases(FAMILY))
def test_fixture(rule_id: str, case: Path) -> None:
    check_case(rule_id, case)
