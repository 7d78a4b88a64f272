"""Which revisions the per-revision rules look at: everything, minus trusted history, minus what a
pull request did not touch.

``baseline`` names revisions that are already in production and were reviewed
by other means: they and their ancestors are trusted, so a team with 300 old
migrations hears only about new ones. Pull-request mode (``--base REF``)
narrows further to the files the branch added or changed. The revision graph
is always built from every file: graph rules need the whole history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migcheck.run.config import ConfigError
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration
from migcheck.vocabulary.settings import Settings

if TYPE_CHECKING:
    from migcheck.rules.registry import Hit
    from migcheck.run.pullrequest import PullRequest
    from migcheck.sources.discovery import Sources


def trusted_revisions(migrations: list[Migration], settings: Settings) -> set[str]:
    """The baseline revisions and all their ancestors; an unknown baseline is an error, not a no-op."""
    if not settings.baseline:
        return set()
    graph = RevisionGraph.build(migrations)
    trusted: set[str] = set()
    for name in settings.baseline:
        found = graph.resolve(name)
        if found is None:
            origin = settings.origins.get("baseline", "the config")
            from difflib import get_close_matches  # only to word an error

            close = get_close_matches(name, list(graph.by_id), n=1, cutoff=0.5)
            if close:
                hint = f"; did you mean {close[0]!r}?"
            elif graph.by_id:
                hint = f"; current head(s): {', '.join(m.revision for m in graph.heads) or '(none)'}"
            else:
                hint = "; no revisions were found at all"
            raise ConfigError(f"baseline revision {name!r} (from {origin}) is not among the "
                              f"{len(graph.by_id)} revisions found{hint}")
        trusted.add(found.revision)
        trusted |= graph.ancestors(found.revision)
    return trusted


@dataclass(eq=False, repr=False)
class Scope:
    """Which revisions a run judges: all but those a baseline trusts, or a pull request's."""

    trusted: set[str] = field(default_factory=set)
    pull_request: PullRequest | None = None

    @classmethod
    def build(cls, migrations: list[Migration], sql_migrations: list[Migration], sources: Sources,
              settings: Settings) -> Scope:
        scope = cls(trusted=trusted_revisions([*migrations, *sql_migrations], settings))
        if settings.base:
            from migcheck.run.pullrequest import PullRequest

            scope.pull_request = PullRequest.build(settings.base, sources, migrations)
        return scope

    def lints(self, migration: Migration) -> bool:
        """Whether per-revision rules (and inline suppressions) apply to this revision."""
        if migration.revision in self.trusted:
            return False
        return self.pull_request is None or self.pull_request.touches(migration.path)

    def reports(self, path: Path) -> bool:
        """Whether a finding in ``path`` (a graph fault, an unreadable file) concerns this run."""
        return self.pull_request is None or self.pull_request.touches(path)

    def extra_hits(self, migrations: list[Migration]) -> list[tuple[str, Hit]]:
        """Findings that need more than the files: what a pull request did to the base's history."""
        return self.pull_request.hits(migrations) if self.pull_request else []
