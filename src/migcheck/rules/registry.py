"""The rule registry: ids, severities, dialects and documentation in one place.

Rules are small functions registered with a decorator. Three shapes, by what
they look at: one change (``change_rule``), one revision (``revision_rule``)
or the whole revision graph (``graph_rule``). They yield ``Hit``s; the engine
turns hits into findings with the rule's id, severity and the file path, so a
rule never formats locations or decides severities itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from migcheck.vocabulary.changes import Change
from migcheck.vocabulary.findings import Severity

RuleKind = Literal["change", "revision", "graph", "project", "engine"]
DOC_SECTIONS = ("What it finds", "Why it hurts", "Example", "Safe alternative")


@dataclass(eq=False, repr=False)
class Hit:
    """What a rule reports: a message at a line, with a fix as Alembic code where there is one."""

    message: str
    line: int | None = None
    fix: str | None = None
    #: For graph rules, which file the hit is in (per-revision rules use their revision's file).
    path: Path | None = None
    revision: str | None = None
    #: A severity for this hit only (e.g. a softer one when migcheck cannot be sure); None: the rule's.
    severity: Severity | None = None


@dataclass(eq=False, repr=False)
class Rule:
    """One rule of the catalogue: its id, severity, kind, and the check that finds it."""

    id: str
    severity: Severity
    kind: RuleKind
    family: str
    summary: str
    check: Callable[..., Iterator[Hit]] | None = None
    dialects: frozenset[str] | None = None
    on: tuple[type[Change], ...] = ()
    phases: tuple[str, ...] = ("upgrade",)
    enabled_by_default: bool = True
    #: On by default only in pull-request mode (``--base``), where the base's reading of the same models and
    #: history cancels what the static reader gets wrong; a whole-history lint runs it when selected.
    pull_request_only: bool = False
    peers: dict[str, str] = field(default_factory=dict)
    #: The oldest PostgreSQL major the rule applies to (None: every version).
    min_postgres: int | None = None
    #: Server versions the rule applies to, in words ("PostgreSQL < 12", "SQLite < 3.35"); None: all.
    versions: str | None = None
    #: Why a rule is off by default when hand reviews of real histories found most of its findings wrong
    #: (docs/reviews/); the rule pages and ``migcheck rules`` say it.
    off_because: str | None = None

    def applies_to(self, dialect: str, postgres_version: int | None = None) -> bool:
        if self.dialects is not None and dialect not in self.dialects:
            return False
        if self.min_postgres is not None and dialect == "postgresql" and postgres_version is not None:
            return postgres_version >= self.min_postgres
        return True

    @cached_property
    def doc(self) -> str:
        """The rule's documentation page (markdown), shipped with the package."""
        try:
            from importlib import resources  # a rule's page is read only by `explain` and the docs

            return resources.files("migcheck.rules").joinpath(f"docs/{self.id}.md").read_text(encoding="utf-8")
        except FileNotFoundError:
            return f"# {self.id}\n\n{self.summary}\n"

    @property
    def dialect_label(self) -> str:
        return "all" if self.dialects is None else ", ".join(sorted(self.dialects))

    @property
    def default_label(self) -> str:
        """How the rule is on by default, in words ("" when it always is)."""
        if self.off_because:
            return "off by default: often wrong on real histories"
        if not self.enabled_by_default:
            return "off by default"
        return "on by default with --base only" if self.pull_request_only else ""

    def on_by_default(self, base: str | None) -> bool:
        """Whether a run with no select/ignore checks the rule (``base``: the run's --base ref)."""
        return self.enabled_by_default and (base is not None or not self.pull_request_only)

    @property
    def version_label(self) -> str:
        return "every version" if self.min_postgres is None else f"PostgreSQL {self.min_postgres} and later"


REGISTRY: dict[str, Rule] = {}


def _register(rule: Rule) -> Rule:
    if rule.id in REGISTRY:
        raise RuntimeError(f"rule {rule.id} registered twice")
    REGISTRY[rule.id] = rule
    return rule


