"""Review 17 (branch fixR17b): what users see for a column swap by two renames whose new column is not filled
from the old one. The cases are fixtures/rules/rename-column/bad_swap_by_renames_*.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

RULE = "rename-column"


def _findings(path: Path) -> dict[int, dict[str, str]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--dialect", "postgresql", "--select", RULE,
                  "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return {f["line"]: f for f in run.json()["findings"] if f["rule"] == RULE}


@pytest.mark.parametrize(("case", "line"), [("bad_swap_by_renames_unfilled.py", 15),
                                            ("bad_swap_by_renames_source_only_in_where.py", 14)])
def test_an_unfilled_swap_is_a_warning(case: str, line: int) -> None:
    """The running release finds the old name but reads the new column's values, not the ones it wrote: wrong
    data served until the new code is out, which is worth the rule's warning, not an INFO."""
    found = _findings(FIXTURES / "rules" / RULE / case)
    assert found[line]["severity"] == "warning"
    assert "reads the values of new_" in found[line]["message"]
