"""verify under the user's control, like lint: ``[tool.migcheck]`` and ``--select/--ignore``, severities, inline comments.

The cycle reports everything it sees; this module then keeps the findings of the
selected rules (``select``/``extend-select``/``ignore``), applies ``severity``
overrides, and marks the findings that a ``# migcheck: ignore[rule] -- reason``
comment on the ``op.*`` line (or the line above it) suppresses. It never reports
a comment as unused: ``lint`` judges the comments, and knows that the live rules'
ones are verify's (``migcheck.rules.live.LINT_SKIPS_UNUSED``).
"""

from __future__ import annotations

from typing import Any

from migcheck.live.results import VerifyResult
from migcheck.rules.registry import all_rules
from migcheck.run import suppress
from migcheck.run.engine import LintResult, apply_table_sizes, chosen, display_path
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.settings import Settings


def finish(result: VerifyResult, settings: Settings, snapshot: Any = None) -> int:
    """What the CLI and the API do after the cycle: the user's control, table sizes, the exit code
    (1 when an unsuppressed finding reaches ``fail-on``). ``snapshot``: the table stats, if loaded."""
    apply(result, settings)
    if settings.table_stats is not None:  # the tables each revision creates and renames: from its bodies
        from migcheck.live.history import with_bodies

        with_bodies(result.migrations)
        apply_table_sizes(result.findings, result.migrations, result.graph, result.notes, settings, snapshot)
    worst: Severity | None = result.worst()
    threshold = settings.fail_on
    return 1 if threshold is not None and worst is not None and worst >= threshold else 0


def apply(result: LintResult, settings: Settings) -> None:
    """Filter, re-grade and suppress the findings of a verify run in place."""
    defaults = {r.id: r.on_by_default(settings.base) for r in all_rules()}
    kept = [f for f in result.findings if chosen(f.rule, defaults.get(f.rule, True), settings)]
    for finding in kept:
        if finding.rule in settings.severity_overrides:
            finding.severity = settings.severity_overrides[finding.rule]
    display = {id(m): display_path(m.path) for m in result.migrations}
    suppress.apply(
        kept,
        suppress.suppressions_for(result.migrations, display),
        active_rules=set(),
        known_rules=list(defaults),
        require_reason=False,
        make={},
        severity_of=settings.severity_overrides,
    )
    result.findings = kept
