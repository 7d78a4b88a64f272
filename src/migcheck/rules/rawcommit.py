"""``op.execute("COMMIT")``: whether the statements after a COMMIT sent as SQL text run outside a transaction.

That depends on the driver, not on the SQL: checked through Alembic on PostgreSQL 15, psycopg2 and asyncpg do
not notice the COMMIT, send no new BEGIN, and the statements after it run in autocommit; psycopg 3 asks the
server, sees the session idle and sends BEGIN again before the next one. The rules whose statement must not
run in a transaction block (CONCURRENTLY, ALTER TYPE .. ADD VALUE) all decide it here, the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.vocabulary.changes import Change, RawSQL

#: Drivers that keep a COMMIT sent as SQL text: they track the transaction themselves, see none ended, and
#: send no new BEGIN, so the next statement runs in autocommit (checked through Alembic on PostgreSQL 15).
DRIVERS_KEEPING_COMMIT = frozenset({"psycopg2", "asyncpg"})
#: Drivers that ask the server whether a transaction is open and BEGIN again after that COMMIT.
DRIVERS_REOPENING = frozenset({"psycopg", "psycopg_async"})

#: Why a COMMIT sent as SQL is a bet when the driver is not known.
WORKS_ONLY_UNDER_PSYCOPG2 = (
    "that works only under psycopg2 (and asyncpg), which do not notice the COMMIT and open no new transaction; "
    "psycopg 3, SQLAlchemy 2.1's default PostgreSQL driver, sends BEGIN again")


class AfterCommit(Enum):
    """What a COMMIT sent as SQL earlier in the phase means for the statements after it."""

    AUTOCOMMIT = "autocommit"  # the driver keeps it: they run outside any transaction
    REOPENED = "reopened"  # the driver sends BEGIN again: they run in a new transaction
    UNKNOWN = "unknown"  # the driver is not known: either


@dataclass(frozen=True)
class RawCommit:
    """The COMMIT sent as SQL before a change, and what the project's driver makes of it."""

    commit: RawSQL
    after: AfterCommit


def raw_commit_before(ctx: RevisionContext, change: Change) -> RawSQL | None:
    """The last ``COMMIT``/``END`` sent as SQL earlier in the same phase of this revision, with no BEGIN since.

    A COMMIT under an ``if`` may not run, so it ends nothing for certain. A step of ``autocommit_block()`` after it
    forgets it: when the block ends, Alembic begins a new transaction whatever the driver made of the COMMIT. So
    does a ``conn.commit()`` (``RawSQL.method``): SQLAlchemy begins again before the next statement."""
    found: RawSQL | None = None
    for c in lookback.phase_before(ctx, change):
        if isinstance(c, RawSQL) and c.method:
            found = None  # conn.commit(): SQLAlchemy begins a new transaction after it, whatever the driver
        elif isinstance(c, RawSQL) and c.keyword in {"COMMIT", "END"}:
            if not c.conditional:
                found = c
        elif (isinstance(c, RawSQL) and opens_transaction(c)) or (c.origin == "python" and not c.in_transaction):
            found = None
    return found


def opens_transaction(change: RawSQL) -> bool:
    """``BEGIN`` (``WORK``, ``TRANSACTION``) or ``START TRANSACTION`` sent as SQL: the statement reader keeps the
    first word only as the keyword of ``START TRANSACTION`` (``START``), which the test missed (attack24b)."""
    words = (change.text or "").upper().split()[:2]
    return change.keyword == "BEGIN" or (change.keyword in {"START", "START TRANSACTION"} and words[1:] == ["TRANSACTION"])


def after_raw_commit(ctx: RevisionContext, change: Change) -> RawCommit | None:
    """The COMMIT sent as SQL before ``change`` and how the driver ``ctx.env`` found treats it; None when none."""
    commit = raw_commit_before(ctx, change)
    if commit is None:
        return None
    driver = ctx.env.pg_driver
    after = AfterCommit.AUTOCOMMIT if driver in DRIVERS_KEEPING_COMMIT else \
        AfterCommit.REOPENED if driver in DRIVERS_REOPENING else AfterCommit.UNKNOWN
    return RawCommit(commit, after)


def reopening_driver(ctx: RevisionContext) -> str:
    """Who sends BEGIN again, for a message: the driver and where it was read."""
    driver, source = ctx.env.pg_driver, ctx.env.pg_driver_source
    who = f"env.py connects with {driver}" if source is None else f"the project connects with {driver} ({source})"
    return f"{who}, which sees the session idle after that COMMIT and sends BEGIN again before the next statement"


def driver_source(ctx: RevisionContext) -> str:
    """Where the driver was looked for, when it is unknown, for a message."""
    return ctx.env.pg_driver_source or "env.py names no driver"
