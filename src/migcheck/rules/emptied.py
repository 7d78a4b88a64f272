"""Tables emptied earlier in the same transaction, and what that leaves for a later scan of the table.

A TRUNCATE gives the table a new, empty file: a SET NOT NULL, a CHECK or foreign key validation, a unique or
plain index build after it reads nothing. A DELETE without WHERE only marks every row deleted: the rows stay
in the table's pages until VACUUM, which cannot run before the transaction commits, so the scans after it
read every page again and an index build even takes every deleted row into the index. Measured on
PostgreSQL 15 with 2,000,000 rows (scripts/bench_emptied.sql, five runs): after ``DELETE FROM t`` in the same
transaction SET NOT NULL took 37-105 ms (76-143 ms with the rows alive), ADD CHECK 62-91 ms (116-164 ms), ADD
UNIQUE 1.1-2.1 s (1.5-2.2 s; the index held 54 MB of deleted rows), CREATE INDEX 0.6-1.4 s (0.8-1.2 s), the
DELETE itself 0.8-1.5 s; ADD FOREIGN KEY, which looks nothing up then, 34-59 ms (1.4-2.3 s). After TRUNCATE
each took 1-6 ms.

On PostgreSQL an ADD COLUMN NOT NULL with nothing to fill the rows (no server default, not identity, serial
or generated) proves the same as a TRUNCATE for the steps after it: it fails on a table with a row (checked on
PostgreSQL 15: 'column "x" of relation "t" contains null values'), so a later step of the transaction runs only
on a table that was empty there. add-not-null-column-without-default reports the ADD COLUMN itself. MySQL fills
an implicit default and SQLite refuses the ADD whatever the rows, so neither proves anything. A DELETE without
WHERE before that ADD (the reason it succeeded) still leaves its rows in the pages.
"""

from __future__ import annotations

import bisect
import re

from migcheck.facts.postgres import is_serial, unknown_call
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import default_schema, emptied_tables, is_commit, may_end_transaction
from migcheck.vocabulary.changes import AddColumn, Change, DataChange, RawSQL

#: Data changes that may put rows (back) into a table: an INSERT, an UPDATE (conservatively), an ORM session,
#: a statement on a connection migcheck could not read.
_WRITES = frozenset({"insert", "bulk_insert", "orm", "execute", "update"})


def emptied_before(ctx: RevisionContext, change: Change, table: str | None, schema: str | None = None,
                   *, by_add: bool = True) -> DataChange | RawSQL | AddColumn | None:
    """The TRUNCATE or DELETE without WHERE of ``table`` (in ``schema``) that runs earlier in ``change``'s
    transaction with nothing between that may write rows into it: None when there is none, when a COMMIT
    (or a step outside the transaction) comes between, when an INSERT, UPDATE or statement not read that may
    touch the table comes between (under an ``if`` too: it may run), or when ``change`` itself runs outside
    the transaction. A DELETE or TRUNCATE under an ``if`` may not run and does not count. On MySQL the ALTER
    commits the DELETE first, and other sessions may insert in between.

    With ``by_add`` (PostgreSQL only), an ADD COLUMN that succeeds only on an empty table (:func:`proves_empty`)
    counts like a TRUNCATE and is returned, unless a DELETE without WHERE earlier in the transaction left its
    rows in the pages: that DELETE is returned then. A caller stays silent on a TRUNCATE or such an ADD COLUMN
    and notes a DELETE."""
    if not table or ctx.dialect == "mysql" or not change.in_transaction or schema == "<dynamic>":
        return None  # a schema= known only at run time may not be the one the TRUNCATE named
    key = (default_schema(schema), table.lower())
    own, index = lookback.phase_position(ctx, change)
    steps = _steps_that_matter(ctx, own)
    before = [own[i] for i in reversed(steps[:bisect.bisect_left(steps, len(own) if index is None else index)])]
    for i, c in enumerate(before):
        if may_end_transaction(c) or _may_write(c, key[1]):
            return None
        if c.conditional and not runs_with(c, change):
            continue  # a DELETE under an `if` may not run; a step on another table under one changes nothing here
        if key in emptied_tables(c):
            assert isinstance(c, DataChange | RawSQL)
            return c
        if by_add and isinstance(c, AddColumn) and _on(c, key) and proves_empty(ctx, c):
            return _deleted_before(before[i + 1:], key, change) or c
    return None


