"""Safety rules: lock timeouts, batched backfills, SQL built from strings, SQL migcheck cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulefixtures import cases, check_case

FAMILY = ["missing-lock-timeout", "unbatched-backfill", "unsafe-sql-interpolation", "raw-sql-not-understood"]


@pytest.mark.parametrize(("rule_id", "case"), cases(FAMILY))
def test_fixture(rule_id: str, case: Path) -> None:
    check_case(rule_id, case)
