"""The settings of one run: what every stage reads, whichever way they were given.

Plain data, so rules, reporters and the live cycle can read it without the configuration loader
(``migcheck.run.config``), which validates rule ids against the registry and so sits above the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from migcheck.vocabulary.findings import Severity

DIALECTS = ("postgresql", "mysql", "sqlite")
#: The oldest PostgreSQL major still supported upstream (15 at the time of writing).
DEFAULT_POSTGRES_VERSION = 15
DEFAULT_MYSQL_VERSION = "8.0"
#: SQLite 3.35 (2021) added ALTER TABLE DROP COLUMN; older ones need batch_alter_table for it.
DEFAULT_SQLITE_VERSION = "3.35"
FAIL_ON = ("error", "warning", "info", "never")
OUTPUT_FORMATS = ("text", "concise", "json", "sarif", "github", "markdown")
DEFAULT = "default"



@dataclass
class Settings:
    """Everything a run is configured with: defaults, then the config file, then the command line."""

    dialect: str = "postgresql"
    postgres_version: int = DEFAULT_POSTGRES_VERSION
    mysql_version: str = DEFAULT_MYSQL_VERSION
    sqlite_version: str = DEFAULT_SQLITE_VERSION
    #: Findings at or above this severity make the exit code 1; None never fails.
    fail_on: Severity | None = Severity.ERROR
    #: Rule ids to run (None: every rule enabled by default), and to leave out.
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    extend_select: set[str] = field(default_factory=set)
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    #: What to lint when the command line names nothing (absolute, resolved against the config file).
    paths: list[Path] = field(default_factory=list)
    #: Glob patterns; matching files still count in the revision graph but are not linted.
    exclude: list[str] = field(default_factory=list)
    #: ``FORMAT[:PATH]`` specs, as ``--format`` takes them (see report/outputs.py).
    output_format: list[str] = field(default_factory=lambda: ["text"])
    #: An inline suppression without ``-- reason`` is itself a finding.
    require_reason: bool = True
    #: Revisions trusted as history (with their ancestors): per-revision rules skip them.
    baseline: tuple[str, ...] = ()
    #: A git ref: pull-request mode lints only what changed since the merge base with it.
    base: str | None = None
    #: Where relative ``exclude`` patterns are anchored (the config file's directory, else the cwd).
    root: Path | None = None
    config_file: Path | None = None
    #: Where the lookup went when no config file was found (``migcheck config`` says it).
    config_search: str | None = None
    #: TOML key -> where its value came from ("default", the config file, "command line (--x)").
    origins: dict[str, str] = field(default_factory=dict)
    #: Processes that load revision files; None picks from the history's size and the CPUs.
    jobs: int | None = None
    #: Reuse the loaded form of unchanged revision files (see migcheck.sources.cache).
    cache: bool = True
    #: Modules holding the application's models, for projects whose env.py does not lead to them.
    models: list[str] = field(default_factory=list)
    #: A ``migcheck stats`` snapshot: size-dependent findings follow each table's real size.
    table_stats: Path | None = None
    small_table_rows: int = 10_000
    small_table_bytes: int = 64 * 1024 * 1024
    large_table_rows: int = 1_000_000
    large_table_bytes: int = 1024 * 1024 * 1024
    #: Days after which the snapshot gets a note saying it is old.
    table_stats_max_age: int = 90
    #: verify: a folder of ``<revision>.toml`` data files (rows before a revision, checks after it).
    verify_data: Path | None = None

    def excluded(self, path: Path) -> bool:
        """True when ``path`` matches an ``exclude`` pattern (relative to ``root``, or by file name)."""
        if not self.exclude:
            return False
        resolved = path.resolve()
        candidates = [resolved.as_posix(), path.name]
        root = (self.root or Path.cwd()).resolve()
        if resolved.is_relative_to(root):
            candidates.append(resolved.relative_to(root).as_posix())
        for pattern in self.exclude:
            pattern = pattern.rstrip("/")
            for candidate in candidates:
                if fnmatch(candidate, pattern) or fnmatch(candidate, pattern + "/*") or \
                        PurePosixPath(candidate).match(pattern):
                    return True
        return False