def _steps_that_matter(ctx: RevisionContext, own: list[Change]) -> list[int]:
    """The indexes in ``own`` of the steps emptied_before can stop at or return: a COMMIT, a data change, SQL, an
    ADD COLUMN that proves its table empty. The rest (a nullable ADD COLUMN, an index...) never decides, and
    walking past them for every question made a revision of 10,000 steps quadratic. Kept once per phase."""
    key = f"emptied.steps.{id(own)}"
    kept = ctx.memo.get(key)
    if kept is None or kept[0] is not own or kept[1] != len(own):
        steps = [i for i, c in enumerate(own) if may_end_transaction(c) or isinstance(c, DataChange | RawSQL)
                 or (isinstance(c, AddColumn) and proves_empty(ctx, c))]
        kept = ctx.memo[key] = (own, len(own), steps)
    return kept[2]


def runs_with(step: Change, change: Change) -> bool:
    """Whether ``step``, under an ``if`` (or another block that may not run), ran whenever ``change``, later in the
    same phase, runs: ``change`` sits inside every block ``step`` sits in (Change.blocks), as in ``if upgrade:
    DELETE FROM t; ...; ADD PRIMARY KEY`` (held-out-19 #17), where nothing but those blocks decides either."""
    return bool(step.blocks) and change.blocks[:len(step.blocks)] == step.blocks


def proves_empty(ctx: RevisionContext, add: AddColumn) -> bool:
    """Whether ``add`` fails on any table with a row, so that the steps after it run only on an empty table:
    PostgreSQL, NOT NULL with nothing to fill the rows, run for sure (no ``if``, no swallowing ``try``, no IF NOT
    EXISTS or existence guard that may skip it)."""
    return ctx.dialect == "postgresql" and not (add.conditional or add.guarded or add.if_not_exists
                                                or add.unless_exists) and needs_empty_table(ctx, add)


def needs_empty_table(ctx: RevisionContext, change: AddColumn) -> bool:
    """Whether the ADD COLUMN succeeds only on an empty table (NOT NULL, nothing fills the rows), whether or not
    the revision emptied it first: either way the table is empty right after it."""
    col = change.column
    if not col.is_not_null or col.server_default is not None or col.identity or col.computed:
        return False
    if change.batch_rebuilt and col.python_default:
        return False  # batch_alter_table(recreate="always"): the rows are copied by an INSERT ... SELECT that carries it
    if is_serial(col.type):
        return False
    if ctx.dialect == "mysql" and col.autoincrement is True and col.type and col.type.split("(")[0].upper() in _INTEGERS:
        return False  # AUTO_INCREMENT written out (held-out-22 #17): MySQL numbers every existing row
    # an integer primary key is rendered as SERIAL on PostgreSQL: the sequence fills every existing row
    return not (ctx.dialect == "postgresql" and col.primary_key and col.autoincrement is not False and col.type
                and col.type.split("(")[0] in {"Integer", "BigInteger", "SmallInteger"})


#: MySQL's integer types as SQL writes them: those AUTO_INCREMENT numbers.
_INTEGERS = frozenset({"INT", "INTEGER", "BIGINT", "SMALLINT", "MEDIUMINT", "TINYINT"})


def _on(add: AddColumn, key: tuple[str | None, str]) -> bool:
    return (default_schema(add.schema), add.table.lower()) == key


def _deleted_before(before: list[Change], key: tuple[str | None, str], change: Change) -> DataChange | None:
    """The DELETE without WHERE of the table earlier in the transaction (``before`` runs newest first), whose
    deleted rows stay in the pages until COMMIT; None at a COMMIT or a TRUNCATE (a new, empty file)."""
    for c in before:
        if is_commit(c):
            return None
        if (not c.conditional or runs_with(c, change)) and key in emptied_tables(c):
            return c if isinstance(c, DataChange) else None
    return None


