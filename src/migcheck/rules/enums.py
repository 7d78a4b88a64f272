"""Enum types: ALTER TYPE .. ADD VALUE and the transaction it runs in (PostgreSQL)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import replace

from migcheck.facts.postgres import KNOWN_TYPE_NAMES, parse_statement, parse_type, unquote
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.enumcompare import compared_columns
from migcheck.rules.enumlife import bare_name, type_rename
from migcheck.rules.rawcommit import (
    WORKS_ONLY_UNDER_PSYCOPG2,
    AfterCommit,
    after_raw_commit,
    driver_source,
    opens_transaction,
    reopening_driver,
)
from migcheck.rules.registry import Hit, change_rule
from migcheck.vocabulary.changes import (
    AddColumn,
    AlterColumn,
    Change,
    CreateEnumType,
    CreateTable,
    DropEnumType,
    RawSQL,
)
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import Migration

#: Drivers with which a bare ``conn.execution_options(isolation_level="AUTOCOMMIT")`` inside the migration's
#: transaction leaves no ADD VALUE after it in that transaction (Change.isolation_switch): under SQLAlchemy 1.3/1.4
#: psycopg2's ``set_isolation_level`` ends the open transaction (rolls it back) and runs what follows in autocommit;
#: SQLAlchemy 2 refuses the switch (InvalidRequestError) before the ADD VALUE. pg8000 keeps the open transaction,
#: so the ADD VALUE stays in it (each checked on PostgreSQL 15).
DRIVERS_ENDING_ON_SWITCH = frozenset({"psycopg2"})

_CREATE_ENUM = lazy_regex(r"^CREATE\s+TYPE\s+(?P<name>\S+)\s+AS\s+ENUM\b", re.I)
_ENUM_NAME = lazy_regex(r"Enum\(.*?\bname\s*=\s*['\"]([^'\"]+)['\"]", re.S)


def _added(change: RawSQL) -> tuple[str, list[str]] | None:
    """(enum type, values added) for ALTER TYPE .. ADD VALUE or ``op.add_enum_values(...)``."""
    if change.keyword == "op.add_enum_values" and change.text:
        try:
            call = ast.parse(change.text, mode="eval").body
        except SyntaxError:
            return None
        if not isinstance(call, ast.Call):
            return None
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        name = kw.get("enum_name") or (call.args[1] if len(call.args) > 1 else None)
        values = kw.get("new_values") or (call.args[2] if len(call.args) > 2 else None)
        enum = name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else "?"
        added = [e.value for e in getattr(values, "elts", []) if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return enum, added
    stmt = parse_statement(change.text)
    if stmt is None or stmt.verb != "ADD VALUE" or stmt.value is None:
        return None
    return stmt.enum_type or "?", [stmt.value]


def _created_here(ctx: RevisionContext) -> set[str]:
    """_created_enums of the revision, kept once per revision (asked for every ADD VALUE)."""
    created = ctx.memo.get("enums.created")
    if created is None:
        created = ctx.memo["enums.created"] = _created_enums(ctx.migration)
    return created


def _created_enums(migration: Migration) -> set[str]:
    names: set[str] = set()
    for c in migration.upgrade_changes:
        if isinstance(c, CreateEnumType):
            names.add(c.name.lower())
        elif isinstance(c, RawSQL) and c.text and (m := _CREATE_ENUM.match(c.text.strip())):
            names.add(unquote(m.group("name")).lower())
        types = [col.type for col in c.columns] if isinstance(c, CreateTable) else \
            [c.column.type] if isinstance(c, AddColumn) else []
        for text in types:
            if text and (m := _ENUM_NAME.search(text)):
                names.add(m.group(1).lower())
    return names


_ANY_ENUM_NAME = lazy_regex(r"^(?:[\w.]*\.)?enum\(.*?\bname\s*=\s*['\"]([^'\"]+)['\"]", re.S | re.I)


_RENAME_VALUE = lazy_regex(
    r"^ALTER\s+TYPE\s+\S+\s+RENAME\s+VALUE\s+'((?:[^']|'')*)'\s+TO\s+'((?:[^']|'')*)'", re.I)


def _of_another_type(type_text: str | None, enum: str, origin: str) -> bool:
    """Whether a column of type ``type_text`` certainly is not of enum type ``enum``: another named enum
    (``sa.Enum(..., name="ck_package_manager")``, a type name in SQL) or a plain type (``sa.Text()``); an
    ``Enum`` with no name, a Python name bound at run time (``manager``), or no type at all may be this one."""
    if not type_text or enum == "?":
        return False
    own = unquote(enum.rsplit(".", 1)[-1]).lower()
    if m := _ANY_ENUM_NAME.match(type_text.strip()):
        return unquote(m.group(1).rsplit(".", 1)[-1]).lower() != own
    base = type_text.partition("(")[0].strip().rsplit(".", 1)[-1]
    if base.lower() == "enum":
        return False
    if origin == "sql":
        return unquote(base).lower() != own
    parsed = parse_type(type_text)
    return parsed is not None and parsed.name in KNOWN_TYPE_NAMES and parsed.name not in {"enum", "array"}


_IDENT = r'(?:"[^"]+"|[A-Za-z_]\w*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_]\w*))?'
#: ``_IDENT`` whose unquoted first part starts a word (not after a letter).
_WORD_IDENT = r'(?:"[^"]+"|(?<![A-Za-z_])[A-Za-z_]\w*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_]\w*))?'
#: ``col = `` / ``col <> `` / ``col IN (..., `` / ``SET col = `` right before a literal. Matched by
#: ``_column_before`` at the first letter of each word only (a search retried from every letter of a word and
#: scanned the word's rest each time: quadratic); the look-behind says so, and keeps a search from it too.
_COLUMN_BEFORE = lazy_regex(
    rf"(?P<col>{_WORD_IDENT})\s*(?:=|<>|!=|\s(?:NOT\s+)?IN\s*\((?:\s*'(?:[^']|'')*'\s*,)*)\s*$", re.I)
#: Where ``_COLUMN_BEFORE`` can start (a quote or a letter), and the rest of a word after its first letter.
_IDENT_START = lazy_regex(r'["A-Za-z_]', re.I)
_WORD_REST = lazy_regex(r"\w*")


def _column_before(text: str) -> re.Match[str] | None:
    """``_COLUMN_BEFORE.search(text)`` without its look-behind, in linear time: once a match from a word's
    first letter fails, one from a later letter of the word fails too (the same word end, the same rest)."""
    pos = 0
    while start := _IDENT_START.search(text, pos):
        pos = start.start()
        if found := _COLUMN_BEFORE.match(text, pos):
            return found
        rest = _WORD_REST.match(text, pos)  # a quote, or the rest of the word, is skipped
        pos = pos + 1 if text[pos] == '"' or rest is None else rest.end()
    return None
#: `` = col`` right after a literal
_COLUMN_AFTER = lazy_regex(rf"^\s*(?:=|<>|!=)\s*(?P<col>{_IDENT})", re.I)


def _compared_columns(sql: str, literal: str) -> list[str] | None:
    """The column each occurrence of ``literal`` in ``sql`` is compared with or assigned to (``WHERE
    status = 'x'``, ``status IN ('a', 'x')``, ``SET status = 'x'``, ``'x' = status``); None when one
    occurrence stands elsewhere (a cast, a function argument, a VALUES list)."""
    columns: list[str] = []
    start = 0
    while (at := sql.find(literal, start)) >= 0:
        start = at + len(literal)
        if sql[start:].lstrip().startswith("::"):
            return None
        before = _column_before(sql[max(0, at - 300):at])
        after = None if before else _COLUMN_AFTER.match(sql[start:start + 300])
        found = before or after
        if found is None:
            return None
        name = found.group("col")
        if name.upper() in {"AND", "OR", "NOT", "WHERE", "SET", "THEN", "ELSE", "WHEN", "CASE", "ON"}:
            return None
        columns.append(unquote(name.rsplit(".", 1)[-1].strip()))
    return columns


#: FROM / JOIN / USING / a subquery: a statement that reads rows of some table besides its own
_OTHER_TABLES = lazy_regex(r"\b(?:FROM|JOIN|USING|SELECT)\b", re.I)


def _reads_other_tables(sql: str) -> bool:
    """Whether the statement may read a table besides the one it writes (beyond ``DELETE FROM t``): then
    a column it compares is not surely a column of that table."""
    found = sum(1 for _ in _OTHER_TABLES.finditer(sql))
    return found > (1 if sql.lstrip()[:6].upper() == "DELETE" else 0)


def _on_columns_of_another_type(ctx: RevisionContext | None, change: Change, literal: str, enum: str) -> bool:
    """Every occurrence of the label in this SQL is compared with (or assigned to) a column the history
    shows to be of another type (fides: ``WHERE diff_status = 'approved'`` on a String column is no use of
    privacyrequeststatus' 'approved'). A column whose type the history does not give may be of the enum:
    then it is a use."""
    table = getattr(change, "table", None)
    if ctx is None or not change.sql or not table:
        return False
    if _reads_other_tables(change.sql):
        # UPDATE orders ... FROM requests r WHERE r.status = 'x': the column may be another table's, unless the
        # statement's tree says whose each one is (a subquery over jsonb_each(...) only: enumcompare.py)
        resolved = compared_columns(change.sql, literal[1:-1].replace("''", "'"))
        if resolved is None:
            return False
        columns = [c for c in resolved if c]  # "": a text column of a JSON function, not the enum
        if not columns:
            return True
    else:
        columns = _compared_columns(change.sql, literal) or []
    if not columns:
        return False
    return all(_of_another_type(lookback.column_type(ctx, change, table, column), enum, "python")
               for column in columns)


def _uses(change: Change, values: list[str], enum: str = "?", ctx: RevisionContext | None = None) -> str | None:
    """The added value this change writes or compares, when its text shows it. Adding the same label
    to another enum type (or creating a type that lists it), a default on a column of another type, or
    a comparison with a column the history gives another type, is not a use of this type's value."""
    if isinstance(change, CreateEnumType) or (isinstance(change, RawSQL) and (
            _added(change) is not None or (change.text and (
                _CREATE_ENUM.match(change.text.strip()) or _RENAME_VALUE.match(change.text.strip()))))):
        return None  # RENAME VALUE of a value added in the same transaction is allowed (PostgreSQL 15)
    column_type = change.column.type if isinstance(change, AddColumn) else \
        (change.type or change.existing_type) if isinstance(change, AlterColumn) else None
    if _of_another_type(column_type, enum, change.origin):
        return None
    texts = [change.sql or ""]
    if isinstance(change, AddColumn):
        texts.append(change.column.server_default or "")
    elif isinstance(change, AlterColumn):
        texts.append(change.server_default or "")
    for value in values:
        literal = "'" + value.replace("'", "''") + "'"
        if any(literal in t for t in texts[1:]) or (
                literal in texts[0] and not _on_columns_of_another_type(ctx, change, literal, enum)):
            return value
    return None


def _followed(change: Change, enum: str) -> str | None:
    """The name the type called ``enum`` has after ``change``: None once dropped (or renamed to a name migcheck
    cannot read); ``enum`` itself when ``change`` leaves it alone or the name is not known."""
    name = bare_name(enum)
    if name is None:
        return enum
    if isinstance(change, DropEnumType) and bare_name(change.name) == name:
        return None
    renamed = type_rename(change)
    if renamed is not None and renamed[0] == name:
        return renamed[1]
    return enum


def _name_after(changes: list[Change], enum: str) -> str | None:
    """The name the type called ``enum`` has after ``changes``; None when they drop it."""
    for c in changes:
        followed = _followed(c, enum)
        if followed is None:
            return None
        enum = followed
    return enum


def _later_use(changes: list[Change], values: list[str], enum: str = "?", ctx: RevisionContext | None = None
               ) -> tuple[Change, str] | None:
    """The first change using a value of ``enum`` before the transaction ends, while the type holding it lives:
    followed through ``ALTER TYPE .. RENAME TO``, and no further than its DROP (held-out-19 #59, drone-tm: after
    ``DROP TYPE state``, ``'IMAGE_UPLOADED'`` is a label of ``state_new``, created in the same transaction and
    renamed to ``state``, which PostgreSQL lets it use)."""
    values = list(values)
    for c in changes:
        if lookback.is_commit(c):
            return None
        followed = _followed(c, enum)
        if followed is None:
            return None
        if followed != enum:
            enum = followed
            continue
        if (value := _uses(c, values, enum, ctx)) is not None:
            return c, value
        renamed = _RENAME_VALUE.match(c.text.strip()) if isinstance(c, RawSQL) and c.text else None
        if renamed and renamed.group(1).replace("''", "'") in values:
            values.append(renamed.group(2).replace("''", "'"))  # still the uncommitted value, by its new name
    return None


@change_rule("enum-add-value-in-transaction", severity=Severity.ERROR, on=(RawSQL,), dialects={"postgresql"},
             phases=("upgrade", "downgrade"))
def enum_add_value_in_transaction(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """ALTER TYPE .. ADD VALUE in the migration's transaction: refused before PostgreSQL 12, and from 12 the new
    value cannot be used until that transaction commits."""
    if not change.in_transaction or (change.origin == "python" and ctx.env.transactional_ddl is False):
        return
    if change.isolation_switch is not None and ctx.env.pg_driver in DRIVERS_ENDING_ON_SWITCH \
            and not _begun_since_switch(ctx, change):
        return  # conn.execution_options(isolation_level="AUTOCOMMIT") before it: it commits on its own
    raw = after_raw_commit(ctx, change)
    if raw is None:
        yield from _in_transaction(ctx, change)
    elif raw.after is AfterCommit.REOPENED:
        for hit in _in_transaction(ctx, change):
            yield replace(hit, message=f"{hit.message} (the COMMIT sent as SQL at line {raw.commit.line} does not "
                                       f"end it for good: {reopening_driver(ctx)})")
    elif raw.after is AfterCommit.UNKNOWN:
        for hit in _in_transaction(ctx, change):
            yield replace(hit, message=f"{hit.message}, unless the COMMIT sent as SQL at line {raw.commit.line} "
                                       f"leaves the statements after it outside a transaction: {WORKS_ONLY_UNDER_PSYCOPG2} "
                                       f"({driver_source(ctx)})", severity=Severity.WARNING)
    # AUTOCOMMIT: psycopg2 and asyncpg run the ADD VALUE after that COMMIT in autocommit: it commits at once,
    # and the statements after it may use the value (checked through Alembic on PostgreSQL 15)


def _begun_since_switch(ctx: RevisionContext, change: RawSQL) -> bool:
    """A ``BEGIN`` sent as SQL after the switch to AUTOCOMMIT, with no COMMIT since, before ``change``: psycopg2
    in autocommit passes it to the server, which opens a transaction block the ADD VALUE and its use share
    (attack24b), as after a raw COMMIT and BEGIN."""
    begun = False
    for c in lookback.phase_before(ctx, change):
        if isinstance(c, RawSQL) and c.isolation_switch == change.isolation_switch:
            if opens_transaction(c):
                begun = True
            elif c.keyword in {"COMMIT", "END", "ROLLBACK", "ABORT"}:
                begun = False
    return begun


def _named_after(ctx: RevisionContext, changes: list[Change], position: int, values: list[str]) -> bool:
    """Whether a quoted ``values`` label appears in any text of the steps after ``position``: without it no later
    step can use (or rename) the value, and _later_use need not walk them. One text per phase, kept per revision,
    so 2,000 ADD VALUEs in one revision (a stranger's file) are not 2,000 walks of every later step."""
    key = f"enums.texts.{id(changes)}"
    kept = ctx.memo.get(key)
    if kept is None or kept[0] is not changes or kept[1] != len(changes):
        starts: list[int] = []
        parts: list[str] = []
        size = 0
        for c in changes:
            starts.append(size)
            texts = [c.sql or "", c.text or "" if isinstance(c, RawSQL) else "",
                     (c.column.server_default or "") if isinstance(c, AddColumn) else
                     (c.server_default or "") if isinstance(c, AlterColumn) else ""]
            part = "\x00".join(texts) + "\x00"
            parts.append(part)
            size += len(part)
        kept = ctx.memo[key] = (changes, len(changes), starts, "".join(parts))
    starts, blob = kept[2], kept[3]
    if position + 1 >= len(starts):
        return False
    start = starts[position + 1]
    return any(blob.find("'" + value.replace("'", "''") + "'", start) >= 0 for value in values)


def _in_transaction(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """The findings of an ADD VALUE that runs in a transaction block."""
    added = _added(change)
    if added is None:
        return
    enum, values = added
    if enum.lower() in _created_here(ctx):
        return  # a type created in the same transaction may take new values and use them at once
    shown = ", ".join(f"'{v}'" for v in values) or "a value"
    fix = (
        "with op.get_context().autocommit_block():\n"
        f"    op.execute(\"ALTER TYPE {enum} ADD VALUE IF NOT EXISTS {shown.split(', ')[0]}\")"
    )
    version = ctx.settings.postgres_version
    if version < 12:
        yield Hit(
            f"ALTER TYPE {enum} ADD VALUE {shown} runs inside the migration's transaction: before PostgreSQL 12 it "
            f"fails with 'ALTER TYPE ... ADD cannot run inside a transaction block' (target: PostgreSQL {version})",
            fix=fix,
        )
        return
    changes, index = lookback.phase_position(ctx, change)
    position = len(changes) if index is None else index
    use = _later_use(changes[position + 1:], values, enum, ctx) if _named_after(ctx, changes, position, values) \
        else None
    if use is not None:
        user, value = use
        yield Hit(
            f"ALTER TYPE {enum} ADD VALUE '{value}' and its first use (line {user.line}) run in the same "
            f"transaction: PostgreSQL fails with 'unsafe use of new value \"{value}\" of enum type {enum}' until "
            f"the ADD VALUE commits",
            fix=fix + "\n# the statements that use the new value can stay in the revision's transaction",
        )
        return
    if change.phase != "upgrade" or ctx.env.transaction_per_migration is not False or ctx.graph is None \
            or ctx.migration.origin != "python":
        return
    for child, user, value in _use_in_descendants(ctx, values, enum):
        yield Hit(
            f"ALTER TYPE {enum} ADD VALUE '{value}' runs in the migration's transaction, and revision "
            f"{child.revision} uses the value (line {user.line} of {child.path.name}); env.py runs every pending "
            f"revision in one transaction, so one `alembic upgrade` that applies both fails with 'unsafe use of "
            f"new value'",
            fix=fix,
            severity=Severity.WARNING,
        )
        return


def _use_in_descendants(ctx: RevisionContext, values: list[str], enum: str) -> Iterator[tuple[Migration, Change, str]]:
    """Later revisions (children, grandchildren...) that use a value before any commit point, the type followed by
    its name through renames and no further than its drop."""
    graph = ctx.graph
    assert graph is not None
    seen: set[str] = set()
    todo = [(rev, enum) for rev in graph.children.get(ctx.migration.revision, ())]
    while todo:
        rev, name = todo.pop(0)
        if rev in seen or rev not in graph.by_id:
            continue
        seen.add(rev)
        child = graph.by_id[rev]
        # the column a later revision compares is looked up in that revision's own history
        child_ctx = RevisionContext.build(child, ctx.settings, graph, ctx.env, ctx.app)
        use = _later_use(child.upgrade_changes, values, name, child_ctx)
        if use is not None:
            yield child, use[0], use[1]
            return
        if any(lookback.is_commit(c) for c in child.upgrade_changes):
            continue
        after = _name_after(child.upgrade_changes, name)
        if after is None:
            continue  # the type holding the value is dropped here: a later type of that name is another one
        todo.extend((grandchild, after) for grandchild in graph.children.get(rev, ()))
