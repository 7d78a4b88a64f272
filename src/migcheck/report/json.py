"""``--format json``: a stable, versioned document (schema in ``migcheck/schemas/report-v1.json``)."""

from __future__ import annotations

import json
from typing import Any

from migcheck.guard.escape import json_tree
from migcheck.run.engine import LintResult, display_path
from migcheck.vocabulary.findings import Finding, Severity
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.version import VERSION

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity.label,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "end_line": f.end_line or f.line,
        "revision": f.revision,
        "fix": f.fix,
        "suppressed": f.suppressed,
        "suppression_reason": f.suppression_reason,
    }


def document(result: LintResult, exit_code: int) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "migcheck", "version": VERSION},
        "summary": {
            "files": result.files_checked,
            "revisions": len(result.migrations),
            "linted_revisions": len(result.migrations) if result.linted is None else result.linted,
            "findings": sum(1 for f in result.findings if not f.suppressed),
            "suppressed": sum(1 for f in result.findings if f.suppressed),
            "by_severity": {sev.label: result.count(sev) for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO)},
            "exit_code": exit_code,
        },
        "findings": [finding_dict(f) for f in result.findings],
        "revisions": [
            {
                "revision": m.revision,
                "down_revisions": list(m.down_revisions),
                "path": display_path(m.path),
                "line": m.line,
                "message": m.message,
                "origin": m.origin,
            }
            for m in result.migrations
        ],
        "graph": {
            "heads": [m.revision for m in result.graph.heads],
            "bases": [m.revision for m in result.graph.bases],
        },
    }


def dumps(doc: Any, pretty: bool = False) -> str:
    """Compact by default: ``indent`` forces Python's pure-Python encoder (a tenth of a 10,000-revision
    run went into it); ``--pretty`` indents for people.

    Lone surrogates (file names that are not UTF-8) are written out as text (``escape.json_tree``), which
    copies the whole document in Python: done only when the ASCII-escaped output shows a surrogate at all.
    ``##[`` is written ``#\\u0023[``: the same string to a JSON reader, no command to the GitHub log.
    """
    def encode(value: Any) -> str:
        return json.dumps(value, indent=2) if pretty else json.dumps(value, separators=(",", ":"))

    text = encode(doc)
    if _SURROGATE_ESCAPE.search(text):
        text = encode(json_tree(doc))
    # The Actions runner reads the old ``##[command]`` syntax anywhere in a line of the log, and a report
    # printed there quotes revision ids and names; ``#`` is only ever inside a JSON string, where ``\u0023``
    # is the same character to every reader (the other formats show it as ``#\x23[``)
    return text.replace("##[", "#\\u0023[") + "\n"


#: How ``json.dumps`` (ASCII output) writes a UTF-16 surrogate; valid pairs match too (then the slow path
#: gives the same text).
_SURROGATE_ESCAPE = lazy_regex(r"\\ud[89a-f][0-9a-f]{2}")


def render(result: LintResult, exit_code: int, pretty: bool = False) -> str:
    return dumps(document(result, exit_code), pretty)
