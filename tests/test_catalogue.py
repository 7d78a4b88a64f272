"""The whole catalogue: every registered rule has a case where it fires and one where it does not,
on the Python path and, where SQL can express the risk, on the SQL path too.

The per-rule tests (test_rules_core.py, test_rules_postgres_fixtures.py, the tests built on
rulefixtures.py, test_graph.py, test_suppress.py, test_pr_mode.py, test_verify_*.py) run these
fixtures; this test makes sure a new rule cannot land without them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from migcheck.rules.registry import all_rules

RULES = FIXTURES / "rules"

#: Rules whose fixtures are whole projects or repositories elsewhere: (firing, safe).
ELSEWHERE: dict[str, tuple[str, str]] = {
    "multiple-heads": ("graph/multiple-heads", "graph/merged-heads"),
    "missing-down-revision": ("graph/missing-down-revision", "graph/headers"),
    "duplicate-revision-id": ("graph/duplicate-revision-id", "graph/headers"),
    "revision-cycle": ("graph/revision-cycle", "graph/headers"),
    "invalid-migration-file": ("broken", "graph/headers"),
    "unused-suppression": ("adoption/suppressed", "adoption/legacy"),
    "suppression-without-reason": ("adoption/suppressed", "adoption/legacy"),
    # Pull-request rules need git history: tests/test_pr_mode.py builds real repositories.
    "modified-applied-migration": ("adoption/legacy", "adoption/legacy"),
    "deleted-migration": ("adoption/legacy", "adoption/legacy"),
    "new-revision-not-on-base-head": ("adoption/legacy", "adoption/legacy"),
    # The live cycle's projects (tests/test_verify_*.py run them on real databases).
    "upgrade-failed": ("verify/seed_not_null", "verify/clean"),
    "downgrade-failed": ("verify/downgrade_fails", "verify/clean"),
    "upgrade-not-repeatable": ("verify/not_repeatable", "verify/clean"),
    "dangerous-lock": ("verify/lock_rewrite", "verify/clean"),
    "table-rewrite": ("verify/lock_rewrite", "verify/clean"),
    "model-drift": ("verify/drift", "verify/clean"),
    "data-check-failed": ("verify/data_split_wrong", "verify/data_split"),  # tests/test_verify_data.py
    # Judged against the base branch's models: tests/test_app_rolling.py builds the git repositories
    # from this application.
    "still-mapped-on-base": ("app/shop", "app/shop"),
    "not-null-breaks-running-inserts": ("app/shop", "app/shop"),
    "type-differs-on-base": ("app/shop", "app/shop"),
}

#: Rules SQL text cannot trigger, and why (each rule's page says so too).
PYTHON_ONLY = {
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
}


def _cases(rule_id: str, prefixes: tuple[str, ...]) -> list[Path]:
    folder = RULES / rule_id
    return [p for p in folder.iterdir() if p.name.startswith(prefixes)] if folder.is_dir() else []


@pytest.mark.parametrize("rule_id", [r.id for r in all_rules()])
def test_rule_has_a_firing_and_a_safe_case(rule_id: str) -> None:
    if rule_id in ELSEWHERE:
        firing, safe = ELSEWHERE[rule_id]
        assert (FIXTURES / firing).exists() and (FIXTURES / safe).exists(), rule_id
        return
    firing = _cases(rule_id, ("fires", "bad"))
    safe = _cases(rule_id, ("safe",))
    assert firing and safe, f"{rule_id}: needs fixtures/rules/{rule_id}/(fires|bad)* and safe*"
    if rule_id not in PYTHON_ONLY:
        assert any(p.suffix == ".sql" for p in firing), f"{rule_id}: no firing offline SQL case"
        assert any(p.suffix == ".sql" for p in safe), f"{rule_id}: no safe offline SQL case"
    assert any(p.suffix == ".py" or p.is_dir() for p in firing), f"{rule_id}: no firing Python case"


def test_python_only_rules_are_real_rules() -> None:
    ids = {r.id for r in all_rules()}
    assert set(PYTHON_ONLY) <= ids
    assert set(ELSEWHERE) <= ids