def _summary(fn: Callable[..., Any]) -> str:
    """The docstring's first paragraph on one line (a summary wrapped in the source is not cut), with
    docstring-style ````code```` written as markdown's single backticks."""
    paragraph = (fn.__doc__ or "").strip().split("\n\n", 1)[0]
    return re.sub(r"``(.+?)``", r"`\1`", " ".join(line.strip() for line in paragraph.splitlines()))


def change_rule(
    rule_id: str,
    *,
    severity: Severity,
    on: tuple[type[Change], ...],
    dialects: set[str] | None = None,
    phases: tuple[str, ...] = ("upgrade",),
    enabled: bool = True,
    min_postgres: int | None = None,
    versions: str | None = None,
    off_because: str | None = None,
) -> Callable[[Callable[..., Iterator[Hit]]], Callable[..., Iterator[Hit]]]:
    """Register ``fn(ctx, change) -> hits``, called for each change of the given types
    (``off_because``: the rule is off by default, for that measured reason)."""

    def wrap(fn: Callable[..., Iterator[Hit]]) -> Callable[..., Iterator[Hit]]:
        _register(Rule(rule_id, severity, "change", fn.__module__.rsplit(".", 1)[-1], _summary(fn), fn,
                       frozenset(dialects) if dialects else None, on, phases, enabled and off_because is None,
                       min_postgres=min_postgres, versions=versions, off_because=off_because))
        return fn

    return wrap


def revision_rule(
    rule_id: str,
    *,
    severity: Severity,
    dialects: set[str] | None = None,
    enabled: bool = True,
    versions: str | None = None,
    off_because: str | None = None,
) -> Callable[[Callable[..., Iterator[Hit]]], Callable[..., Iterator[Hit]]]:
    """Register ``fn(ctx) -> hits``, called once per revision (``off_because`` as for change rules)."""

    def wrap(fn: Callable[..., Iterator[Hit]]) -> Callable[..., Iterator[Hit]]:
        _register(Rule(rule_id, severity, "revision", fn.__module__.rsplit(".", 1)[-1], _summary(fn), fn,
                       frozenset(dialects) if dialects else None,
                       enabled_by_default=enabled and off_because is None, versions=versions,
                       off_because=off_because))
        return fn

    return wrap


def graph_rule(
    rule_id: str, *, severity: Severity, enabled: bool = True
) -> Callable[[Callable[..., Iterator[Hit]]], Callable[..., Iterator[Hit]]]:
    """Register ``fn(graph) -> hits`` (hits carry their own path), called once per lint run."""

    def wrap(fn: Callable[..., Iterator[Hit]]) -> Callable[..., Iterator[Hit]]:
        _register(Rule(rule_id, severity, "graph", fn.__module__.rsplit(".", 1)[-1], _summary(fn), fn,
                       enabled_by_default=enabled))
        return fn

    return wrap


def project_rule(
    rule_id: str, *, severity: Severity, dialects: set[str] | None = None, enabled: bool = True,
    pull_request_only: bool = False,
) -> Callable[[Callable[..., Iterator[Hit]]], Callable[..., Iterator[Hit]]]:
    """Register ``fn(project) -> hits``, called once per lint run with the whole project
    (env.py, the graph, every migration); hits carry their own path, e.g. env.py's."""

    def wrap(fn: Callable[..., Iterator[Hit]]) -> Callable[..., Iterator[Hit]]:
        _register(Rule(rule_id, severity, "project", fn.__module__.rsplit(".", 1)[-1], _summary(fn), fn,
                       frozenset(dialects) if dialects else None, enabled_by_default=enabled,
                       pull_request_only=pull_request_only))
        return fn

    return wrap


def engine_rule(rule_id: str, *, severity: Severity, family: str, summary: str) -> Rule:
    """A rule whose findings the engine itself emits (unreadable files, suppression problems)."""
    return _register(Rule(rule_id, severity, "engine", family, summary))


def all_rules() -> list[Rule]:
    import migcheck.rules  # noqa: F401  (registers every family)

    return sorted(REGISTRY.values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> Rule | None:
    import migcheck.rules  # noqa: F401

    return REGISTRY.get(rule_id)
