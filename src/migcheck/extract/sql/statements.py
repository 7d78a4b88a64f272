"""SQL text to changes, statement by statement: readings recalled, DO blocks, per-name and per-clause splits."""

from __future__ import annotations

import re
from typing import Any

from migcheck.extract import readings
from migcheck.extract.dobody import BodyStatement, read_do
from migcheck.extract.sql.convert import _convert, enum_type_changes
from migcheck.extract.sql.simple import simple_changes
from migcheck.extract.sql.text import (
    SQL_COMMANDS,
    _double_quoted_name,
    _names_and_option,
    _sqlglot_spelling,
    _unquote,
    leading_keyword,
    split_top_level,
)
from migcheck.extract.sql.tree import _parse
from migcheck.extract.sqlsplit import statements
from migcheck.vocabulary.changes import (
    AddConstraint,
    Change,
    ConstraintKind,
    RawSQL,
    RenameColumn,
    ValidateConstraint,
)
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.textends import trailing_start

#: The head of ``ALTER TABLE t <subcommands>``; the subcommands are the rest less ``\s*;?\s*`` at the end
#: (cut by textends: a lazy ``(.*?)\s*;?\s*$`` took cubic time on a long run of blanks).
_ALTER_TABLE = lazy_regex(r"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(\S+)\s+", re.I)


_VALIDATE = lazy_regex(r"^VALIDATE\s+CONSTRAINT\s+(\S+)$", re.I)


_USING_INDEX = lazy_regex(
    r"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(\S+)\s+ADD\s+CONSTRAINT\s+(\S+)\s+"
    r"(UNIQUE|PRIMARY\s+KEY)\s+USING\s+INDEX\s+([^\s,]+)\s*(,.*)?$",
    re.I | re.S,
)


#: ``RENAME [COLUMN] a TO b``: COLUMN is optional in PostgreSQL (Alembic leaves it out), and sqlglot reads
#: the short form as a table rename.
_RENAME_COLUMN = lazy_regex(
    r"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(\S+)\s+RENAME\s+(?:COLUMN\s+)?(?!TO\s|CONSTRAINT\s)(\S+)"
    r"\s+TO\s+(\S+)\s*$",
    re.I,
)


def changes_from_sql(
    text: str,
    line: int,
    *,
    dialect: str,
    phase: str = "upgrade",
    origin: str = "sql",
    in_transaction: bool = True,
    conditional: bool = False,
) -> list[Change]:
    """Every statement in ``text`` (which starts on ``line``) as changes."""
    out: list[Change] = []
    for stmt in statements(text, line, dialect):
        common: dict[str, Any] = {
            "line": stmt.line,
            "phase": phase,
            "origin": origin,
            "in_transaction": in_transaction,
            "conditional": conditional,
            "sql": stmt.text,
        }
        body = read_do(stmt.text) if dialect == "postgresql" and leading_keyword(stmt.text) == "DO" else None
        if body is None:
            out.extend(_remembered_changes(stmt.text, dialect, common))
        else:
            out.extend(_do_changes(stmt.text, stmt.line, body, dialect, common))
    return out


def _do_changes(sql: str, line: int, body: list[BodyStatement], dialect: str, common: dict[str, Any]) -> list[Change]:
    """The changes of the statements a ``DO`` block runs (extract/dobody.py), each on its own line, under its
    IF (``conditional``), with what the IF's catalog query requires missing: pg_enum's labels
    (``absent_enum_labels``), the object it creates (``unless_exists``, as extract/python/guards marks it)."""
    from migcheck.extract.python.guards import mark

    out: list[Change] = []
    counted = 0  # the statements come in order: count each newline once
    for inner in body:
        line += sql.count("\n", counted, inner.offset)
        counted = inner.offset
        own = {**common, "line": line, "sql": inner.text,
               "conditional": common["conditional"] or inner.conditional}
        changes = _remembered_changes(inner.text, dialect, own)
        for change in changes:
            change.absent_enum_labels = (*change.absent_enum_labels, *inner.absent_enum_labels)
        mark(changes, inner.absent)
        out.extend(changes)
    return out


