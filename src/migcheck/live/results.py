"""What verify takes and gives: its options, the record of each revision, the result and its counts.

Plain data shared by the cycle (steps.py), its entry point (cycle.py) and the reporters
(report/verify.py), so a reporter reads the record without the code that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migcheck.live.locks import Cost, Lock, Rewrite, Unmeasured
from migcheck.live.schema import Difference
from migcheck.run.engine import LintResult


@dataclass
class VerifyOptions:
    paths: list[Path]
    db_url: str | None = None
    engine: str | None = None
    image: str | None = None
    allow_remote: bool = False
    use_env: bool = False
    from_rev: str | None = None
    to_rev: str | None = None
    seed_rows: int = 0
    #: verify-data: a folder of ``<revision>.toml`` files, rows inserted before a revision and checked after it.
    verify_data: Path | None = None
    check_models: str | None = None
    progress: bool = False
    #: --use-env: where env.py's output goes (None: a temporary log file, named in a note; discarded under -q).
    env_log: Path | None = None
    quiet: bool = False


@dataclass
class StepReport:
    """What happened to one revision: timings, locks, rewrites, schema differences."""

    revision: str
    path: str
    #: False for a revision only applied to reach ``--from`` (not cycled).
    checked: bool = True
    status: str = "ok"  # ok, failed, skipped, applied
    upgrade_ms: float | None = None
    downgrade_ms: float | None = None
    reupgrade_ms: float | None = None
    locks: list[Lock] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    downgrade_diff: list[Difference] = field(default_factory=list)
    reupgrade_diff: list[Difference] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)
    unmeasured: list[Unmeasured] = field(default_factory=list)
    #: Write-blocking locks on existing tables requested without lock_timeout.
    unbounded: list[Lock] = field(default_factory=list)
    error: str | None = None
    note: str | None = None
    #: The database was recreated and the applied revisions replayed after this revision.
    restored: bool = False


@dataclass
class VerifyResult(LintResult):
    """A LintResult (so every reporter prints it) plus the per-revision record of the cycle."""

    steps: list[StepReport] = field(default_factory=list)
    server: str = ""
    dialect: str = ""
    scratch_database: str = ""
    seed_rows: int = 0
    locks_measured: bool = False
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """How many revisions were cycled, failed, skipped (and why) or only applied to reach --from."""
        cycled = [s for s in self.steps if s.checked and s.status in ("ok", "failed")]
        skipped = [s for s in self.steps if s.status == "skipped"]
        return {
            "checked": len(cycled),
            "failed": sum(1 for s in cycled if s.status == "failed"),
            "skipped": len(skipped),
            "applied_only": sum(1 for s in self.steps if s.status == "applied"),
            "skipped_because": [
                {"revision": s.revision, "reason": (s.note or "").removeprefix("not run: ")} for s in skipped
            ],
        }

    def revision_summary(self) -> str:
        """``22 revisions: 22 checked, 4 failed, 0 skipped``, with the reasons for the skipped ones."""
        c = self.counts()
        total = len(self.steps)
        text = (
            f"{total} revision{'s' if total != 1 else ''}: {c['checked']} checked, {c['failed']} failed, "
            f"{c['skipped']} skipped"
        )
        if c["applied_only"]:
            text += f", {c['applied_only']} only applied"
        reasons: dict[str, list[str]] = {}
        for item in c["skipped_because"]:
            reasons.setdefault(item["reason"], []).append(item["revision"])
        if reasons:
            text += " (" + "; ".join(
                f"{', '.join(revs[:3])}{f' and {len(revs) - 3} more' if len(revs) > 3 else ''}: {why}"
                for why, revs in reasons.items()
            ) + ")"
        return text


class StepFailed(Exception):
    """A migration step raised; ``error`` is the database's (or Python's) message."""

    def __init__(self, error: str, line: int | None, cause: BaseException) -> None:
        super().__init__(error)
        self.error = error
        self.line = line
        self.cause = cause
