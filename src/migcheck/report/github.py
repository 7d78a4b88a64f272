"""``--format github``: workflow commands that GitHub Actions turns into annotations on the diff.

``::error file=F,line=L,endLine=E,title=T::message``, escaped as the Actions
runner unescapes them (actions/toolkit ``escapeData``/``escapeProperty``):
``%``, CR and LF everywhere, and ``:`` and ``,`` in properties too, so a
message with a newline or a path with a comma cannot break the command.
"""

from __future__ import annotations

from pathlib import Path

from migcheck.guard.escape import terminal
from migcheck.report import ruleinfo, text
from migcheck.report.paths import annotation_path, repo_root
from migcheck.run.engine import LintResult
from migcheck.vocabulary.findings import Finding, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    """The runner's own escaping, after controls (ANSI, OSC) in user text are made visible."""
    shown = "\r".join(terminal(part) for part in value.split("\r"))  # CR stays the runner's %0D
    return shown.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(finding: Finding, root: Path | None = None, cwd: Path | None = None) -> str:
    props = {
        "file": annotation_path(finding.path, root, cwd),
        "line": str(finding.line),
        "endLine": str(max(finding.end_line or finding.line, finding.line)),
        "title": f"migcheck ({finding.rule})",
    }
    body = finding.message
    if finding.fix:
        body += f"\nFix:\n{finding.fix}"
    body += f"\nDocs: {ruleinfo.doc_url(finding.rule)}"
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props.items())
    return f"::{COMMANDS[finding.severity]} {joined}::{escape_data(body)}"


def render(
    result: LintResult, *, quiet: bool = False, root: Path | None = None, cwd: Path | None = None
) -> str:
    """One command per unsuppressed finding, then the summary line (left out with ``--quiet``)."""
    here = (cwd or Path.cwd()).resolve()
    top = root or repo_root(here)
    lines = [command(f, top, here) for f in result.findings if not f.suppressed]
    if not quiet:
        lines.append(text.summary(result))
    return "".join(f"{line}\n" for line in lines)
