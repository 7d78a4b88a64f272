"""Rolling-deploy safety: drops, renames, NOT NULL columns and type changes judged against the
application's own models, at HEAD and on the base branch (the release serving traffic while the
migration runs). The models are read statically by ``migcheck.extract.models``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from migcheck.extract.models.model import MappedColumn, MappedTable
from migcheck.rules.autogen import autogenerate_note
from migcheck.rules.built import type_family
from migcheck.rules.context import RevisionContext
from migcheck.rules.fixes import lit, sa_type
from migcheck.rules.history_index import HistoryIndex
from migcheck.rules.registry import Hit, change_rule
from migcheck.vocabulary.changes import (
    AddColumn,
    AlterColumn,
    Change,
    CreateTable,
    DropColumn,
    DropTable,
    RenameColumn,
    RenameTable,
)
from migcheck.vocabulary.findings import Severity

STILL_MAPPED_AT_HEAD = "still-mapped-at-head"
STILL_MAPPED_ON_BASE = "still-mapped-on-base"
NOT_NULL_BREAKS_RUNNING_INSERTS = "not-null-breaks-running-inserts"
TYPE_DIFFERS_ON_BASE = "type-differs-on-base"
#: Findings that make a revision unsafe to run while the base release serves traffic (the Action's
#: summary lists the others as rolling-deploy safe); drop-column / drop-table count at error only.
ROLLING_RULES = {STILL_MAPPED_AT_HEAD, STILL_MAPPED_ON_BASE, NOT_NULL_BREAKS_RUNNING_INSERTS, TYPE_DIFFERS_ON_BASE,
                 "rename-column", "rename-table", "drop-column", "drop-table", "rename-as-drop-and-add"}

Verdict = Literal["head", "base", "nowhere", "unmapped-at-head", "unknown"]
_TARGETS = (DropColumn, DropTable, RenameColumn, RenameTable)


def _rel(ctx: RevisionContext, mapped: MappedColumn | MappedTable) -> str:
    root = ctx.app.head.root if ctx.app and ctx.app.head else None
    try:
        shown = mapped.path.relative_to(root).as_posix() if root else str(mapped.path)
    except ValueError:
        shown = str(mapped.path)
    return f"{shown}:{mapped.line}"


def _target(change: Change) -> tuple[str, str | None, str]:
    """(table, column or None, what happens) for a drop or rename."""
    if isinstance(change, DropColumn):
        return change.table, change.column, "dropped"
    if isinstance(change, RenameColumn):
        return change.table, change.column, f"renamed to {change.new_name}"
    if isinstance(change, RenameTable):
        return change.table, None, f"renamed to {change.new_name}"
    assert isinstance(change, DropTable)
    return change.table, None, "dropped"


def _added_here(ctx: RevisionContext, change: Change, table: str, column: str | None) -> bool:
    """The column (or table) was created earlier in this revision: nothing runs against it yet."""
    if ctx.created_here(table):
        return True
    if column is None:
        return False
    return any(isinstance(c, AddColumn) and c.table.lower() == table.lower() and c.column.name
               and c.column.name.lower() == column.lower() and c.line < change.line
               for c in ctx.migration.upgrade_changes)


def _recreated_later(ctx: RevisionContext, change: Change, table: str, column: str | None) -> bool:
    """A later revision creates the table or column again: the model at HEAD maps that one, not the
    one this (old) revision drops. "Later" is later in the history's order (``HistoryIndex``: one
    lookup, not a walk over every later revision per drop)."""
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return False
    name, col = table.lower(), column.lower() if column else None
    rest = [ctx.migration.upgrade_changes[i + 1:] for i, c in enumerate(ctx.migration.upgrade_changes)
            if c is change][:1]
    for changes in rest:
        for c in changes:
            if col is None and ((isinstance(c, CreateTable) and c.table.lower() == name)
                                or (isinstance(c, RenameTable) and c.new_name.lower() == name)):
                return True
            if col is not None and c.__class__ in (AddColumn, RenameColumn, CreateTable):
                if isinstance(c, AddColumn) and c.table.lower() == name and (c.column.name or "").lower() == col:
                    return True
                if isinstance(c, RenameColumn) and c.table.lower() == name and c.new_name.lower() == col:
                    return True
                if isinstance(c, CreateTable) and c.table.lower() == name:
                    return True
    index = HistoryIndex.of(graph)
    position = index.position[ctx.migration.revision]
    # a revision caught in a cycle has no place in the order: nothing runs "after" it
    return position >= index.cyclic and index.created_after(position, name, col)


def _lookup(app: object, table: str, column: str | None) -> tuple[str, MappedColumn | MappedTable | None]:
    from migcheck.extract.models.model import Application

    assert isinstance(app, Application)
    if column is None:
        return app.table_status(table), app.table(table)
    return app.column_status(table, column), app.column(table, column)


def _new_spelling(ctx: RevisionContext, change: Change, mapped: MappedColumn | MappedTable | None) -> bool:
    """Whether the column the models map is the one a case-only rename makes, not the one it renames: on
    PostgreSQL ``op.rename_column("t", "scaf_N50", "scaf_n50")`` renames the quoted "scaf_N50" to scaf_n50, and a
    model column named exactly scaf_n50 maps the new column (held-out-27 #127, once the model's table name was
    read). Names compared as written, since SQLAlchemy quotes a name with upper case and leaves others bare."""
    return ctx.dialect == "postgresql" and isinstance(change, RenameColumn) and change.origin == "python" \
        and isinstance(mapped, MappedColumn) and change.column != change.new_name \
        and change.column.lower() == change.new_name.lower() and mapped.name == change.new_name


def verdict(ctx: RevisionContext, change: Change) -> Verdict:
    """Who still maps what ``change`` drops or renames: the new code (head), the running release
    (base), nobody, or, without ``--base``, not the new code (unmapped-at-head)."""
    view = ctx.app
    if view is None or view.head is None or not isinstance(change, _TARGETS):
        return "unknown"
    table, column, _ = _target(change)
    head, found = _lookup(view.head, table, column)
    if head == "mapped" and _new_spelling(ctx, change, found):
        head = "unmapped"
    if head == "mapped":
        return "unknown" if _recreated_later(ctx, change, table, column) else "head"
    if head == "unknown":
        return "unknown"
    if view.base is None:
        return "unmapped-at-head"
    base, _found = _lookup(view.base, table, column)
    if base == "mapped":
        return "base"
    return "nowhere" if base == "unmapped" else "unknown"


def defers(ctx: RevisionContext, change: Change) -> bool:
    """True when a rolling-deploy rule reports this drop or rename, so the generic rule stays quiet."""
    judged = verdict(ctx, change)
    view = ctx.app
    if view is None:
        return False
    return (judged == "head" and STILL_MAPPED_AT_HEAD in view.enabled) or \
        (judged == "base" and STILL_MAPPED_ON_BASE in view.enabled and not ctx.on_contract)


def judged_note(ctx: RevisionContext, change: Change) -> tuple[str, Severity | None]:
    """What drop-column / drop-table add to their message once the models are known, and the softer
    severity for a drop no code maps."""
    judged = verdict(ctx, change)
    ref = ctx.app.base_ref if ctx.app else None
    if judged == "nowhere":
        return (f"; neither the models at HEAD nor those on {ref} map it, so no running code selects it: the "
                f"data loss is taken to be deliberate", Severity.WARNING)
    if judged == "unmapped-at-head":
        return ("; the models at HEAD no longer map it: run with --base <the deployed branch> so migcheck can "
                "tell whether the release still serving traffic does", None)
    return "", None


@change_rule(STILL_MAPPED_AT_HEAD, severity=Severity.ERROR, on=_TARGETS)
def still_mapped_at_head(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """A column or table is dropped or renamed while the application's models at HEAD still map it."""
    table, column, what = _target(change)
    if ctx.app is None or ctx.app.head is None or _added_here(ctx, change, table, column):
        return
    status, mapped = _lookup(ctx.app.head, table, column)
    if status != "mapped" or mapped is None or _recreated_later(ctx, change, table, column) \
            or _new_spelling(ctx, change, mapped):
        return
    if column is None:
        assert isinstance(mapped, MappedTable)
        yield Hit(
            f"table {table} is {what}, but the models at HEAD still map it ({mapped.owner} at {_rel(ctx, mapped)}): "
            f"the release this migration ships with fails on every query on {mapped.owner}"
            f"{autogenerate_note(ctx.migration, change.line)}",
            fix=f"remove {mapped.owner} (and every use of it) from the application first, release that, and "
            f"{'drop' if what == 'dropped' else 'rename'} the table in a later revision; or keep the table",
        )
        return
    assert isinstance(mapped, MappedColumn)
    yield Hit(
        f"column {table}.{column} is {what}, but the models at HEAD still map it ({mapped.where} at "
        f"{_rel(ctx, mapped)}): SQLAlchemy names every mapped column in its SELECTs and INSERTs, so the release "
        f"this migration ships with fails on every query on {_model(ctx.app.head, table, mapped)}"
        f"{autogenerate_note(ctx.migration, change.line)}",
        fix=f"1. remove {mapped.where} from the model (or stop mapping the column) and release that;\n"
        f"2. {'drop' if what == 'dropped' else 'rename'} the column in a later revision",
    )


