"""Pull-request mode: findings about what a branch does to history the base branch already has.

Emitted by ``migcheck.run.pullrequest`` (they need git, not just the files), only with ``--base REF``.
"""

from migcheck.rules.registry import engine_rule
from migcheck.vocabulary.findings import Severity

MODIFIED_APPLIED_MIGRATION = engine_rule(
    "modified-applied-migration",
    severity=Severity.ERROR,
    family="history",
    summary="A revision that exists on the base branch was edited: databases that ran it never run it again.",
).id
DELETED_MIGRATION = engine_rule(
    "deleted-migration",
    severity=Severity.ERROR,
    family="history",
    summary="A revision that exists on the base branch was deleted: databases stamped with it cannot move.",
).id
NEW_REVISION_NOT_ON_BASE_HEAD = engine_rule(
    "new-revision-not-on-base-head",
    severity=Severity.ERROR,
    family="history",
    summary="A new revision whose down_revision is not a head of the base branch: merging creates two heads.",
).id
#: Rules that can only fire in pull-request mode.
PR_RULES = frozenset({MODIFIED_APPLIED_MIGRATION, DELETED_MIGRATION, NEW_REVISION_NOT_ON_BASE_HEAD})
