"""What users see for the held-out-8 fixes of branch precI (issue #16): messages that say what is true.

Most fixes are covered by their rule's fixtures (fixtures/rules/<rule>/bad_*, safe_*); this module checks
the message where a finding stays but its cause and fix changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.extract.models.files import WorkingTree
from migcheck.extract.models.pins import below_major


def test_set_not_null_right_after_an_add_without_default_is_said_to_fail_on_rows_not_to_scan() -> None:
    case = FIXTURES / "rules" / "set-not-null" / "bad_added_without_default.py"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--select", "set-not-null", "--fail-on", "error")
    assert run.exit_code == 1
    messages = {f["line"]: (f["message"], f["fix"]) for f in run.json()["findings"]}
    assert set(messages) == {19, 22, 24, 29}
    message, fix = messages[19]
    assert message.startswith("SET NOT NULL on report.json_hash, which line 18 added without a default: every "
                              "existing row holds NULL there, so on a table with rows it fails (column \"json_hash\" "
                              "of relation \"report\" contains null values) and the revision aborts")
    assert "scans" not in message
    assert "server_default=" in fix
    # filled first, by an UPDATE, a server default or a statement between them: the scan is the risk again
    for line in (22, 24, 29):
        assert messages[line][0].startswith("SET NOT NULL on report.")
        assert "scans the whole table under an ACCESS EXCLUSIVE lock" in messages[line][0]


def test_a_copy_is_blamed_on_the_length_prefix_not_on_a_collation_the_new_type_does_not_name() -> None:
    case = FIXTURES / "rules" / "mysql-alter-copies-table" / "bad_length_with_collation.py"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--dialect", "mysql", "--mysql-version", "8.0.35",
                  "--select", "mysql-alter-copies-table", "--fail-on", "error")
    assert run.exit_code == 1
    messages = {f["line"]: f["message"] for f in run.json()["findings"]}
    assert set(messages) == {15, 16}
    assert "a VARCHAR that grows past 255 bytes needs a 2-byte length prefix in every row" in messages[15]
    assert "character set" not in messages[15]
    # 50 to 60 characters keeps the prefix: only the charset (latin1 to the table's default) can copy
    assert "changing a column's character set re-encodes every row" in messages[16]


@pytest.mark.parametrize(("spec", "below_2"), [
    ("^1.10.4", True), (">=1.10,<2", True), (">=1.10,<2.0", True), ("~=1.8", True), ("==1.10.4", True),
    ("==2.5.*", False), (">=2.7,<3", False), (">=2", False),
    (">=1.8,<3", None), ("*", None), ("", None), ("<2.1", None),
])
def test_the_pinned_pydantic_major_is_read_from_the_requirement(tmp_path: Path, spec: str,
                                                                  below_2: bool | None) -> None:
    (tmp_path / "requirements.txt").write_text(f"sqlmodel\npydantic{spec}  # pinned\n", encoding="utf-8")
    assert below_major(WorkingTree(tmp_path), "pydantic", 2) is below_2


def test_requirements_that_disagree_pin_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npydantic = {version = "^1.10"}\n',
                                             encoding="utf-8")
    assert below_major(WorkingTree(tmp_path), "pydantic", 2) is True  # Poetry's caret: 1.x only
    (tmp_path / "requirements.txt").write_text("pydantic==2.6.0\n", encoding="utf-8")
    assert below_major(WorkingTree(tmp_path), "pydantic", 2) is None
