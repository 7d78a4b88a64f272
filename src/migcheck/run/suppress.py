"""Inline suppression comments, applied after the rules have run.

``# migcheck: ignore[rule-id, other-id] -- reason`` on the offending line (a
trailing comment anywhere in a multi-line statement counts) or on its own
line(s) directly above it; ``# migcheck: ignore-file[rule-id] -- reason``
anywhere in the file (by convention near the top). In offline ``.sql`` files
the same directives are written as ``-- migcheck: ...`` comments.

The rules never see suppressions: they report everything, and this module
marks findings suppressed with their reason, so reports can still count and
show them. A suppression is itself checked: one that suppresses nothing is an
``unused-suppression`` finding (it would otherwise hide the next real
problem on that line), one without a reason is a ``suppression-without-reason``
finding when ``require-reason`` is on.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from migcheck.extract.sqlsplit import statements
from migcheck.rules.registry import Rule
from migcheck.rules.suppression import SUPPRESSION_WITHOUT_REASON, UNUSED_SUPPRESSION
from migcheck.run.config import rule_hint
from migcheck.vocabulary.findings import Finding, Severity
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import Migration

#: Findings about suppressions are not themselves suppressible inline (use ``ignore`` in the config).
OWN_RULES = frozenset({UNUSED_SUPPRESSION, SUPPRESSION_WITHOUT_REASON})

_DIRECTIVE = lazy_regex(r"^migcheck\s*:\s*(?P<rest>.*)$", re.S)
#: The reason keeps its trailing blanks (stripped by the caller): ``(?P<reason>.*?)\s*$`` tried the tail
#: at every character of the reason, quadratic in a run of blanks inside it.
_IGNORE = lazy_regex(r"^(?P<kind>ignore-file|ignore)\s*\[(?P<rules>[^\]]*)\]\s*(?:--\s*(?P<reason>.*))?$", re.S)
_SYNTAX = "write `migcheck: ignore[rule-id] -- reason`"


@dataclass
class Suppression:
    """One directive: where it is, which rules it names, what it covers, and what it was used for."""

    path: str
    line: int
    rules: tuple[str, ...] = ()
    reason: str | None = None
    file_level: bool = False
    #: Lines whose findings it can suppress (empty for file-level ones).
    targets: set[int] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    #: Why the comment cannot be read, when it cannot.
    problem: str | None = None
    revision: str | None = None

    def covers(self, finding: Finding) -> bool:
        return finding.rule in self.rules and (self.file_level or finding.line in self.targets)


def parse_directive(comment: str) -> tuple[str, tuple[str, ...], str | None] | str | None:
    """``(kind, rule ids, reason)`` for a directive; a problem message when malformed; None if not one.

    ``comment`` is the comment's text without its ``#`` / ``--`` marker. Text after another ``#``
    counts too, so ``# noqa: E501  # migcheck: ignore[...]`` works.
    """
    for part in comment.split("#"):
        match = _DIRECTIVE.match(part.strip())
        if match is None:
            continue
        rest = match.group("rest").strip()
        ignore = _IGNORE.match(rest)
        if ignore is None:
            if rest.startswith(("ignore", "ignore-file")):
                return f"cannot read this suppression comment; {_SYNTAX}"
            return f"unknown migcheck directive {rest.split()[0] if rest else '(empty)'!r}; {_SYNTAX}"
        rules = tuple(r.strip() for r in ignore.group("rules").split(",") if r.strip())
        if not rules:
            return f"suppression names no rule; {_SYNTAX}"
        reason = (ignore.group("reason") or "").strip() or None
        return ignore.group("kind"), rules, reason
    return None


def _make(path: str, line: int, text: str, revision: str | None) -> Suppression | None:
    parsed = parse_directive(text)
    if parsed is None:
        return None
    if isinstance(parsed, str):
        return Suppression(path, line, problem=parsed, revision=revision)
    kind, rules, reason = parsed
    return Suppression(path, line, rules, reason, kind == "ignore-file", revision=revision)


def python_suppressions(path: str, source: str, revision: str | None = None) -> list[Suppression]:
    """Directives in ``#`` comments, each covering its logical line (trailing) or the next one (own line)."""
    found: list[Suppression] = []
    pending: list[Suppression] = []  # own-line comments waiting for the statement below them
    trailing: list[Suppression] = []
    start: int | None = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                sup = _make(path, tok.start[0], tok.string.lstrip("#"), revision)
                if sup is not None:
                    found.append(sup)
                    if not sup.file_level:
                        (pending if start is None else trailing).append(sup)
            elif tok.type == tokenize.NL:
                if start is None and not tok.line.strip():
                    pending = []  # a blank line: the comment above is not "the line above" anything
            elif tok.type == tokenize.NEWLINE:
                if start is not None:
                    span = set(range(start, tok.end[0] + 1))
                    for sup in (*pending, *trailing):
                        sup.targets |= span
                start, pending, trailing = None, [], []
            elif tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            elif start is None:
                start = tok.start[0]
    except (tokenize.TokenError, SyntaxError):
        return _line_fallback(path, source.splitlines(), "#", revision)
    return found


