"""How much a run looked at, said the same way by every report format.

Under a baseline or ``--base`` most revisions are not linted; a report that says only "9 revisions"
would let silence pass for a clean history.
"""

from __future__ import annotations

from collections.abc import Callable

from migcheck.run.engine import LintResult


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(result: LintResult, escape: Callable[[str], str] = str) -> str:
    """`7 revisions in 7 files`, or `2 of 9 revisions linted, 9 files`; `, N suppressed` when some are.

    A verify result states what it checked, failed and skipped instead; that text names files and
    modules, so the caller passes the escaping of its medium (``escape``).
    """
    live = getattr(result, "revision_summary", None)
    if live is not None:
        text = escape(live())
    else:
        revisions = len(result.migrations)
        files = _plural(result.files_checked, "file")
        if result.linted is not None and result.linted != revisions:
            text = f"{result.linted} of {_plural(revisions, 'revision')} linted, {files}"
        else:
            text = f"{_plural(revisions, 'revision')} in {files}"
    suppressed = sum(1 for f in result.findings if f.suppressed)
    if suppressed:
        text += f", {suppressed} suppressed"
    return text