#: SQL that runs code or loads rows, whichever table it names: a DO block, a procedure, a prepared statement,
#: MERGE, COPY ... FROM (with its triggers), and a ROLLBACK (TO SAVEPOINT), which may undo the TRUNCATE.
_RUNS_CODE = ("DO", "CALL", "EXECUTE", "MERGE", "ROLLBACK")
#: SQL that writes no row even when it names the table (TRUNCATE itself, locks, statistics, grants, indexes
#: and triggers); other statements that name it (ALTER TABLE .. ATTACH PARTITION, INHERIT) may bring rows.
_NO_ROWS = ("TRUNCATE", "LOCK", "ANALYZE", "VACUUM", "REINDEX", "CLUSTER", "SET", "RESET", "SHOW", "COMMENT",
            "GRANT", "REVOKE", "NOTIFY", "LISTEN", "UNLISTEN", "SAVEPOINT", "RELEASE", "BEGIN", "START", "CHECKPOINT",
            "DISCARD", "CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX", "CREATE TRIGGER", "DROP TRIGGER",
            "CREATE POLICY", "DROP POLICY")
#: Queries: they write nothing themselves, but a function of the project they call may (``SELECT refill()``).
_QUERIES = ("SELECT", "WITH", "VALUES", "TABLE")


def _may_write(c: Change, table: str) -> bool:
    """Whether ``c`` may write rows into ``table`` (lower case): a data change on it or on a table migcheck
    could not tell; SQL it did not read that names the table (or whose text is unknown); SQL that runs code
    (DO, CALL, a query calling a function that is not PostgreSQL's own) or loads rows (COPY ... FROM); any
    other SQL that names the table unless it is known to write no row (review17: unknown is a write)."""
    if isinstance(c, DataChange):
        return c.action in _WRITES and (c.table or table).lower() == table
    if not isinstance(c, RawSQL):
        return False
    if c.text is None:
        return True
    text = c.text.lower()
    if not c.understood:
        return table in text
    keyword = " ".join(c.keyword.upper().split())
    names = re.search(rf"(?<![\w$]){re.escape(table)}(?![\w$])", text) is not None
    if _starts(keyword, _RUNS_CODE):
        return True
    if keyword == "COPY":  # COPY t FROM loads rows; COPY t TO only reads (unless its query calls a function)
        return re.search(r"\bfrom\b", text) is not None or unknown_call(c.text) is not None
    if _starts(keyword, _QUERIES):
        return unknown_call(c.text) is not None or (keyword == "WITH" and names)
    return names and not _starts(keyword, _NO_ROWS)


def _starts(keyword: str, words: tuple[str, ...]) -> bool:
    return any(keyword == w or keyword.startswith(w + " ") for w in words)


def deleted_rows_note(delete: DataChange, reads: str = "the scan reads every one of them again (measured: at "
                      "least half as long as with the rows alive)") -> str:
    """What a finding after ``DELETE FROM t`` (no WHERE) in the same transaction adds: the table looks empty
    to queries, but its pages still hold every deleted row, and ``reads`` says what the step does with them."""
    return (f"; the DELETE FROM {delete.table} at line {delete.line} empties it only for queries: the deleted rows "
            f"stay in its pages until VACUUM, which cannot run before this transaction commits, and {reads}. "
            f"The DELETE itself takes as long as this step or longer: it writes every row and keeps each row locked until COMMIT "
            f"(its ROW EXCLUSIVE table lock lets reads go on; writes to those rows wait)")


#: What an index build does with the rows a DELETE without WHERE left in the pages (a unique index built after
#: deleting 2M rows held 54 MB of them, and took as long as on the rows alive).
INDEX_READS = "the build reads every one of them and puts each into the index, about as long as with the rows alive"

#: The fix line for a scan after a DELETE without WHERE.
TRUNCATE_FIX = ("\n# or, when the table is to be emptied anyway: TRUNCATE it instead of the DELETE (a new, empty "
                "file: nothing is left to scan; it refuses a table others reference, fires no ON DELETE trigger)")

