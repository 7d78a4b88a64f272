"""Tables this upgrade created under another name and renamed to a name in use, all in one transaction: a copy
and swap's new table, which no other session sees before COMMIT (held-out-25 #158, held-out-26 #21)."""

from __future__ import annotations

from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import is_commit
from migcheck.rules.lookback.steps import phase_position
from migcheck.vocabulary.changes import Change, CreateTable, DropTable, RawSQL, RenameTable


def renamed_new_table(ctx: RevisionContext, change: Change, name: str) -> bool:
    """Where ``change`` runs, ``name`` is a table this upgrade created under another name and renamed, all in
    its transaction (held-out-25 #158: ``CREATE TABLE "T_new" (LIKE "T")``, fill it, ``DROP TABLE "T"``,
    ``ALTER TABLE "T_new" RENAME TO "T"``, ``CLUSTER "T"``): no other session has seen it yet. Followed by
    position, so a statement on the old table of that name before the rename stays reported; in the default
    schema only (RenameTable keeps none)."""
    own, index = phase_position(ctx, change)
    if index is None or not change.in_transaction or "." in name:
        return False
    key = f"lookback.renamed_new:{change.phase}:{change.engine}"
    spans = ctx.memo.get(key)
    if spans is None:
        spans = ctx.memo[key] = _renamed_spans(own)
    return any(start < index < end and all(_runs_with(change, made) for made in steps) and _same_names(steps, name)
               for start, end, steps in spans.get(name.lower(), ()))


def _same_names(steps: tuple[Change, Change], name: str) -> bool:
    """The CREATE TABLE and the rename name the same table, and the rename the table ``name`` is, spelled alike
    (attack26b: ``op.create_table("Runs_Old")`` makes the quoted ``"Runs_Old"``; ``op.rename_table("runs_old",
    "runs")`` then renames another, live table, which PostgreSQL keeps apart from it). The spans are found by
    lower-case name; a name written in other cases (unquoted SQL folds it) is taken as another table."""
    made, rename = steps
    return isinstance(made, CreateTable) and isinstance(rename, RenameTable) \
        and made.table == rename.table and rename.new_name == name


def _runs_with(change: Change, earlier: Change) -> bool:
    """``change`` runs only where ``earlier`` ran (attack25b: ``if False: op.create_table("t_new")``, then the rename
    and the CLUSTER of ``t`` outside the ``if``: a ``t_new`` that was there all along is what is renamed): it sits
    in every block ``earlier`` is in, and ``earlier`` is a step production runs."""
    return change.engine == earlier.engine and change.blocks[:len(earlier.blocks)] == earlier.blocks \
        and not earlier.off_in_production and (not earlier.conditional or change.conditional)


def _renamed_spans(steps: list[Change]) -> dict[str, list[tuple[int, int, tuple[Change, Change]]]]:
    """{name: [(from, to, (the CREATE TABLE, the rename))]}: the positions between which the name is a table these
    steps created in their transaction and renamed to it (until it is dropped or renamed away, or the end). Only a
    CREATE TABLE without IF NOT EXISTS (with it, a table others already use may be what is renamed) and renames in
    the default schema (attack25b: ``op.rename_table("t_new", "t", schema="archive")`` renames another schema's
    table; the ``t`` a later ``CLUSTER t`` names is still the old one)."""
    new: dict[str, tuple[int | None, Change]] = {}  # name -> (position from which it is a renamed new table, creation)
    renamed: dict[str, Change] = {}  # name -> the rename that made it a renamed new table
    spans: dict[str, list[tuple[int, int, tuple[Change, Change]]]] = {}

    def close(name: str, at: int) -> None:
        start, made = new.pop(name, (None, None))
        rename = renamed.pop(name, None)
        if start is not None and made is not None and rename is not None:
            spans.setdefault(name, []).append((start, at, (made, rename)))

    committed = False  # after a COMMIT sent as SQL: psycopg2 runs what follows in autocommit (rules/rawcommit.py)
    for at, c in enumerate(steps):
        if (isinstance(c, RawSQL) and (c.keyword == "BEGIN" or (c.text or "").upper().split()[:2] == [
                "START", "TRANSACTION"])) or (c.origin == "python" and not c.in_transaction):
            committed = False  # BEGIN again, or autocommit_block(), after which Alembic begins a transaction anew
        if isinstance(c, CreateTable):
            close(c.table.lower(), at)
            if c.in_transaction and c.schema is None and not c.if_not_exists and not committed:
                new[c.table.lower()] = (None, c)
        elif isinstance(c, RenameTable):
            old, to = c.table.lower(), c.new_name.lower()
            made = new.get(old, (None, None))[1] if c.in_transaction and c.schema is None else None
            close(old, at)
            close(to, at)
            if made is not None:
                new[to], renamed[to] = (at, made), c
        elif isinstance(c, DropTable):
            close(c.table.lower(), at)
        elif is_commit(c):
            committed = committed or c.in_transaction
            # a step outside the transaction, or a COMMIT sent as SQL (attack26b: ``op.execute("COMMIT")`` after
            # the swap): what was made is committed, seen by others
            for name in list(new):
                close(name, at)
    for name in list(new):
        close(name, len(steps))
    return spans
