"""Every rule on its fixtures: one parametrised test over every case under ``fixtures/rules``.

Each ``fixtures/rules/<rule-id>/`` folder holds ``bad*`` cases (lines marked ``# expect: <rule-id>``,
``-- expect:`` in SQL) and ``safe*`` twins (no markers); tests/rulefixtures.py describes the
convention and runs one case. The cases are found on disk, never listed by hand, and the catalogue
test below makes sure a new rule cannot land without its folder: a rule needs its module, its docs
page and one fixture folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from migcheck.rules.registry import all_rules
from rulefixtures import POSTGRES_LOCK_RULES, RULE_FIXTURES, all_cases, case_files, check_case, expected

CASES = all_cases()

#: Rules no fixture file can trigger, and the test module that covers each.
NOT_FROM_FILES: dict[str, str] = {
    # Pull-request rules: they compare the history with a git base; the test builds real repositories.
    "modified-applied-migration": "test_pr_mode.py",
    "deleted-migration": "test_pr_mode.py",
    "new-revision-not-on-base-head": "test_pr_mode.py",
    # Judged against the base branch's models: the test builds git repositories from fixtures/app/shop.
    "still-mapped-on-base": "test_app_rolling.py",
    "not-null-breaks-running-inserts": "test_app_rolling.py",
    "type-differs-on-base": "test_app_rolling.py",
    # verify only: they run the migrations on a real database (fixtures/verify/*).
    "upgrade-failed": "test_verify_cycle.py",
    "downgrade-failed": "test_verify_cycle.py",
    "table-rewrite": "test_verify_cycle.py",
    "dangerous-lock": "test_verify_cycle.py",
    "upgrade-not-repeatable": "test_verify_cycle.py",
    "model-drift": "test_verify_env_compare.py",
    "data-check-failed": "test_verify_data.py",
}

#: Rules SQL text cannot trigger, and why (each rule's page says so too): no bad*.sql case needed.
PYTHON_ONLY: dict[str, str] = {
    "missing-downgrade": "an offline SQL file holds one direction",
    "downgrade-not-inverse": "an offline SQL file holds one direction",
    "orm-model-import-in-migration": "imports exist only in Python",
    "unsafe-sql-interpolation": "interpolation happens in Python, before SQL exists",
    "transaction-per-migration-off": "a setting of env.py",
    # The models come with a project (env.py and its modules); tests/test_app_rolling.py also lints
    # offline SQL next to such a project.
    "still-mapped-at-head": "the models are read from a project, not from the SQL file",
    "model-not-in-migrations": "compares the models with the history of the .py revisions",
    "model-differs-from-migrations": "compares the models with the history of the .py revisions",
    "models-not-readable": "a note about the application's model files",
    # The revision graph is made of the revision files' headers.
    "duplicate-revision-id": "revision ids are declared in .py revision files",
    "missing-down-revision": "down_revision is declared in .py revision files",
    "multiple-heads": "heads are found in the graph of .py revision files",
    "revision-cycle": "the cycle runs through the down_revision of .py revision files",
    "invalid-migration-file": "a .py revision that cannot be read",
    "python2-migration-file": "Python 2 syntax exists only in .py revision files",
}

RULE_IDS = [r.id for r in all_rules()]


@pytest.mark.parametrize(("rule_id", "case"), [pytest.param(r, c, id=f"{r}/{c.name}") for r, c in CASES])
def test_case(rule_id: str, case: Path) -> None:
    check_case(rule_id, case)


def _cases_of(rule_id: str, prefix: str) -> list[Path]:
    return [case for rule, case in CASES if rule == rule_id and case.name.startswith(prefix)]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_a_bad_and_a_safe_case(rule_id: str) -> None:
    if rule_id in NOT_FROM_FILES:
        test_file = ROOT / "tests" / NOT_FROM_FILES[rule_id]
        assert rule_id in test_file.read_text(encoding="utf-8"), f"{test_file.name} does not test {rule_id}"
        return
    bad, safe = _cases_of(rule_id, "bad"), _cases_of(rule_id, "safe")
    assert bad and safe, f"{rule_id}: needs fixtures/rules/{rule_id}/bad* and safe*"
    assert any(p.suffix == ".py" or p.is_dir() for p in bad), f"{rule_id}: no bad Python case"
    if rule_id not in PYTHON_ONLY:
        assert any(p.suffix == ".sql" for p in bad), f"{rule_id}: no bad offline SQL case"
        assert any(p.suffix == ".sql" for p in safe), f"{rule_id}: no safe offline SQL case"


def test_every_folder_is_a_rule_and_every_entry_a_case() -> None:
    """Nothing under fixtures/rules is skipped silently: a misnamed folder or case would never run."""
    for folder in RULE_FIXTURES.iterdir():
        assert folder.name in RULE_IDS, f"fixtures/rules/{folder.name} names no rule"
        assert folder.name not in NOT_FROM_FILES, f"{folder.name} is said not to be lintable from files"
        for entry in folder.iterdir():
            assert entry.name.startswith(("bad", "safe")), f"{entry}: a case is named bad* or safe*"


def test_the_lists_name_real_rules() -> None:
    assert set(NOT_FROM_FILES) <= set(RULE_IDS)
    assert set(PYTHON_ONLY) <= set(RULE_IDS)
    assert set(POSTGRES_LOCK_RULES) <= set(RULE_IDS)
    assert not set(NOT_FROM_FILES) & set(PYTHON_ONLY)


@pytest.mark.parametrize("rule_id", POSTGRES_LOCK_RULES)
def test_bad_revisions_use_both_python_forms(rule_id: str) -> None:
    """An op.* call (or SQL run on op.get_bind(), where Alembic has no operation) and an op.execute string."""
    marks, _ = expected(rule_id, RULE_FIXTURES / rule_id / "bad")
    lines = [path.read_text(encoding="utf-8").splitlines()[n - 1] for path, n in marks]
    assert any("op.execute" in text for text in lines), rule_id
    assert any("op.execute" not in text for text in lines), rule_id


def test_every_case_file_is_utf8_and_every_marker_names_its_rule() -> None:
    """A marker for another rule in a folder is never checked: it would be a silent typo."""
    for rule_id, case in CASES:
        for path in case_files(case):
            text = path.read_text(encoding="utf-8")
            for number, line in enumerate(text.splitlines(), start=1):
                if "expect:" in line and "peer-rule" not in line:
                    assert rule_id in line, f"{path}:{number} marks another rule than {rule_id}"
