"""Findings about inline suppression comments, emitted by ``migcheck.run.suppress`` after the rules ran."""

from migcheck.rules.registry import engine_rule
from migcheck.vocabulary.findings import Severity

UNUSED_SUPPRESSION = engine_rule(
    "unused-suppression",
    severity=Severity.WARNING,
    family="suppression",
    summary="An inline `migcheck: ignore[...]` comment that suppresses nothing, or that cannot be read.",
).id
SUPPRESSION_WITHOUT_REASON = engine_rule(
    "suppression-without-reason",
    severity=Severity.ERROR,
    family="suppression",
    summary="An inline suppression without `-- reason` (when `require-reason = true`, the default).",
).id
