"""The human report: grouped by file, ``path:line  rule-id  message``, a fix, and a summary line."""

from __future__ import annotations

import os
from itertools import groupby
from typing import TextIO

from migcheck.guard.escape import log_line, one_line, terminal
from migcheck.report import scope
from migcheck.report.ruleinfo import doc_url
from migcheck.report.source import caret_span, line_of
from migcheck.run.engine import LintResult
from migcheck.vocabulary.findings import Finding, Severity

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def use_color(stream: TextIO) -> bool:
    """Colour on a terminal only; ``NO_COLOR`` turns it off and ``FORCE_COLOR`` on.

    ``NO_COLOR`` wins when both are set (no-color.org); ``FORCE_COLOR=0`` or
    ``false`` does not force (the Node.js reading of it), and ``TERM=dumb``
    terminals get no escape codes.
    """
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force and force.strip().lower() not in ("0", "false", "no", "off"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


# Terminals known to show OSC 8 hyperlinks (the environment variables they set).
_HYPERLINK_TERMINALS = ("WT_SESSION", "KONSOLE_VERSION", "DOMTERM", "KITTY_WINDOW_ID", "WEZTERM_PANE")
_HYPERLINK_PROGRAMS = ("iTerm.app", "WezTerm", "vscode", "ghostty", "Hyper")


def use_hyperlinks(stream: TextIO) -> bool:
    """OSC 8 links on terminals that show them; `FORCE_HYPERLINK=1`/`0` decides when set.

    Elsewhere the escape codes would be printed as garbage, so the default is off: a terminal,
    not CI, not `TERM=dumb`, and one that announces itself as supporting them.
    """
    forced = os.environ.get("FORCE_HYPERLINK")
    if forced is not None and forced.strip() != "":
        return forced.strip().lower() not in ("0", "false", "no", "off")
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb" or not use_color(stream):
        return False
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    if any(os.environ.get(name) for name in _HYPERLINK_TERMINALS):
        return True
    if os.environ.get("TERM_PROGRAM") in _HYPERLINK_PROGRAMS:
        return True
    vte = os.environ.get("VTE_VERSION", "")
    return vte.isdigit() and int(vte) >= 5000


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _link(text: str, url: str, on: bool) -> str:
    return f"\x1b]8;;{url}\x1b\\{text}\x1b]8;;\x1b\\" if on else text


def render(
    result: LintResult, *, color: bool = False, show_fix: bool = True, quiet: bool = False,
    concise: bool = False, links: bool = False,
) -> str:
    """Findings grouped by file, each with its source line, caret and fix; `concise`: one line each."""
    lines: list[str] = []
    active = [f for f in result.findings if not f.suppressed]
    if quiet and not active and not hasattr(result, "revision_summary"):  # verify always says what it checked
        return ""
    full = not (quiet or concise)
    #: A fix printed once in full; the same fix again points back to it instead of repeating it.
    shown: dict[str, str] = {}
    for _path, group in groupby(active, key=lambda f: f.path):
        for finding in group:
            lines.extend(_finding_lines(finding, color, show_fix and full, shown, source=full, links=links))
        if full:
            lines.append("")
    lines.append(summary(result, color))
    return "\n".join(log_line(line) for line in lines) + "\n"


def _source_lines(finding: Finding, color: bool) -> list[str]:
    """`  17 |     op.create_index(...)` and a caret under the call, as ruff and squawk show them."""
    raw = line_of(finding)
    if raw is None:
        return []
    text = one_line(raw)  # the linted file's own text: its escape sequences are shown, not run
    number = str(finding.line)
    start, end = caret_span(text)
    gutter = " " * (len(number) + 2)
    caret = _paint("^" * (end - start), _COLORS[finding.severity], color)
    return [f"  {number} | {text}", f"{gutter} | {' ' * start}{caret}"]


def _finding_lines(
    finding: Finding, color: bool, show_fix: bool, shown: dict[str, str] | None = None, *,
    source: bool = False, links: bool = False,
) -> list[str]:
    sev = finding.severity
    rule = _link(_paint(finding.rule, _COLORS[sev] + ";1", color), doc_url(finding.rule), links)
    # Paths, names and SQL come from the linted files: escape sequences in them are shown, not run.
    where = f"{one_line(finding.path)}:{finding.line}"
    out = [f"{where}  {rule}  {_paint(sev.label, _COLORS[sev], color)}: {one_line(finding.message)}"]
    if source:
        out.extend(_source_lines(finding, color))
    if show_fix and finding.fix:
        first = (shown if shown is not None else {}).setdefault(finding.fix, where)
        fix_lines = [f"the same as {first}"] if first != where else terminal(finding.fix).split("\n")
        out.append("    " + _paint("fix:", "32", color) + " " + fix_lines[0])
        out.extend("         " + line for line in fix_lines[1:])
    return out


def statistics(result: LintResult) -> str:
    """Counts per rule, most frequent first (ruff's ``--statistics``): where a team's findings come from."""
    from migcheck.rules.registry import get_rule

    rows = statistics_json(result)
    width = max((len(str(row["rule"])) for row in rows), default=0)
    lines = []
    for row in rows:
        rule = get_rule(str(row["rule"]))
        lines.append(f"{row['count']:6d}  {row['rule']!s:<{width}}  {row['severity']!s:<7}  {rule.summary if rule else ''}")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def statistics_json(result: LintResult) -> list[dict[str, object]]:
    """The counts as data: ``[{"rule", "severity", "count"}]``, most frequent first; the severity is
    the rule's worst, when table sizes made some of its findings softer."""
    from collections import Counter

    active = [f for f in result.findings if not f.suppressed]
    counts = Counter(f.rule for f in active)
    severity: dict[str, Severity] = {}
    for f in active:
        severity[f.rule] = max(severity.get(f.rule, f.severity), f.severity)
    return [{"rule": rule_id, "severity": severity[rule_id].label, "count": count}
            for rule_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def summary(result: LintResult, color: bool = False) -> str:
    counts = [(result.count(sev), sev) for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    parts = [f"{n} {sev.label}{'s' if n != 1 else ''}" for n, sev in counts if n]
    # A baseline or --base narrows the run: the scope says how much was looked at. Verify's names
    # files and modules: shown, never run.
    tail = scope.describe(result, one_line)
    if not parts:
        return _paint("No problems found", "32;1", color) + f" ({tail})."
    worst = result.worst() or Severity.INFO
    return _paint("Found " + ", ".join(parts), _COLORS[worst] + ";1", color) + f" ({tail})."

