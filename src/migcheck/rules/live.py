"""The rule ids of the live cycle, registered for ``migcheck rules``, ``explain`` and ``--fail-on``.

No database library is imported here: ``migcheck.rules`` imports this module
so the catalogue lists every rule, and the lint path must stay light. An id
that a static family already registered (``downgrade-not-inverse`` has a
static check too) is shared, not registered twice: its documentation covers
both checks.
"""

from __future__ import annotations

import migcheck.rules  # noqa: F401  (static families first, so a shared id keeps its static rule)
from migcheck.rules.registry import REGISTRY, engine_rule
from migcheck.vocabulary.findings import Severity

FAMILY = "live"


def _live_rule(rule_id: str, severity: Severity, summary: str, dialects: set[str] | None = None) -> str:
    if rule_id not in REGISTRY:
        rule = engine_rule(rule_id, severity=severity, family=FAMILY, summary=summary)
        rule.dialects = frozenset(dialects) if dialects else None
    return rule_id


UPGRADE_FAILED = _live_rule(
    "upgrade-failed",
    Severity.ERROR,
    "verify: the upgrade fails on a real database (with --seed-rows: once its tables hold rows).",
)
DOWNGRADE_FAILED = _live_rule(
    "downgrade-failed",
    Severity.ERROR,
    "verify: the downgrade fails on a real database.",
)
DOWNGRADE_NOT_INVERSE = _live_rule(
    "downgrade-not-inverse",
    Severity.ERROR,
    "The downgrade does not restore the schema the upgrade started from.",
)
UPGRADE_NOT_REPEATABLE = _live_rule(
    "upgrade-not-repeatable",
    Severity.ERROR,
    "verify: upgrading again after the downgrade fails or gives a different schema.",
)
DANGEROUS_LOCK = _live_rule(
    "dangerous-lock",
    Severity.WARNING,
    "verify: a statement scans or indexes an existing table while holding a lock on it that blocks writes.",
    {"postgresql"},
)
TABLE_REWRITE = _live_rule(
    "table-rewrite",
    Severity.ERROR,
    "verify: the upgrade rewrites (or TRUNCATE empties) an existing table or index: its file node changes.",
    {"postgresql"},
)
MODEL_DRIFT = _live_rule(
    "model-drift",
    Severity.WARNING,
    "verify --check-models: the database at the heads differs from the application's models.",
)

DATA_CHECK_FAILED = _live_rule(
    "data-check-failed",
    Severity.ERROR,
    "verify --verify-data: rows or a query declared for a revision do not hold after it runs "
    "(or its declared rows cannot be inserted).",
)

#: A static rule's id, shared: verify reports the locks it saw taken without lock_timeout once per run.
MISSING_LOCK_TIMEOUT = "missing-lock-timeout"

LIVE_RULES = (
    UPGRADE_FAILED,
    DOWNGRADE_FAILED,
    DOWNGRADE_NOT_INVERSE,
    UPGRADE_NOT_REPEATABLE,
    DANGEROUS_LOCK,
    TABLE_REWRITE,
    MODEL_DRIFT,
    DATA_CHECK_FAILED,
)

#: Rule ids lint cannot tell unused in a suppression comment: verify reports them (downgrade-not-inverse
#: has a static check too, but a comment for it may be there for verify's finding).
LINT_SKIPS_UNUSED = frozenset(LIVE_RULES)