def sql_suppressions(path: str, source: str, revision: str | None = None) -> list[Suppression]:
    """Directives in ``--`` comments of an offline SQL file; statements may span several lines."""
    lines = source.splitlines()
    spans = [(s.line, s.line + s.text.count("\n")) for s in statements(source)]
    found: list[Suppression] = []
    for number, text in enumerate(lines, start=1):
        marker = text.find("--")
        while marker != -1:
            sup = _make(path, number, text[marker + 2 :], revision)
            if sup is not None:
                break
            marker = text.find("--", marker + 2)
        if sup is None or marker == -1:
            continue
        found.append(sup)
        if sup.file_level:
            continue
        own_line = not text[:marker].strip()
        if own_line:
            following = [span for span in spans if span[0] > number]
            span = min(following) if following else None
            # Only the statement right below, with nothing but comments or blanks in between.
            between = range(number + 1, span[0]) if span is not None else range(0)
            if span is not None and all(_is_comment_or_blank(lines[i - 1]) for i in between):
                sup.targets = set(range(span[0], span[1] + 1))
        else:
            around = [s for s in spans if s[0] <= number <= s[1]]
            sup.targets = set(range(around[0][0], around[0][1] + 1)) if around else {number}
    return found


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("--")


def _line_fallback(path: str, lines: list[str], marker: str, revision: str | None) -> list[Suppression]:
    found = []
    for number, text in enumerate(lines, start=1):
        at = text.find(marker)
        if at == -1:
            continue
        sup = _make(path, number, text[at + len(marker) :], revision)
        if sup is not None:
            own_line = not text[:at].strip()
            sup.targets = {number + 1} if own_line else {number}
            found.append(sup)
    return found


def suppressions_for(
    migrations: Iterable[Migration], display: dict[int, str]
) -> dict[str, list[Suppression]]:
    """Directives by display path, read once per file (an offline SQL file holds many revisions)."""
    by_path: dict[str, list[Suppression]] = {}
    for migration in migrations:
        path = display[id(migration)]
        if path in by_path or not migration.source_lines:
            continue
        source = "\n".join(migration.source_lines) + "\n"
        if "migcheck" not in source:  # most files: no need to tokenize
            by_path[path] = []
            continue
        reader = sql_suppressions if migration.origin == "sql" else python_suppressions
        revision = migration.revision if migration.origin == "python" else None
        by_path[path] = reader(path, source, revision)
    return by_path


def apply(
    findings: list[Finding],
    suppressions: dict[str, list[Suppression]],
    *,
    active_rules: set[str],
    known_rules: list[str],
    require_reason: bool,
    make: dict[str, Rule],
    severity_of: dict[str, Severity],
) -> list[Finding]:
    """Mark the findings the directives cover; return the findings about the directives themselves.

    ``active_rules``: rules that ran and could have produced a finding here; a directive naming a rule
    that did not run (``--select``, another dialect) is not called unused, since migcheck cannot tell.
    """
    for finding in findings:
        if finding.suppressed or finding.rule in OWN_RULES:
            continue
        candidates = [s for s in suppressions.get(finding.path, ()) if s.covers(finding)]
        if not candidates:
            continue
        # The most specific directive wins: a line-level one before the file-level one.
        chosen = min(candidates, key=lambda s: s.file_level)
        chosen.used.add(finding.rule)
        finding.suppressed = True
        finding.extra["suppression_kind"] = "inSource"
        finding.suppression_reason = chosen.reason

    out: list[Finding] = []

    def emit(rule_id: str, sup: Suppression, message: str, fix: str | None) -> None:
        if rule_id not in make:
            return
        out.append(Finding(rule=rule_id, severity=severity_of.get(rule_id, make[rule_id].severity),
                           message=message, path=sup.path, line=sup.line, revision=sup.revision, fix=fix))

    for sups in suppressions.values():
        for sup in sups:
            if sup.problem is not None:
                emit(UNUSED_SUPPRESSION, sup, f"this comment suppresses nothing: {sup.problem}",
                     "# migcheck: ignore[rule-id] -- why this is safe here")
                continue
            if sup.file_level:
                where = "in this file"
            elif sup.targets:
                first, last = min(sup.targets), max(sup.targets)
                where = f"on line {first}" if first == last else f"on lines {first}-{last}"
            else:
                where = ""
            for rule_id in sup.rules:
                if rule_id in OWN_RULES:
                    continue
                if rule_id not in known_rules:
                    hint = rule_hint(rule_id, known_rules)
                    emit(UNUSED_SUPPRESSION, sup, f"suppression names unknown rule {rule_id!r}{hint}", None)
                elif rule_id in active_rules and rule_id not in sup.used and not where:
                    emit(UNUSED_SUPPRESSION, sup,
                         f"suppression of {rule_id} covers nothing: the comment is neither on a statement's "
                         f"line nor directly above one (no blank line in between)",
                         "put the comment at the end of the offending line, or on the line right above it")
                elif rule_id in active_rules and rule_id not in sup.used:
                    emit(UNUSED_SUPPRESSION, sup,
                         f"suppression of {rule_id} is unused: no {rule_id} finding {where}",
                         f"remove {rule_id} from this comment (or the whole comment)")
            if require_reason and sup.reason is None:
                kind = "ignore-file" if sup.file_level else "ignore"
                emit(SUPPRESSION_WITHOUT_REASON, sup,
                     f"suppression of {', '.join(sup.rules)} gives no reason: say why this is safe, so the "
                     f"next reader does not have to guess",
                     f"# migcheck: {kind}[{', '.join(sup.rules)}] -- <why this is safe here>")
    return out