def _remembered_changes(sql: str, dialect: str, common: dict[str, Any]) -> list[Change]:
    """``statement_changes``, from the readings of earlier runs when they hold the statement (extract/readings.py).

    Every change of a statement carries ``common`` as given and nothing else of it (tested), so a reading is
    kept with the values of the run that read it and given the caller's on recall; a reading whose changes
    differ from ``common`` anywhere is not kept.
    """
    store = readings.active()
    if store is None:
        return statement_changes(sql, dialect, common)
    key = readings.key("changes", dialect, sql)
    found = store.recall(key)
    if found is not None and type(found[0]) is list and all(isinstance(c, Change) for c in found[0]):
        for change in found[0]:
            for name, value in common.items():
                setattr(change, name, value)
        return found[0]
    out = statement_changes(sql, dialect, common)
    if all(getattr(change, name) == value for change in out for name, value in common.items()):
        store.remember(key, out)
    return out


_SQLGLOT_INTERNAL = lazy_regex(r"<class '[\w.]+'>|\bRequired keyword: '\w+' missing for\b")
_AT = lazy_regex(r"Line (\d+), Col: (\d+)")


def _parse_failure(exc: Exception) -> str:
    """sqlglot's first line, unless it names the parser's own classes (of no use to the reader): then where it stopped."""
    first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    if not _SQLGLOT_INTERNAL.search(first):
        return first
    at = _AT.search(first)
    return f"the SQL parser could not read it at line {at.group(1)}, column {at.group(2)}" if at \
        else "the SQL parser could not read it"


def statement_changes(sql: str, dialect: str, common: dict[str, Any]) -> list[Change]:
    """One statement as changes; never raises."""
    keyword = leading_keyword(sql)
    if keyword.split(" ")[0] not in SQL_COMMANDS:
        return [RawSQL(text=sql, keyword=keyword, understood=False, reason="not a SQL statement migcheck knows",
                       **common)]
    if dialect == "mysql" and (quoted := _double_quoted_name(sql)):
        return [RawSQL(text=sql, keyword=keyword, understood=False, reason=(
            f"{quoted} is a string, not a name, in MySQL's default sql_mode (no ANSI_QUOTES): the statement "
            f"fails there with ERROR 1064 and runs nothing"), **common)]
    if enum_changes := enum_type_changes(sql, common):
        return enum_changes
    if m := _RENAME_COLUMN.match(sql):
        qualified = m.group(1)
        schema = _unquote(qualified.rsplit(".", 1)[0]) if "." in qualified.strip('"`') else None
        return [RenameColumn(table=_unquote(qualified), column=_unquote(m.group(2)), new_name=_unquote(m.group(3)),
                             schema=schema, **common)]
    if (combined := _validate_changes(sql, dialect, common)) is not None:
        return combined
    if m := _USING_INDEX.match(sql):
        kind: ConstraintKind = "unique" if m.group(3).upper() == "UNIQUE" else "primary_key"
        added = AddConstraint(
            kind_of=kind,
            table=_unquote(m.group(1)),
            name=_unquote(m.group(2)),
            using_index=_unquote(m.group(4)),
            **common,
        )
        if m.group(5):  # more actions after a comma: read them as a statement of their own
            return [added, *statement_changes(f"ALTER TABLE {m.group(1)} {m.group(5)[1:].strip()}", dialect, common)]
        return [added]
    if (simple := simple_changes(sql, keyword, dialect, common)) is not None:
        return simple
    try:
        tree = _parse(_sqlglot_spelling(sql), dialect)
    except Exception as exc:  # sqlglot raises several error types; all mean "not understood"
        reason = _parse_failure(exc)
        return _per_clause(sql, dialect, common) or _per_name(sql, dialect, common) or [
            RawSQL(text=sql, keyword=keyword, understood=False, reason=reason, **common)]
    if tree is None:
        return []
    try:
        out = _convert(tree, sql, keyword, dialect, common)
    except Exception as exc:  # a shape this converter does not know; keep the SQL as raw text
        return [RawSQL(text=sql, keyword=keyword, understood=False, reason=f"unexpected shape: {exc}", **common)]
    if len(out) == 1 and isinstance(out[0], RawSQL) and out[0].keyword == "ALTER TABLE":
        return _per_clause(sql, dialect, common) or out  # sqlglot kept it as an opaque command
    return out