@change_rule(STILL_MAPPED_ON_BASE, severity=Severity.ERROR, on=_TARGETS)
def still_mapped_on_base(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """A column or table is dropped or renamed while the release serving traffic (the --base ref) maps it."""
    table, column, what = _target(change)
    view = ctx.app
    if view is None or view.head is None or view.base is None or _added_here(ctx, change, table, column) \
            or ctx.on_contract:
        return  # a contract revision runs once the release on the base is gone
    if _lookup(view.head, table, column)[0] != "unmapped":
        return
    status, mapped = _lookup(view.base, table, column)
    if status != "mapped" or mapped is None:
        return
    ref = view.base_ref
    subject = f"table {table}" if column is None else f"column {table}.{column}"
    where = mapped.owner if isinstance(mapped, MappedTable) else mapped.where
    renamed = what.startswith("renamed")
    steps = (
        f"1. in this pull request, only stop mapping it: keep the removal of {where} from the models and move "
        f"this {'rename' if renamed else 'drop'} out into a new revision;\n"
        f"2. deploy: once no process of the old release is left, nothing selects {subject.split()[-1]};\n"
        f"3. in a later pull request, {'rename' if renamed else 'drop'} it in that new revision"
    )
    if renamed:
        steps = (
            "expand/contract: add the new name next to the old one, write both from the application and "
            "backfill; switch reads to the new name and release that; stop mapping the old name and release "
            f"that; then drop the old one in a later revision ({where} is mapped on {ref})"
        )
    yield Hit(
        f"{subject} is {what}, and the release serving traffic during the deploy ({ref}) still maps it "
        f"({where} at {_rel(ctx, mapped)} on {ref}): every query on {_model(view.base, table, mapped)} fails from the moment this "
        f"revision commits until the last old process is gone, and rolling the code back cannot bring the "
        f"{'table' if column is None else 'column'} back{autogenerate_note(ctx.migration, change.line)}",
        fix=steps,
    )


def _model(app: object, table: str, mapped: MappedColumn | MappedTable) -> str:
    """The model class queries go through (a mixin's column belongs to the class that uses it)."""
    from migcheck.extract.models.model import Application

    found = app.table(table) if isinstance(app, Application) else None
    return found.owner if found is not None else mapped.owner


def _insert_value(column: MappedColumn) -> bool:
    return column.server_default or column.insert_default


@change_rule(NOT_NULL_BREAKS_RUNNING_INSERTS, severity=Severity.ERROR, on=(AddColumn,))
def not_null_breaks_running_inserts(ctx: RevisionContext, change: AddColumn) -> Iterator[Hit]:
    """A NOT NULL column is left without a server default while the running release's INSERTs omit it."""
    view = ctx.app
    spec = change.column
    if view is None or view.base is None or not spec.name or ctx.created_here(change.table) or ctx.on_contract:
        return
    if not spec.is_not_null or spec.primary_key or spec.identity or spec.computed:
        return
    removed_at: int | None = None
    if spec.server_default is not None:
        later = [c for c in ctx.migration.upgrade_changes if isinstance(c, AlterColumn) and c.line > change.line
                 and c.table.lower() == change.table.lower() and c.column.lower() == spec.name.lower()
                 and c.server_default_changed]
        if not later or later[-1].server_default is not None:
            return
        removed_at = later[-1].line
    base = view.base
    if base.table_status(change.table) != "mapped":
        return
    status = base.column_status(change.table, spec.name)
    mapped = base.column(change.table, spec.name)
    if status == "unknown" or (mapped is not None and _insert_value(mapped)):
        return
    table = base.table(change.table)
    assert table is not None
    ref = view.base_ref
    why = f"does not map {spec.name}" if mapped is None else \
        f"maps it ({mapped.where}) without a value on insert"
    default = "" if removed_at is None else f" (its server default is removed again at line {removed_at})"
    yield Hit(
        f"column {change.table}.{spec.name} is added NOT NULL without a server default{default}, and the release "
        f"serving traffic during the deploy ({ref}) {why} ({table.owner} at {_rel(ctx, table)} on {ref}): its "
        f"INSERTs into {change.table} fail with a not-null violation until the new code is out",
        fix=f'op.add_column({lit(change.table)}, sa.Column({lit(spec.name)}, ..., nullable=True))  # or keep a server '
        f"default\n# release the code that writes it and backfill; then, in a later revision:\n"
        f'# op.alter_column({lit(change.table)}, {lit(spec.name)}, nullable=False)',
    )


@change_rule(TYPE_DIFFERS_ON_BASE, severity=Severity.WARNING, on=(AlterColumn,))
def type_differs_on_base(ctx: RevisionContext, change: AlterColumn) -> Iterator[Hit]:
    """A column's type changes to one the running release (the --base ref) maps differently."""
    view = ctx.app
    if view is None or view.base is None or change.type is None or ctx.created_here(change.table) \
            or ctx.on_contract:
        return
    mapped = view.base.column(change.table, change.column)
    if mapped is None or mapped.type is None:
        return
    old, new = type_family(mapped.type) or "", type_family(change.type) or ""
    if old not in _GROUPS or new not in _GROUPS or _GROUPS[old] == _GROUPS[new]:
        return
    ref = view.base_ref
    yield Hit(
        f"type of {change.table}.{change.column} changes to {change.type}, and the release serving traffic during "
        f"the deploy ({ref}) maps it as {mapped.type} ({mapped.where} at {_rel(ctx, mapped)} on {ref}): it keeps "
        f"reading and writing values of the old type until the new code is out",
        fix=f'op.add_column({lit(change.table)}, sa.Column({lit(change.column + "_new")}, {sa_type(change.type)}, '
        f'nullable=True))\n'
        "# write both columns from the application and backfill; switch reads; drop the old column later",
    )


#: Types whose values the old code can keep using interchangeably (text into varchar or text, ...).
_GROUPS = {
    **dict.fromkeys(("varchar", "text", "bpchar", "citext"), "string"),
    **dict.fromkeys(("int2", "int4", "int8", "numeric", "float4", "float8"), "number"),
    **dict.fromkeys(("timestamp", "timestamptz"), "timestamp"),
    **dict.fromkeys(("json", "jsonb"), "json"),
    **dict.fromkeys(("time", "timetz"), "time"),
    "bool": "bool", "interval": "interval", "date": "date", "uuid": "uuid", "bytea": "bytea",
}
