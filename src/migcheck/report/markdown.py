"""``--format markdown``: for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

A summary line, a table of findings (location linked to the exact lines of
the commit that was linted, rule linked to its documentation), the suggested
fixes folded away, and the revisions that were checked. Long reports are cut
at ``max_rows`` findings: a pull-request comment holds at most 65,536
characters, and nobody reads row 101 anyway.
"""

from __future__ import annotations

from pathlib import Path

from migcheck.guard.escape import md_code, md_fence, md_message, md_text, uri_path
from migcheck.report import ruleinfo
from migcheck.report.paths import annotation_path, repo_root
from migcheck.report.scope import describe
from migcheck.run.engine import LintResult, display_path
from migcheck.vocabulary.findings import Finding, Severity

ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}  # noqa: RUF001
MAX_ROWS = 100


def cell(text: str) -> str:
    """A migcheck message for a table cell: its code spans kept, everything else literal text."""
    return md_message(text)


def _code(text: str) -> str:
    """Inline code for names that may hold backticks, pipes or line breaks (files, revisions)."""
    return md_code(text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(result: LintResult) -> str:
    counts = [(result.count(sev), sev) for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    parts = [f"{n} {sev.label}{'' if n == 1 or sev is Severity.INFO else 's'}" for n, sev in counts if n]
    # The same scope as the text report (baseline and --base included); verify's names files: literal text.
    scope = describe(result, md_text)
    worst = result.worst()
    if worst is None:
        return f"✅ **No problems found** ({scope})."
    return f"{ICONS[worst]} **Found {', '.join(parts)}** ({scope})."


class _Linker:
    def __init__(self, link_base: str | None, root: Path, cwd: Path) -> None:
        self.link_base, self.root, self.cwd = link_base, root, cwd

    def location(self, path: str, line: int | None = None, end_line: int | None = None) -> str:
        shown = annotation_path(path, self.root, self.cwd)
        label = _code(f"{shown}:{line}" if line else shown)
        if not self.link_base or shown.startswith("../") or shown.startswith("/"):
            return label
        anchor = ""
        if line:
            anchor = f"#L{line}" + (f"-L{end_line}" if end_line and end_line > line else "")
        return f"[{label}]({self.link_base}{uri_path(shown)}{anchor})"


def _findings_table(shown: list[Finding], linker: _Linker) -> list[str]:
    lines = ["| | Location | Rule | Message |", "| --- | --- | --- | --- |"]
    for f in shown:
        rule = f"[`{f.rule}`]({ruleinfo.doc_url(f.rule)})"
        where = linker.location(f.path, f.line, f.end_line)
        lines.append(f"| {ICONS[f.severity]} {f.severity.label} | {where} | {rule} | {cell(f.message)} |")
    return lines


def _fixes(shown: list[Finding], linker: _Linker) -> list[str]:
    with_fix = [f for f in shown if f.fix]
    if not with_fix:
        return []
    lines = ["", f"<details><summary>Suggested fixes ({len(with_fix)})</summary>", ""]
    for f in with_fix:
        lines += [f"{linker.location(f.path, f.line)} `{f.rule}`", "", *md_fence(f.fix or "", "python"), ""]
    lines.append("</details>")
    return lines


def _revisions(result: LintResult, linker: _Linker) -> list[str]:
    if not result.migrations:
        return []
    lines = ["", f"<details><summary>Revisions checked ({len(result.migrations)})</summary>", ""]
    lines += ["| Revision | File | Message |", "| --- | --- | --- |"]
    for m in result.migrations:
        where = linker.location(display_path(m.path), m.line)
        lines.append(f"| {_code(m.revision)} | {where} | {cell(m.message or '')} |")
    lines += ["", "</details>"]
    return lines


def _rolling(result: LintResult) -> list[str]:
    """Pull-request mode: which revisions can run while the base release still serves traffic."""
    if not result.rolling_safe:
        return []
    lines = ["", "**Rolling-deploy safe revisions** (judged against the models on the base branch)", "",
             "| Revision | Rolling deploy |", "| --- | --- |"]
    for revision, safe in sorted(result.rolling_safe.items()):
        lines.append(f"| {_code(revision)} | {'✅ safe' if safe else '❌ not safe: see the findings'} |")
    return lines


def render(
    result: LintResult,
    *,
    link_base: str | None = None,
    max_rows: int = MAX_ROWS,
    root: Path | None = None,
    cwd: Path | None = None,
    title: str = "migcheck",
) -> str:
    """The report; ``link_base`` (``https://github.com/o/r/blob/SHA/``) turns locations into links."""
    here = (cwd or Path.cwd()).resolve()
    linker = _Linker(link_base, root or repo_root(here), here)
    active = [f for f in result.findings if not f.suppressed]
    shown = active[:max_rows]
    lines = [f"### {title}", "", summary_line(result)]
    if shown:
        lines += ["", *_findings_table(shown, linker)]
        if len(active) > len(shown):
            more = len(active) - len(shown)
            lines += ["", f"…and {more} more; the SARIF report and `migcheck lint` list them all."]
        lines += _fixes(shown, linker)
    lines += _rolling(result)
    lines += _revisions(result, linker)
    return "\n".join(lines) + "\n"