#: ``DROP INDEX [CONCURRENTLY] [IF EXISTS] a, b [CASCADE]``, and the same for the other objects.
#: (The names and the CASCADE after them are cut by textends: a lazy ``(.+?)...\s*;?\s*$`` was cubic.)
_DROP_LIST = lazy_regex(
    r"^DROP\s+(?:INDEX|TABLE|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE)\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?",
    re.I)


def _per_name(sql: str, dialect: str, common: dict[str, Any]) -> list[Change]:
    """``DROP INDEX a, b``, which sqlglot cannot parse, as one DROP per name; [] for a single name."""
    m = _DROP_LIST.match(sql)
    rest = sql[m.end():trailing_start(sql, m.end())] if m else ""
    found = _names_and_option(rest or sql[m.end():m.end() + 1]) if m else None
    names = split_top_level(found[0]) if found else []
    if m is None or found is None or len(names) < 2:
        return []
    head, tail = sql[:m.end()], found[1]
    return [c for name in names for c in statement_changes(f"{head}{name}{tail}", dialect, common)]


def _per_clause(sql: str, dialect: str, common: dict[str, Any]) -> list[Change]:
    """An ALTER TABLE of several subcommands sqlglot cannot read whole, read one subcommand at a time, so
    one it cannot read (reported as such) does not hide the others; [] when there is only one."""
    m = _ALTER_TABLE.match(sql)
    clauses = split_top_level(_subcommands(sql, m)) if m else []
    if m is None or len(clauses) < 2:
        return []
    head = sql[: m.end()].rstrip()
    return [c for clause in clauses for c in statement_changes(f"{head} {clause}", dialect, common)]


def _subcommands(sql: str, head: re.Match[str]) -> str:
    """What follows ``ALTER TABLE t``, less the blanks and ``;`` at the end."""
    return sql[head.end():trailing_start(sql, head.end())]


def _validate_changes(sql: str, dialect: str, common: dict[str, Any]) -> list[Change] | None:
    """``ALTER TABLE t VALIDATE CONSTRAINT c`` alone or among other subcommands (in any order): each
    VALIDATE as a ``ValidateConstraint`` that records the strongest lock the others take (PostgreSQL takes
    it for the whole statement, so the scan runs under it), the others read as a statement of their own.
    None when the statement validates nothing."""
    from migcheck.facts.postgres import alter_table_lock

    m = _ALTER_TABLE.match(sql)
    subcommands = _subcommands(sql, m) if m else ""
    if m is None or not re.search(r"\bVALIDATE\s+CONSTRAINT\b", subcommands, re.I):
        return None
    parts = split_top_level(subcommands)
    validated = [v for part in parts if (v := _VALIDATE.match(part))]
    if not validated:
        return None
    others = [part for part in parts if not _VALIDATE.match(part)]
    locks = [alter_table_lock(part) for part in others]
    lock = next((mode for mode in ("ACCESS EXCLUSIVE", "SHARE ROW EXCLUSIVE") if mode in locks), None)
    out: list[Change] = [
        ValidateConstraint(table=_unquote(m.group(1)), name=_unquote(v.group(1)), lock=lock,
                           combined_with=", ".join(others) if lock else None, **common)
        for v in validated
    ]
    if others:
        out.extend(statement_changes(f"ALTER TABLE {m.group(1)} {', '.join(others)}", dialect, common))
    return out
