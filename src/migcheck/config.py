"""Settings: what the rules and reporters need to know about the target and the user's choices."""

from __future__ import annotations

from dataclasses import dataclass, field

from migcheck.findings import Severity

DIALECTS = ("postgresql", "mysql", "sqlite")
#: The oldest PostgreSQL major still supported upstream (15 at the time of writing).
DEFAULT_POSTGRES_VERSION = 15
DEFAULT_MYSQL_VERSION = "8.0"


@dataclass
class Settings:
    dialect: str = "postgresql"
    postgres_version: int = DEFAULT_POSTGRES_VERSION
    mysql_version: str = DEFAULT_MYSQL_VERSION
    #: Findings at or above this severity make the exit code 1; None never fails.
    fail_on: Severity | None = Severity.ERROR
    #: Rule ids to run (None: every rule enabled by default), and to leave out.
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    extend_select: set[str] = field(default_factory=set)
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    #: Processes that load revision files; None picks from the history's size and the CPUs.
    jobs: int | None = None
    #: Reuse the loaded form of unchanged revision files (see migcheck.cache).
    cache: bool = True
