"""What ``verify`` adds to the lint reports: the per-revision table (text) and the ``verify`` key (JSON).

Findings go through the lint reporters unchanged; this module only formats the
record of the cycle: time, locks and rewrites per revision, and the notes.
"""

from __future__ import annotations

from typing import Any

from migcheck.guard.escape import log_line, one_line
from migcheck.live.locks import mode_label, strength
from migcheck.live.results import StepReport, VerifyResult
from migcheck.report import json as json_report


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _locks(step: StepReport) -> str:
    strongest: dict[str, str] = {}
    for lock in step.locks:
        if lock.existing and lock.kind == "table":
            held = strongest.get(lock.relation)
            if held is None or strength(lock.mode) > strength(held):
                strongest[lock.relation] = lock.mode
    return ", ".join(f"{table} {mode_label(mode)}" for table, mode in sorted(strongest.items())) or "-"


def _measured(result: VerifyResult, step: StepReport) -> str:
    """yes, partly (statements that cannot run in a probe transaction), or no (not PostgreSQL, not run)."""
    if not result.locks_measured or step.upgrade_ms is None or step.status in ("skipped", "applied"):
        return "no"
    return "partly" if step.unmeasured else "yes"


def _result(step: StepReport, rules: dict[str, list[str]]) -> str:
    if step.status in ("skipped", "applied"):
        return step.status if not step.note else f"{step.status} ({step.note.removeprefix('not run: ')})"
    found = rules.get(step.revision, [])
    text = ", ".join(found) if found else "ok"
    if step.unmeasured:
        n = len(step.unmeasured)
        text += f" (locks of {n} statement{'s' if n != 1 else ''} not measured)"
    return text


def table(result: VerifyResult) -> str:
    if not result.steps:
        return "".join(f"note: {note}\n" for note in result.notes) + "\n"
    rules: dict[str, list[str]] = {}
    for finding in result.findings:
        if finding.revision and finding.rule not in rules.setdefault(finding.revision, []):
            rules[finding.revision].append(finding.rule)
    header = [
        "revision",
        "file",
        "up ms",
        "down ms",
        "re-up ms",
        "locks on existing tables",
        "rewrites",
        "result",
    ]
    rows = [
        [
            step.revision,
            step.path.rsplit("/", 1)[-1],
            _ms(step.upgrade_ms),
            _ms(step.downgrade_ms),
            _ms(step.reupgrade_ms),
            _locks(step) if result.locks_measured else "not measured",
            ", ".join(r.relation for r in step.rewrites) or "-" if result.locks_measured else "not measured",
            _result(step, rules),
        ]
        for step in result.steps
    ]
    # Revision ids, file and table names come from the project: one line each, controls shown.
    rows = [[one_line(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 4}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    seeded = f", {result.seed_rows} rows seeded per table" if result.seed_rows else ""
    out = [
        f"Verified on {result.server}, scratch database {result.scratch_database} (dropped){seeded}.",
        "",
        line(header),
        line(["-" * w for w in widths]),
    ]
    out += [line(r) for r in rows]
    long_diffs = [
        (s.revision, label, diffs)
        for s in result.steps
        for label, diffs in (("downgrade", s.downgrade_diff), ("second upgrade", s.reupgrade_diff))
        if len(diffs) > 4
    ]
    for revision, label, diffs in long_diffs:
        out += ["", f"{one_line(revision)}: schema after the {label}:"] + [f"  {one_line(str(d))}" for d in diffs]
    if result.notes:
        out.append("")
        out += [f"note: {one_line(note)}" for note in result.notes]
    return "\n".join(log_line(line) for line in out) + "\n\n"




def section(result: VerifyResult) -> dict[str, Any]:
    """The ``verify`` key of the JSON report (optional in schema v1; lint never writes it)."""
    return {
        "server": result.server,
        "dialect": result.dialect,
        "scratch_database": result.scratch_database,
        "seed_rows": result.seed_rows,
        "locks_measured": result.locks_measured,
        "notes": result.notes,
        "steps": [
            {
                "revision": s.revision,
                "path": s.path,
                "checked": s.checked,
                "status": s.status,
                "upgrade_ms": s.upgrade_ms,
                "downgrade_ms": s.downgrade_ms,
                "reupgrade_ms": s.reupgrade_ms,
                "locks": [
                    {
                        "relation": lk.relation,
                        "kind": lk.kind,
                        "mode": mode_label(lk.mode),
                        "existing": lk.existing,
                        "blocks_writes": lk.blocks_writes,
                        "line": lk.line,
                        "statement": lk.statement,
                        "bounded": lk.bounded,
                        "probed": lk.probed,
                    }
                    for lk in s.locks
                ],
                "costs": [
                    {
                        "relation": c.relation,
                        "work": c.work,
                        "mode": mode_label(c.lock.mode),
                        "bounded": c.lock.bounded,
                        "line": c.line,
                        "statement": c.statement,
                    }
                    for c in s.costs
                ],
                "locks_measured": _measured(result, s),
                "unmeasured": [{"line": u.line, "statement": u.statement, "reason": u.reason} for u in s.unmeasured],
                "restored": s.restored,
                "rewrites": [
                    {"relation": r.relation, "kind": r.kind, "line": r.line, "statement": r.statement}
                    for r in s.rewrites
                ],
                "downgrade_diff": [str(d) for d in s.downgrade_diff],
                "reupgrade_diff": [str(d) for d in s.reupgrade_diff],
                "error": s.error,
                "note": s.note,
            }
            for s in result.steps
        ],
    }


def render_json(result: VerifyResult, exit_code: int, pretty: bool = False) -> str:
    doc = json_report.document(result, exit_code)
    doc["summary"]["verify"] = result.counts()
    doc["verify"] = section(result)
    return json_report.dumps(doc, pretty)
