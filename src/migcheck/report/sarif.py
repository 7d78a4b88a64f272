"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and every other SARIF viewer.

Every rule is described in ``tool.driver.rules`` (viewers show the help of a
rule even for runs where it found nothing), paths are relative to the
repository root under ``%SRCROOT%`` so alerts keep their identity between
runs on different machines, and suppressed findings stay in the log as
``suppressions`` with their reason instead of disappearing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migcheck.guard.escape import uri_path
from migcheck.report import ruleinfo
from migcheck.report.paths import repo_relative, repo_root
from migcheck.report.scope import describe
from migcheck.report.source import fingerprint
from migcheck.rules.registry import Rule, all_rules
from migcheck.run.engine import LintResult
from migcheck.vocabulary.findings import Finding, Severity
from migcheck.vocabulary.version import VERSION

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://github.com/migcheck/migcheck"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
#: partialFingerprints key: rule + revision + a hash of the statement, so an alert keeps its identity
#: when lines above it move (GitHub matches results across runs on it).
FINGERPRINT_KEY = "migcheckStatementHash/v1"
#: automationDetails categories (the part of `id` before its last `/`): a pull-request run (`--base`)
#: lints part of the history, and must not close the alerts of a full run on the default branch.
CATEGORY_FULL = "migcheck"
CATEGORY_PULL_REQUEST = "migcheck-pull-request"


def _rule_name(rule_id: str) -> str:
    """SARIF's ``name`` is an identifier-like friendly name: ``CreateIndexNotConcurrently``."""
    return "".join(part.capitalize() for part in rule_id.split("-"))


def rule_descriptor(rule: Rule, base: str | None = None) -> dict[str, Any]:
    """The rule as the run's defaults have it: a rule on by default with ``--base`` only is enabled in a
    pull-request run and not in a whole-history one."""
    return {
        "id": rule.id,
        "name": _rule_name(rule.id),
        "shortDescription": {"text": ruleinfo.short_description(rule)},
        "fullDescription": {"text": ruleinfo.full_description(rule)},
        "help": {"text": ruleinfo.help_text(rule), "markdown": ruleinfo.help_markdown(rule)},
        "helpUri": ruleinfo.doc_url(rule.id),
        "defaultConfiguration": {"level": LEVELS[rule.severity], "enabled": rule.on_by_default(base)},
        "properties": {"tags": ["migrations", "alembic", rule.family]},
    }


def _location(finding: Finding, root: Path, cwd: Path) -> dict[str, Any]:
    relative = repo_relative(finding.path, root, cwd)
    if relative is not None:
        artifact = {"uri": uri_path(relative), "uriBaseId": SRCROOT}
    else:  # linted from outside the repository: an absolute file URI still resolves
        artifact = {"uri": (cwd / finding.path).resolve().as_uri()}
    region: dict[str, Any] = {"startLine": max(finding.line, 1)}
    if finding.end_line and finding.end_line > finding.line:
        region["endLine"] = finding.end_line
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _message(finding: Finding) -> str:
    if not finding.fix:
        return finding.message
    return f"{finding.message}\n\nFix:\n{finding.fix}"


def _suppression(finding: Finding) -> dict[str, Any]:
    """``inSource`` for an inline comment, ``external`` for config, baseline and the like."""
    kind = finding.extra.get("suppression_kind")
    suppression: dict[str, Any] = {
        "kind": "inSource" if kind in ("inSource", "inline") else "external",
        "status": "accepted",
    }
    if finding.suppression_reason:
        suppression["justification"] = finding.suppression_reason
    return suppression


def result_object(
    finding: Finding, index: dict[str, int], root: Path, cwd: Path, occurrence: int = 0
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [_location(finding, root, cwd)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, occurrence)},
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    if finding.revision:
        result["properties"] = {"revision": finding.revision}
    if finding.suppressed:
        result["suppressions"] = [_suppression(finding)]
    return result


def document(
    result: LintResult, *, root: Path | None = None, cwd: Path | None = None, rules: list[Rule] | None = None
) -> dict[str, Any]:
    here = (cwd or Path.cwd()).resolve()
    top = (root or repo_root(here)).resolve()
    catalogue = rules if rules is not None else all_rules()
    index = {rule.id: i for i, rule in enumerate(catalogue)}
    base = getattr(result, "base", None)
    # Identical statements of one rule in one revision are told apart by their order.
    seen: dict[tuple[str, str, str, str], int] = {}
    results = []
    for f in result.findings:
        key = (f.rule, f.path, f.revision or "", fingerprint(f))
        results.append(result_object(f, index, top, here, seen.get(key, 0)))
        seen[key] = seen.get(key, 0) + 1
    category = CATEGORY_PULL_REQUEST if base else CATEGORY_FULL
    properties: dict[str, Any] = {
        "scope": describe(result),
        "revisions": len(result.migrations),
        "lintedRevisions": len(result.migrations) if result.linted is None else result.linted,
    }
    if base:
        properties["base"] = base
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "migcheck",
                        "version": VERSION,
                        "semanticVersion": VERSION,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(rule, base) for rule in catalogue],
                    }
                },
                "automationDetails": {"id": f"{category}/"},
                "originalUriBaseIds": {SRCROOT: {"uri": top.as_uri().rstrip("/") + "/"}},
                "invocations": [{"executionSuccessful": True}],
                "results": results,
                "properties": properties,
            }
        ],
    }


def render(result: LintResult, pretty: bool = False, **kwargs: Any) -> str:
    from migcheck.report.json import dumps

    return dumps(document(result, **kwargs), pretty)
