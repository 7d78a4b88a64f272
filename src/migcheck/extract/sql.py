"""SQL text to Change IR, through sqlglot.

Used for strings given to ``op.execute`` / ``sa.text`` and for offline
``alembic upgrade --sql`` files. What sqlglot parses into a known shape
becomes a typed change; the rest stays ``RawSQL`` with its leading keywords,
so token-level rules still see it. sqlglot is imported lazily: most revisions
have no SQL text, and ``lint`` must start fast.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from migcheck.extract import readings
from migcheck.extract.dobody import BodyStatement, read_do
from migcheck.extract.sqlsplit import statements
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
    ConstraintKind,
    CreateEnumType,
    CreateIndex,
    CreateTable,
    DataChange,
    DropColumn,
    DropConstraint,
    DropEnumType,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
    SetSetting,
    ValidateConstraint,
)
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.textends import trailing_start, without_word_end

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect


SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}

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
_KEYWORD = lazy_regex(r"[A-Za-z_]+")
#: First words of the statements PostgreSQL, MySQL and SQLite accept; anything else is not SQL we know.
SQL_COMMANDS = frozenset(
    ["ABORT", "ALTER", "ANALYZE", "BEGIN", "CALL", "CHECKPOINT", "CLOSE", "CLUSTER", "COMMENT", "COMMIT", "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DISCARD", "DO", "DROP", "END", "EXECUTE", "EXPLAIN", "FETCH", "GRANT", "IMPORT", "INSERT", "LISTEN", "LOAD", "LOCK", "MERGE", "MOVE", "NOTIFY", "OPTIMIZE", "PRAGMA", "PREPARE", "REASSIGN", "REFRESH", "REINDEX", "RELEASE", "RENAME", "REPLACE", "RESET", "REVOKE", "ROLLBACK", "SAVEPOINT", "SECURITY", "SELECT", "SET", "SHOW", "START", "TABLE", "TRUNCATE", "UNLISTEN", "UPDATE", "USE", "VACUUM", "VALUES", "WITH"]
)
_TWO_WORD = {"ALTER", "CREATE", "DROP", "REFRESH", "LOCK"}


def leading_keyword(sql: str) -> str:
    """``"ALTER TYPE"``, ``"REINDEX"``...: the statement's kind, in upper case."""
    words = _KEYWORD.findall(sql[:120])
    if not words:
        return ""
    first = words[0].upper()
    if first in _TWO_WORD and len(words) > 1:
        second = words[1].upper()
        if second in {"UNIQUE", "OR", "TEMP", "TEMPORARY"} and len(words) > 2:
            second = words[2].upper() if second == "UNIQUE" else words[-1].upper()
        return f"{first} {second}"
    return first


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
    for stmt in statements(text, line):
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
        return [RenameColumn(table=_unquote(m.group(1)), column=_unquote(m.group(2)), new_name=_unquote(m.group(3)),
                             **common)]
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
    try:
        tree = _parse(_sqlglot_spelling(sql), dialect)
    except Exception as exc:  # sqlglot raises several error types; all mean "not understood"
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
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


#: Type spellings PostgreSQL takes and sqlglot does not parse, and the same type in words it does.
_SPELLINGS = [(re.compile(r"\bbit\s+varying\b", re.I), "VARBIT"),
              (re.compile(r"\bnational\s+char(?:acter)?\s+varying\b", re.I), "VARCHAR")]
_QUOTED = lazy_regex(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")


_MYSQL_LITERALS = re.compile(r"'(?:[^'\\]|\\.|'')*'|`[^`]*`")
_NAME_IN_DOUBLE_QUOTES = re.compile(
    r"\b(?:UPDATE(?:\s+LOW_PRIORITY)?(?:\s+IGNORE)?|FROM|INTO|JOIN|TABLE(?:\s+IF(?:\s+NOT)?\s+EXISTS)?)\s+"
    r"(\"[^\"]*\")", re.I)


def _double_quoted_name(sql: str) -> str | None:
    """A table name in double quotes (``UPDATE "t" SET ...``), outside string literals: MySQL and MariaDB
    read ``"t"`` as a string unless sql_mode has ANSI_QUOTES (checked on MariaDB 10.11 with its default
    sql_mode: ERROR 1064), so the statement never runs there. sqlglot's MySQL reader takes it as a name."""
    text = _MYSQL_LITERALS.sub("''", sql)
    opened: list[str] = []  # the word before each parenthesis still open, innermost last
    done = 0
    for m in _NAME_IN_DOUBLE_QUOTES.finditer(text):
        for paren in _PARENS.finditer(text, done, m.start()):
            if paren.group() == "(":
                opened.append(_word_before(text, paren.start()))
            elif opened:
                opened.pop()
        done = m.start()
        if m.group().upper().startswith("FROM") and opened and opened[-1] in _FROM_FUNCTIONS:
            continue  # EXTRACT(YEAR FROM "2024-01-01"), TRIM(LEADING "#" FROM "#x"): a string argument
        return m.group(1)
    return None


_PARENS = re.compile(r"[()]")
#: MySQL functions whose argument list has a FROM before a value, which may be a string in double quotes.
_FROM_FUNCTIONS = frozenset({"EXTRACT", "TRIM", "SUBSTRING", "SUBSTR"})


def _word_before(text: str, end: int) -> str:
    """The identifier right before ``text[end]`` (spaces between allowed), upper case: the function called."""
    i = end
    while i > 0 and text[i - 1].isspace():
        i -= 1
    start = i
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return text[start:i].upper()


def _sqlglot_spelling(sql: str) -> str:
    """``bit varying(8)`` -> ``VARBIT(8)`` outside quotes: PostgreSQL's other name for the same type, which
    sqlglot parses (with ``bit varying`` it fails, or keeps a whole ALTER TABLE as an opaque command)."""
    if not any(pattern.search(sql) for pattern, _ in _SPELLINGS):
        return sql
    parts = _QUOTED.split(sql)
    for i in range(0, len(parts), 2):
        for pattern, word in _SPELLINGS:
            parts[i] = pattern.sub(word, parts[i])
    return "".join(parts)


#: ``DROP INDEX [CONCURRENTLY] [IF EXISTS] a, b [CASCADE]``, and the same for the other objects.
#: (The names and the CASCADE after them are cut by textends: a lazy ``(.+?)...\s*;?\s*$`` was cubic.)
_DROP_LIST = lazy_regex(
    r"^DROP\s+(?:INDEX|TABLE|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE)\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?",
    re.I)
_DROP_OPTIONS = ("CASCADE", "RESTRICT")


def _names_and_option(text: str) -> tuple[str, str] | None:
    """``a, b CASCADE`` as ``("a, b", " CASCADE")``, ``a`` as ``("a", "")``; None when empty."""
    if not text:
        return None
    return without_word_end(text, _DROP_OPTIONS) or (text, "")


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


def _outside_quotes(text: str) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` of each character of ``text`` outside quotes; ``depth`` counts the
    parentheses open before it (a closing one is yielded at the depth it closes, never below 0)."""
    depth, quote = 0, ""
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            yield i, char, depth
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
            yield i, char, depth
        else:
            yield i, char, depth


def split_top_level(text: str) -> list[str]:
    """``a, b (x, y), 'c,d'`` -> ``["a", "b (x, y)", "'c,d'"]``: commas outside parentheses and quotes."""
    parts: list[str] = []
    start = 0
    for i, char, depth in _outside_quotes(text):
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def unbounded_where(sql: str, dialect: str) -> str | None:
    """The WHERE of an UPDATE/DELETE when it only tests NULL-ness or constants, i.e. it still matches
    the whole table (``WHERE new_col IS NULL`` right after adding ``new_col``); None when it bounds
    the statement (a range, a key, a LIMIT, a bind parameter) or cannot be read."""
    store = readings.active()
    key = readings.key("unbounded_where", dialect, sql)
    if store is not None and (found := store.recall(key)) is not None and (found[0] is None or type(found[0]) is str):
        return found[0]
    where = _unbounded_where_text(sql, dialect)
    if store is not None:
        store.remember(key, where)
    return where


def _unbounded_where_text(sql: str, dialect: str) -> str | None:
    try:
        tree = _parse(sql, dialect)
    except Exception:  # unreadable SQL: do not guess
        return None
    return None if tree is None else _unbounded_where_of(tree, dialect)


def _unbounded_where_of(tree: exp.Expression, dialect: str) -> str | None:
    """``unbounded_where`` of a statement already parsed (``DataChange.unbounded_where``)."""
    try:
        where = tree.args.get("where")
        if where is None or not _whole_table(tree):
            return None
        return str(where.this.sql(dialect=SQLGLOT_DIALECTS.get(dialect, dialect)))
    except Exception:  # a shape the reading does not know: do not guess
        return None


def null_tests(sql: str, dialect: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """``null_tests_of`` of SQL text (for the SQL a Python revision shows with placeholders)."""
    store = readings.active()
    key = readings.key("null_tests", dialect, sql)
    if store is not None and (found := store.recall(key)) is not None and type(found[0]) is tuple:
        return found[0]
    tests = _null_tests_text(sql, dialect)
    if store is not None:
        store.remember(key, tests)
    return tests


def _null_tests_text(sql: str, dialect: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    try:
        tree = _parse(sql, dialect)
    except Exception:  # unreadable SQL: do not guess
        return ()
    return () if tree is None else null_tests_of(tree)


def null_tests_of(tree: exp.Expression) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The ``column IS NULL`` tests of an UPDATE/DELETE's WHERE whose other tests are only NULL-ness or
    constants (an unbounded WHERE), as (tables the column may belong to, column); () when some test there
    is anything else (``IS NOT NULL``, ``NOT (x IS NULL)``, ``TRUE``), so a rule asking whether the NULL rows
    are only broken ones gets an answer only when every test is such a column."""
    from sqlglot import exp

    try:
        where = tree.args.get("where")
        if where is None:
            return ()
        found: list[tuple[tuple[str, ...], str]] = []
        for test in where.find_all(exp.Predicate):
            if not isinstance(test, exp.Is) and test.find(exp.Column) is None:
                return ()  # c IS NULL OR 1 = 1: a test of constants only, true for every row it may be
        for node in where.find_all(exp.Is, exp.Boolean, exp.Not):
            if not isinstance(node, exp.Is) or not isinstance(node.this, exp.Column) \
                    or not isinstance(node.expression, exp.Null):
                return ()
            if isinstance(node.parent, exp.Not) or node.args.get("negate"):
                return ()  # NOT (x IS NULL), x IS NOT NULL: the filled rows
            scope = node.find_ancestor(exp.Select, exp.Update, exp.Delete)
            tables = _scope_tables(scope)
            qualifier = node.this.table
            if qualifier:
                tables = {alias: name for alias, name in tables.items() if alias == qualifier.lower()}
            if not tables or not node.this.name:
                return ()
            found.append((tuple(sorted(set(tables.values()))), node.this.name))
        return tuple(found)
    except Exception:  # a shape the reading does not know: do not guess
        return ()


def cleared_nulls_of(tree: exp.Expression) -> tuple[str, ...]:
    """The columns an UPDATE/DELETE leaves without a NULL row (``DataChange.clears_nulls``), lower case: a
    DELETE whose WHERE is ``col IS NULL`` or has it as a branch of its top-level OR (every NULL row matches;
    an AND may spare some), an UPDATE setting ``col`` to a constant that is not NULL with no WHERE or such
    a WHERE. A DELETE without WHERE clears every column: ``has_where`` says that."""
    from sqlglot import exp

    try:
        where = tree.args.get("where")
        nulls: set[str] | None = None
        if where is not None:
            tables = _scope_tables(tree)
            nulls = {branch.this.name.lower() for branch in _or_branches(where.this)
                     if isinstance(branch, exp.Is) and isinstance(branch.this, exp.Column)
                     and isinstance(branch.expression, exp.Null) and not branch.args.get("negate")
                     and branch.this.name
                     and (not branch.this.table or branch.this.table.lower() in tables)}
        if isinstance(tree, exp.Delete):
            return tuple(sorted(nulls or ()))
        if not isinstance(tree, exp.Update):
            return ()
        filled = {item.this.name.lower() for item in tree.expressions
                  if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name
                  and _never_null(item.expression)}
        return tuple(sorted(filled if nulls is None else filled & nulls))
    except Exception:  # a shape the reading does not know: do not guess
        return ()


def _or_branches(node: exp.Expression) -> list[exp.Expression]:
    """``a OR (b OR c)`` -> [a, b, c]: the tests any one of which selects a row."""
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Or):
        return _or_branches(node.this) + _or_branches(node.expression)
    return [node]


def _never_null(node: exp.Expression) -> bool:
    """A constant that is not NULL (``'x'``, ``0``, ``TRUE``), or a COALESCE ending in one."""
    from sqlglot import exp

    if isinstance(node, exp.Coalesce):
        rest = node.expressions
        return bool(rest) and _never_null(rest[-1])
    return isinstance(node, exp.Literal | exp.Boolean)


def _pinned_columns(tree: exp.Expression) -> tuple[str, ...]:
    """``DataChange.pinned``: the target table's columns the WHERE of an UPDATE/DELETE sets equal to one value
    each at its top level (``WHERE id = 5 AND kind = :k``), lower case. A value is a constant, a bound
    parameter or a run-time value of the revision (``migcheck_param``), not a column or a subquery. () when
    the statement reads other tables (``UPDATE ... FROM``, ``DELETE ... USING``): a join may match many rows."""
    from sqlglot import exp

    try:
        where = tree.args.get("where")
        if where is None or not isinstance(tree, exp.Update | exp.Delete) or tree.args.get("from") \
                or tree.args.get("from_") or tree.args.get("using") or tree.args.get("joins"):
            return ()
        target = tree.this
        names = {target.name.lower(), (target.alias or target.name).lower()} if isinstance(target, exp.Table) else set()
        conjuncts, pinned = [where.this], set()
        while conjuncts:
            node = conjuncts.pop()
            if isinstance(node, exp.Paren):
                conjuncts.append(node.this)
            elif isinstance(node, exp.And):
                conjuncts += [node.this, node.expression]
            elif isinstance(node, exp.EQ):
                for column, value in ((node.this, node.expression), (node.expression, node.this)):
                    if isinstance(column, exp.Column) and column.name and _one_value(value) \
                            and (not column.table or column.table.lower() in names):
                        pinned.add(column.name.lower())
                        break
        return tuple(sorted(pinned))
    except Exception:  # a shape the reading does not know: do not guess
        return ()


def _one_value(node: exp.Expression) -> bool:
    """A constant, a bound parameter or a run-time value of the revision, maybe cast: one value for every row."""
    from sqlglot import exp

    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal | exp.Placeholder | exp.Parameter):
        return True
    if isinstance(node, exp.Column) and not node.table:
        return node.name.lower().startswith("migcheck_param")
    return False


def _set_columns(tree: exp.Expression) -> tuple[str, ...]:
    """The columns an UPDATE's SET gives a value, lower case: ``SET c = NULL`` fills nothing, so it is left out
    (a "fill" of NULLs followed by ``DELETE ... WHERE c IS NULL`` deletes every row)."""
    from sqlglot import exp

    return tuple(item.this.name.lower() for item in tree.expressions
                 if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name
                 and not isinstance(item.expression, exp.Null))


def _assigned_columns(tree: exp.Expression) -> tuple[str, ...]:
    """Every column an UPDATE's SET assigns (lower case, any value), or () when one item is not ``column = ...``."""
    from sqlglot import exp

    items = tree.expressions
    if not items or not all(isinstance(i, exp.EQ) and isinstance(i.this, exp.Column) and i.this.name for i in items):
        return ()
    return tuple(item.this.name.lower() for item in items)


def _self_read_columns(tree: exp.Expression) -> tuple[str, ...]:
    """The columns (lower case) an UPDATE's SET computes from their own value (``SET n = n + 1``, ``SET n =
    COALESCE(x, n)``, ``CASE WHEN ... ELSE n END``): a row can keep what it held. A column of a subquery names its
    own FROM's tables unless qualified with the target's name or alias."""
    from sqlglot import exp

    target = tree.this
    names = {target.name.lower(), (target.alias or target.name).lower()} if isinstance(target, exp.Table) else set()
    found: list[str] = []
    for item in tree.expressions:
        if not (isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name):
            continue
        column = item.this.name.lower()
        for read in item.expression.find_all(exp.Column):
            nested = read.find_ancestor(exp.Select, exp.Update) is not tree
            if read.name.lower() == column and (
                    (read.table or "").lower() in names if read.table or nested else True):
                found.append(column)
                break
    return tuple(found)


def copies_every_row(sql: str, table: str, dialect: str, columns: Collection[str] | None) -> bool:
    """Whether ``sql`` (``CREATE TABLE c AS SELECT ...`` or ``INSERT INTO c SELECT ...``) copies every row of
    ``table``, whole: a plain SELECT from it alone, without WHERE, JOIN, GROUP BY, DISTINCT, LIMIT or OFFSET,
    not ``WITH NO DATA``, that selects ``*`` or reads every one of ``columns`` (the table's columns as the
    history says; None when unknown, then only ``*`` is whole). A copy and swap (drop-table) keeps the rows only
    then; a filtered copy loses some rows, a copy of some columns the others (review9)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=_sqlglot_dialect(dialect))
    except Exception:  # sqlglot raises many kinds: what it cannot read is no copy
        return False
    if not isinstance(tree, exp.Create | exp.Insert):
        return False
    if any(isinstance(p, exp.WithDataProperty) and p.args.get("no") for p in tree.find_all(exp.WithDataProperty)):
        return False
    select = _inserted_select(tree)
    if select is None:
        return False
    source = select.args.get("from") or select.args.get("from_")
    filters = ("where", "joins", "group", "having", "distinct", "limit", "offset", "fetch", "qualify", "with")
    return (isinstance(source, exp.From) and isinstance(source.this, exp.Table)
            and (_table_name(source.this) or "").lower() == table.lower()
            and not any(select.args.get(key) for key in filters)
            and _selects_whole_rows(select, columns))


def _selects_whole_rows(select: Any, columns: Collection[str] | None) -> bool:
    """Whether a SELECT's list is ``*`` (or ``t.*``), or reads every one of ``columns``."""
    from sqlglot import exp

    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in select.expressions):
        return True
    if not columns:
        return False
    read = {c.name.lower() for e in select.expressions for c in e.find_all(exp.Column)}
    return {c.lower() for c in columns} <= read


def copies_column(sql: str, table: str, source: str, target: str, dialect: str, *, null_target: bool = False) -> bool:
    """Whether ``sql`` is ``UPDATE table SET target = <expression reading source>`` over every row (no WHERE, or
    one testing only NULL-ness): the values of ``source`` are carried into ``target`` (held-out-8 #120:
    ``UPDATE workflows SET generate_script = use_cache`` before ``use_cache`` is dropped). With ``null_target``
    (the caller knows ``target`` is NULL on every row, freshly added) a ``target IS NULL`` test skips no row
    (held-out-23 #108: ``SET created_by = creator_id WHERE created_by IS NULL``)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=SQLGLOT_DIALECTS.get(dialect, dialect))
    except Exception:  # sqlglot raises many kinds: what it cannot read copies nothing
        return False
    if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table) \
            or (_table_name(tree.this) or "").lower() != table.lower():
        return False
    where = tree.args.get("where")
    if where is not None and any(isinstance(c, exp.Column) and c.name.lower() != source.lower()
                                 and not (null_target and _is_null_test(c, target))
                                 for c in where.find_all(exp.Column)):
        return False
    for item in tree.expressions:
        if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) \
                and item.this.name.lower() == target.lower():
            return any(c.name.lower() == source.lower() for c in item.expression.find_all(exp.Column))
    return False


def _is_null_test(column: Any, name: str) -> bool:
    """Whether ``column`` is ``name`` tested by a plain ``IS NULL`` (not negated, not under a NOT)."""
    from sqlglot import exp

    test = column.parent
    return column.name.lower() == name.lower() and isinstance(test, exp.Is) and test.this is column \
        and isinstance(test.expression, exp.Null) and not test.args.get("negate") \
        and test.find_ancestor(exp.Not) is None


def boolean_value_set(sql: str, table: str, source: str, target: str, dialect: str) -> tuple[bool, str] | None:
    """(the value of the boolean ``source`` tested, the literal ``target`` is set to) when ``sql`` is ``UPDATE table
    SET target = <literal> WHERE source = TRUE`` (``= FALSE``, the literal on either side, ``WHERE source``, ``WHERE
    NOT source``): the rows holding one value of ``source`` get one value of ``target``, and a pair of them, one per
    value, carries every value over (held-out-21 #107: ``SET active = true WHERE is_active = true`` then ``SET active
    = false WHERE is_active = false``). None for anything else."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=SQLGLOT_DIALECTS.get(dialect, dialect))
    except Exception:  # sqlglot raises many kinds: what it cannot read sets nothing known
        return None
    if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table) \
            or (_table_name(tree.this) or "").lower() != table.lower() \
            or any(tree.args.get(key) for key in ("from", "from_", "joins", "limit", "order", "with")):
        return None
    where = tree.args.get("where")
    tested = _boolean_test(where.this, table, source) if where is not None else None
    if tested is None:
        return None
    for item in tree.expressions:
        if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name.lower() == target.lower():
            value = item.expression
            if isinstance(value, exp.Boolean | exp.Literal | exp.Null):
                return tested, value.sql().lower()
            return None
    return None


def _boolean_test(test: Any, table: str, column: str) -> bool | None:
    """The value a WHERE picks of a boolean ``column``: ``column = TRUE`` / ``FALSE`` (either side), ``column``,
    ``NOT column``; None for any other test."""
    from sqlglot import exp

    def named(node: Any) -> bool:
        return isinstance(node, exp.Column) and node.table.lower() in {"", table.lower()} \
            and node.name.lower() == column.lower()

    while isinstance(test, exp.Paren):
        test = test.this
    if named(test):
        return True
    if isinstance(test, exp.Not) and named(test.this):
        return False
    if isinstance(test, exp.EQ):
        for side, other in ((test.this, test.expression), (test.expression, test.this)):
            if named(side) and isinstance(other, exp.Boolean):
                return bool(other.this)
    return None


def copies_column_out(sql: str, table: str, column: str, dialect: str) -> bool | None:
    """Whether ``sql`` writes the values of ``column`` of ``table`` into another table: an INSERT ... SELECT
    (inserts_column_from), or ``UPDATE other SET c = t.column FROM table t WHERE ...`` (held-out-23 #44), which
    reaches only the rows of ``table`` that match a row of ``other``, so never every row (False). None when it
    copies no value of the column. A part of a name known only at run time (``{…}.layer``, the schema of an
    f-string) is read as a placeholder name (held-out-23 #45): the table and the column are still known."""
    sql = sql.replace("{…}", "migcheck_param")
    inserted = inserts_column_from(sql, table, column, dialect)
    return inserted if inserted is not None else _updates_column_from(sql, table, column, dialect)


def _updates_column_from(sql: str, table: str, column: str, dialect: str) -> bool | None:
    """False when ``sql`` is an UPDATE of another table that sets a column to ``table``'s ``column``, read from
    ``table`` joined in (``FROM table t``, MySQL's ``JOIN``), qualified with its name or alias; None otherwise."""
    from sqlglot import exp

    try:
        tree = _parse(sql, dialect)
    except Exception:  # sqlglot raises many kinds: what it cannot read copies nothing
        return None
    if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table) \
            or (_table_name(tree.this) or "").lower() == table.lower():
        return None
    own = (tree.this.alias or tree.this.name).lower()
    aliases = {alias for alias, name in _scope_tables(tree).items() if name == table.lower() and alias != own}
    for item in tree.expressions:
        value = item.expression if isinstance(item, exp.EQ) else None
        if isinstance(value, exp.Column) and value.name.lower() == column.lower() \
                and value.table.lower() in aliases:
            return False
    return None


def inserts_column_from(sql: str, table: str, column: str, dialect: str) -> bool | None:
    """Whether ``sql`` is ``INSERT INTO other (...) SELECT ... column ... FROM table``: the values of ``column`` are
    written into another table (held-out-12 #39: copr's ``INSERT INTO copr_private(..., scm_api_auth_json, ...)
    (SELECT ..., scm_api_auth_json, ... FROM copr)`` one revision before the column is dropped). True when every
    row is copied (a plain SELECT from ``table`` alone: no WHERE, JOIN, GROUP BY, DISTINCT, LIMIT...), False when
    only some rows may be, None when the statement copies no value of the column."""
    from sqlglot import exp

    tree = _parsed_insert(sql, dialect)
    if tree is None:
        return None
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if (_table_name(target) or "").lower() == table.lower():
        return None
    select = _inserted_select(tree)
    if select is None:
        return None
    sources = _scope_tables(select)
    aliases = {alias for alias, name in sources.items() if name == table.lower()}
    if not aliases:
        return None
    alone = len(sources) == 1
    def names(c: exp.Column) -> bool:
        return c.table.lower() in aliases if c.table else alone

    star = any((isinstance(e, exp.Star) and alone) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)
                                                       and names(e)) for e in select.expressions)
    # only the column itself, maybe renamed, carries its values: password_hash IS NOT NULL, length(token),
    # md5(notes) do not (review16)
    bare = (e.this if isinstance(e, exp.Alias) else e for e in select.expressions)
    if not star and not any(isinstance(c, exp.Column) and c.name.lower() == column.lower() and names(c) for c in bare):
        return None
    filters = ("joins", "group", "having", "distinct", "limit", "offset", "fetch", "qualify", "with")
    where = select.args.get("where")
    # WHERE column IS NOT NULL leaves out only rows that hold no value of it (onyx 6fc7886d665d)
    test = where.this if where is not None else None
    if isinstance(test, exp.Not):  # NOT (c IS NULL), as some sqlglot versions read IS NOT NULL
        test = test.this if isinstance(test.this, exp.Is) and not test.this.args.get("negate") else None
    elif isinstance(test, exp.Is) and not test.args.get("negate"):
        test = None
    skips_nulls = isinstance(test, exp.Is) and isinstance(test.this, exp.Column) \
        and test.this.name.lower() == column.lower() and isinstance(test.expression, exp.Null)
    return not any(select.args.get(key) for key in filters) and (where is None or skips_nulls)


def _scope_tables(scope: exp.Expression | None) -> dict[str, str]:
    """alias (or name) -> table name of the tables a SELECT/UPDATE/DELETE reads rows of directly."""
    from sqlglot import exp

    if scope is None:
        return {}
    nodes: list[Any] = [scope.this] if isinstance(scope, exp.Update | exp.Delete) else []
    source = scope.args.get("from") or scope.args.get("from_")
    if source is not None:
        nodes.append(source.this)
    nodes += [join.this for join in scope.args.get("joins") or []]
    nodes += list(scope.args.get("using") or [])
    out: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, exp.Table) and node.name:
            out[(node.alias or node.name).lower()] = node.name.lower()
    return out


def _whole_table(statement: object) -> bool:
    """True when ``statement``'s WHERE selects rows only by NULL-ness or constants (no batch bound)."""
    from sqlglot import exp

    assert isinstance(statement, exp.Expression)
    if statement.args.get("limit") is not None or statement.find(exp.Placeholder) is not None:
        return False
    where = statement.args.get("where")
    return where is None or _unbounded_predicate(where.this, isinstance(statement, exp.Delete))


def _unbounded_predicate(node: object, delete: bool = False) -> bool:
    from sqlglot import exp

    negated = False
    while isinstance(node, exp.Paren | exp.Not):
        negated = negated != isinstance(node, exp.Not)
        node = node.this
    if delete and negated and isinstance(node, exp.In) and node.args.get("query") is not None:
        return False  # DELETE ... WHERE key NOT IN (SELECT id FROM parent): the orphans only
    if isinstance(node, exp.Connector):
        return _unbounded_predicate(node.this, delete) and _unbounded_predicate(node.expression, delete)
    if isinstance(node, exp.Is):
        # col IS NULL tests NULL-ness; f(col, 'x') IS NOT NULL (array_position(caps, 'admin')) selects rows
        # by their data: a test with a constant in it is a data predicate, not a NULL-ness one -- except a
        # COALESCE with a constant to fall back on (COALESCE(col, 0) IS NOT NULL): never NULL, so every row
        tested = node.this
        while isinstance(tested, exp.Paren):
            tested = tested.this
        if isinstance(tested, exp.Coalesce) and any(isinstance(arg, exp.Literal)
                                                    for arg in [tested.this, *tested.expressions]):
            return True
        return tested.find(exp.Literal) is None
    if isinstance(node, exp.Boolean):
        return True
    if isinstance(node, exp.EQ):
        return all(isinstance(side, exp.Literal) for side in (node.this, node.expression))
    # key IN (SELECT key FROM t WHERE col IS NULL): bounded only if the subquery is
    query = node.args.get("query") if isinstance(node, exp.In) else None
    if query is not None:
        inner = query.this if isinstance(query, exp.Subquery) else query
        return isinstance(inner, exp.Select) and _whole_table(inner)
    return False


@functools.cache
def _quiet_sqlglot() -> None:
    """Silence sqlglot's warnings once per process (``setLevel`` clears every logger's cache: not per statement)."""
    import logging  # here: a run that parses no SQL needs no logging

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)


def _parse(sql: str, dialect: str) -> exp.Expression | None:
    import sqlglot
    from sqlglot import exp

    _quiet_sqlglot()
    tree = sqlglot.parse_one(sql, read=_sqlglot_dialect(dialect))
    return tree if isinstance(tree, exp.Expression) else None


@functools.cache
def _sqlglot_dialect(dialect: str) -> Dialect:
    """sqlglot's dialect for migcheck's name, made once per process: given a name, ``parse_one`` splits it for
    settings and builds a new ``Dialect`` for every statement (a tenth of the parse of a short statement).
    Parsing keeps no state in it (the tokenizer and parser are made per call)."""
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise(SQLGLOT_DIALECTS.get(dialect, dialect))


def _convert(tree: exp.Expression, sql: str, keyword: str, dialect: str, common: dict[str, Any]) -> list[Change]:
    from sqlglot import exp

    render = SQLGLOT_DIALECTS.get(dialect, dialect)
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "INDEX":
            index = tree.this
            table = index.args.get("table")
            params = index.args.get("params")
            columns = [c.sql(render) for c in (params.args.get("columns") or [])] if params else []
            where = params.args.get("where") if params else None
            return [
                CreateIndex(
                    name=_name(index.this),
                    table=_table_name(table),
                    columns=columns,
                    unique=bool(tree.args.get("unique")),
                    concurrently=bool(tree.args.get("concurrently")),
                    where=where.this.sql(render) if where is not None else None,
                    if_not_exists=bool(tree.args.get("exists")),
                    **common,
                )
            ]
        if kind == "TABLE" and isinstance(tree.this, exp.Schema):
            columns = [_column_spec(c, render, sql) for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
            return [
                CreateTable(
                    table=_table_name(tree.this.this) or "?",
                    columns=columns,
                    if_not_exists=bool(tree.args.get("exists")),
                    **common,
                )
            ]
        if kind == "TABLE" and isinstance(tree.this, exp.Table) and (
                tree.args.get("expression") is not None or tree.find(exp.PartitionedOfProperty) is not None):
            # CREATE TABLE .. AS SELECT / PARTITION OF: a new table, its columns taken from elsewhere
            return [CreateTable(table=_table_name(tree.this) or "?", if_not_exists=bool(tree.args.get("exists")),
                                **common)]
        return [RawSQL(text=sql, keyword=keyword, **common)]
    if isinstance(tree, exp.Select) and dialect == "postgresql" and isinstance(tree.args.get("into"), exp.Into) \
            and isinstance(tree.args["into"].this, exp.Table):
        # SELECT .. INTO t (PostgreSQL): CREATE TABLE t AS SELECT under another name
        return [CreateTable(table=_table_name(tree.args["into"].this) or "?", **common)]
    if isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "").upper()
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        if kind == "TABLE":
            return [
                DropTable(
                    table=_table_name(t) or "?",
                    schema=_table_schema(t),
                    if_exists=bool(tree.args.get("exists")),
                    cascade=bool(tree.args.get("cascade")),
                    **common,
                )
                for t in tables
            ]
        if kind == "INDEX":
            return [
                DropIndex(
                    name=_table_name(t),
                    concurrently=bool(tree.args.get("concurrently")),
                    if_exists=bool(tree.args.get("exists")),
                    schema=_table_schema(t),
                    **common,
                )
                for t in tables
            ]
        return [RawSQL(text=sql, keyword=keyword, **common)]
    if isinstance(tree, exp.Alter) and (tree.args.get("kind") or "").upper() == "TABLE":
        table = _table_name(tree.this) or "?"
        out: list[Change] = []
        for action in tree.args.get("actions") or []:
            out.extend(_renamed_by_change(action, table, common))
            out.append(_alter_action(action, table, bool(tree.args.get("not_valid")), sql, keyword, render, common,
                                     _table_schema(tree.this)))
            out.extend(_inline_constraints(action, table, render, common))
        for change in out:
            if isinstance(change, AlterColumn | AddConstraint):
                change.schema = _table_schema(tree.this)
        return out
    if isinstance(tree, exp.Update):
        return [
            DataChange(
                action="update", table=_table_name(tree.this), schema=_table_schema(tree.this), has_where=tree.args.get("where") is not None,
                joined=bool(tree.this.args.get("joins") or tree.args.get("from") or tree.args.get("from_")),
                limited=tree.args.get("limit") is not None,
                self_reads=_self_read_columns(tree),
                unbounded_where=_unbounded_where_of(tree, dialect), null_tests=null_tests_of(tree),
                sets=_set_columns(tree), assigns=_assigned_columns(tree), clears_nulls=cleared_nulls_of(tree),
                pinned=_pinned_columns(tree), **common
            )
        ]
    if isinstance(tree, exp.Delete):
        return [
            DataChange(
                action="delete", table=_table_name(tree.this), schema=_table_schema(tree.this), has_where=tree.args.get("where") is not None,
                unbounded_where=_unbounded_where_of(tree, dialect), null_tests=null_tests_of(tree),
                clears_nulls=cleared_nulls_of(tree), pinned=_pinned_columns(tree), **common
            )
        ]
    if isinstance(tree, exp.Insert):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        return [DataChange(action="insert", table=_table_name(target), schema=_table_schema(target), **common)]
    if isinstance(tree, exp.Set):
        out = []
        for item in tree.expressions:
            eq = item.this
            if isinstance(eq, exp.EQ):
                out.append(SetSetting(name=eq.this.sql().lower(), value=_literal_text(eq.expression), **common))
            else:
                out.append(RawSQL(text=sql, keyword="SET", **common))
        return out
    return [RawSQL(text=sql, keyword=keyword, **common)]


def _renamed_by_change(action: exp.Expression, table: str, common: dict[str, Any]) -> list[Change]:
    """MySQL's ``CHANGE old new TYPE`` renames before it redefines: the rename, so that the history knows the
    column under its new name (its type, its creation) and the rename rules see it. ``CHANGE c c TYPE``
    renames nothing."""
    from sqlglot import exp

    if not isinstance(action, exp.ModifyColumn):
        return []
    old, new = _name(action.args.get("rename_from")), _name(action.this.this) if action.this is not None else None
    if not old or not new or old.lower() == new.lower():
        return []
    return [RenameColumn(table=table, column=old, new_name=new, **common)]


def _alter_action(
    action: exp.Expression,
    table: str,
    not_valid: bool,
    sql: str,
    keyword: str,
    render: str,
    common: dict[str, Any],
    schema: str | None = None,
) -> Change:
    from sqlglot import exp

    if isinstance(action, exp.ColumnDef):
        return AddColumn(table=table, column=_column_spec(action, render, sql), if_not_exists=bool(action.args.get("exists")),
                         **common)
    if isinstance(action, exp.Drop):
        kind = (action.args.get("kind") or "COLUMN").upper()
        target = (action.args.get("tables") or [action.this])[0]
        name = _table_name(target) or _name(target)
        if kind == "CONSTRAINT":
            return DropConstraint(name=name, table=table, if_exists=bool(action.args.get("exists")), **common)
        if kind in {"INDEX", "KEY"}:  # MySQL's ALTER TABLE t DROP INDEX ix: an index, not a column
            return DropIndex(name=name, table=table, if_exists=bool(action.args.get("exists")), **common)
        if kind in {"PRIMARY KEY", "FOREIGN KEY", "CHECK"}:
            return DropConstraint(name=name, table=table, **common)
        return DropColumn(table=table, column=name or "?", if_exists=bool(action.args.get("exists")), schema=schema,
                          **common)
    if isinstance(action, exp.AlterColumn):
        allow_null = action.args.get("allow_null")
        dtype = action.args.get("dtype")
        default = action.args.get("default")
        using = action.args.get("using")
        # DROP NOT NULL also sets ``drop``; only a DROP without allow_null is DROP DEFAULT
        drops_default = action.args.get("drop") is True and allow_null is None
        return AlterColumn(
            table=table,
            column=_name(action.this) or "?",
            nullable=None if allow_null is None else bool(allow_null),
            type=_sql_of(dtype, render),
            using=_sql_of(using, render),
            server_default_changed=_sql_of(default, render) is not None or drops_default,
            server_default=_sql_of(default, render),
            **common,
        )
    if isinstance(action, exp.ModifyColumn):
        spec = _column_spec(action.this, render)
        return AlterColumn(
            table=table,
            column=spec.name or "?",
            nullable=spec.nullable if spec.nullable is not None else True,
            type=spec.type,
            server_default_changed=True,
            server_default=spec.server_default,
            **common,
        )
    if isinstance(action, exp.RenameColumn):
        return RenameColumn(table=table, column=_name(action.this) or "?", new_name=_name(action.args.get("to")) or "?", **common)
    if isinstance(action, exp.AlterRename):
        return RenameTable(table=table, new_name=_table_name(action.this) or "?", **common)
    if isinstance(action, exp.AddConstraint):
        index = _mysql_index(action, table, render, common, schema)
        return index if index is not None else _add_constraint(action, table, not_valid, render, common)
    return RawSQL(text=sql, keyword=keyword, **common)


def _mysql_index(action: exp.Expression, table: str, render: str, common: dict[str, Any],
                 schema: str | None) -> CreateIndex | None:
    """MySQL's ``ALTER TABLE t ADD KEY ix (a, b)`` / ``ADD INDEX`` / ``ADD FULLTEXT KEY`` and ``ADD UNIQUE KEY
    ux (a)`` (no CONSTRAINT keyword): an index, as ``CREATE [UNIQUE] INDEX ix ON t (a, b)`` makes it (MariaDB
    10.11: SHOW INDEX lists it, ``DROP INDEX ix`` drops it, adding it again fails with 1061 "Duplicate key
    name"; an unnamed one is named after its first column). sqlglot reads them as an AddConstraint of an
    IndexColumnConstraint (a plain key) or of a bare UniqueColumnConstraint; ``ADD CONSTRAINT ux UNIQUE (a)``
    stays a unique constraint, as ``op.create_unique_constraint`` writes it."""
    from sqlglot import exp

    if render != "mysql" or len(action.expressions) != 1:
        return None
    item = action.expressions[0]
    if isinstance(item, exp.IndexColumnConstraint):
        return CreateIndex(name=_name(item.this), table=table, columns=[c.sql(render) for c in item.expressions],
                           schema=schema, **common)
    if isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema):
        return CreateIndex(name=_name(item.this.this), table=table, unique=True,
                           columns=[c.sql(render) for c in item.this.expressions], schema=schema, **common)
    return None


def _add_constraint(
    action: exp.Expression, table: str, not_valid: bool, render: str, common: dict[str, Any]
) -> AddConstraint:
    from sqlglot import exp

    name: str | None = None
    kind: ConstraintKind = "unknown"
    columns: list[str] = []
    referent: str | None = None
    condition: str | None = None
    for item in action.expressions:
        parts = [item]
        if isinstance(item, exp.Constraint):
            name = _name(item.this)
            parts = list(item.expressions)
        for part in parts:
            if isinstance(part, exp.ForeignKey):
                kind = "foreign_key"
                columns = [_name(c) or "?" for c in part.expressions]
                ref = part.args.get("reference")
                if ref is not None:
                    target = ref.this.this if isinstance(ref.this, exp.Schema) else ref.this
                    referent = _table_name(target)
            elif isinstance(part, exp.PrimaryKey):
                kind = "primary_key"
                columns = [_name(c) or "?" for c in part.expressions]
            elif isinstance(part, exp.UniqueColumnConstraint):
                kind = "unique"
                schema = part.this
                columns = [_name(c) or "?" for c in schema.expressions] if schema is not None else []
            elif isinstance(part, exp.CheckColumnConstraint):
                kind = "check"
                condition = part.this.sql(render)
            elif isinstance(part, exp.ExcludeColumnConstraint):
                kind = "exclude"
    return AddConstraint(
        kind_of=kind,
        name=name,
        table=table,
        columns=columns,
        not_valid=not_valid,
        referent=referent,
        condition=condition,
        **common,
    )


def _inline_constraints(action: exp.Expression, table: str, render: str, common: dict[str, Any]) -> list[Change]:
    """``ADD COLUMN c int UNIQUE / PRIMARY KEY / REFERENCES t / CHECK (...)``: the constraint PostgreSQL adds
    with the column."""
    from sqlglot import exp

    if not isinstance(action, exp.ColumnDef):
        return []
    column = _name(action.this) or "?"
    out: list[Change] = []
    for constraint in action.args.get("constraints") or []:
        ckind = constraint.args.get("kind")
        name = _name(constraint.this) if isinstance(constraint.this, exp.Identifier) else None
        kind: ConstraintKind | None = None
        referent = None
        if isinstance(ckind, exp.UniqueColumnConstraint):
            kind = "unique"
        elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
            kind = "primary_key"
        elif isinstance(ckind, exp.Reference):
            kind = "foreign_key"
            target = ckind.this.this if isinstance(ckind.this, exp.Schema) else ckind.this
            referent = _table_name(target)
        elif isinstance(ckind, exp.CheckColumnConstraint):
            kind = "check"  # checked against every row while the ADD COLUMN holds ACCESS EXCLUSIVE
        if kind is not None:
            condition = _sql_of(ckind.this, render) if kind == "check" else None
            out.append(AddConstraint(kind_of=kind, name=name, table=table, columns=[column], referent=referent,
                                     condition=condition, **common))
    return out


_CREATE_ENUM = lazy_regex(r"^CREATE\s+TYPE\s+(\S+)\s+AS\s+ENUM\b", re.I)
#: The names after it are cut by textends (a lazy ``(.+?)(?:\s+CASCADE)?\s*$`` was cubic).
_DROP_TYPE = lazy_regex(r"^DROP\s+TYPE\s+(?:IF\s+EXISTS\s+)?", re.I)


def enum_type_changes(sql: str, common: dict[str, Any]) -> list[Change]:
    """``CREATE TYPE x AS ENUM`` / ``DROP TYPE x``: typed, so downgrade checks can pair them."""
    if m := _CREATE_ENUM.match(sql):
        return [CreateEnumType(name=_unquote(m.group(1)), **common)]
    if (m := _DROP_TYPE.match(sql)) and (found := _names_and_option(
            sql[m.end():trailing_start(sql, m.end(), semicolon=False)] or sql[m.end():m.end() + 1])):
        return [DropEnumType(name=_unquote(n.strip()), **common) for n in found[0].split(",") if n.strip()]
    return []


def _column_spec(coldef: exp.Expression, render: str, sql: str | None = None) -> ColumnSpec:
    """The column ``coldef`` defines; ``sql``, the statement it comes from, gives its default as written."""
    from sqlglot import exp

    spec = ColumnSpec(name=_name(coldef.this))
    kind = coldef.args.get("kind")
    spec.type = kind.sql(render) if kind is not None else None
    if spec.type and spec.type.upper() in {"SERIAL", "BIGSERIAL", "SMALLSERIAL"}:
        spec.server_default = "nextval()"
    for constraint in coldef.args.get("constraints") or []:
        ckind = constraint.args.get("kind")
        if isinstance(ckind, exp.NotNullColumnConstraint):
            spec.nullable = bool(ckind.args.get("allow_null"))
        elif isinstance(ckind, exp.DefaultColumnConstraint):
            spec.server_default = ckind.this.sql(render)
            spec.server_default_text = _written(ckind.this, sql, "DEFAULT") if sql else None
        elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
            spec.primary_key = True
        elif isinstance(ckind, exp.AutoIncrementColumnConstraint):
            spec.autoincrement = True  # MySQL's AUTO_INCREMENT: numbers every row, old ones too
        elif isinstance(ckind, exp.Reference):
            spec.references = _table_name(ckind.this.this if isinstance(ckind.this, exp.Schema) else ckind.this)
        elif isinstance(ckind, exp.GeneratedAsIdentityColumnConstraint):
            if ckind.args.get("expression") is not None:  # GENERATED ALWAYS AS (expr): virtual (PG 18)
                spec.computed = ckind.args["expression"].sql(render)
            else:
                spec.identity = True
        elif isinstance(ckind, exp.ComputedColumnConstraint):
            spec.computed = ckind.this.sql(render)
            spec.computed_stored = bool(ckind.args.get("persisted")) or "STORED" in constraint.sql(render).upper()
    return spec


#: What can follow a column's DEFAULT expression in its definition.
#: (Only at the first blank of a run: tried at each blank of a long run, ``\s+`` took quadratic time.)
_AFTER_DEFAULT = lazy_regex(
    r"(?<!\s)\s+(?:NOT\s+NULL|NULL|CONSTRAINT|CHECK|REFERENCES|PRIMARY|UNIQUE|GENERATED|COLLATE)\b", re.I)


def _written(node: exp.Expression, sql: str, keyword: str) -> str | None:
    """``node`` as the user wrote it after ``keyword`` in ``sql`` (``DEFAULT uuid()``, not sqlglot's
    rewriting ``GEN_RANDOM_UUID()``), so messages quote the migration's own text; None when not found."""
    starts = [n.meta["start"] for n in node.walk() if isinstance(n.meta.get("start"), int)]
    if not starts:
        return None
    found = None
    for m in re.finditer(rf"\b{keyword}\b", sql[: min(starts) + 1], re.I):
        found = m
    if found is None:
        return None
    rest = sql[found.end():]
    opened = 0  # parentheses opened after the keyword: a ")" with none open ends the expression
    for i, char, _ in _outside_quotes(rest):
        if char == "(":
            opened += 1
        elif char == ")":
            if opened == 0:
                return rest[:i].strip() or None
            opened -= 1
        elif opened == 0 and (char in ",;" or _AFTER_DEFAULT.match(rest, i)):
            return rest[:i].strip() or None
    return rest.strip() or None


def _sql_of(node: Any, render: str) -> str | None:
    """SQL of an expression argument; sqlglot also stores plain flags (``using=False``) in args."""
    from sqlglot import exp

    return node.sql(render) if isinstance(node, exp.Expression) else None


def _name(node: Any) -> str | None:
    if node is None:
        return None
    if isinstance(node, str):
        return node
    name = getattr(node, "name", None)
    return name if isinstance(name, str) and name else None


def _table_name(node: Any) -> str | None:
    """Table name without schema: rules compare tables by their bare name."""
    return _name(node)


def _table_schema(node: Any) -> str | None:
    """The schema a table reference names (``archive`` of ``archive.events``); None when it names none."""
    return _name(node.args.get("db")) if hasattr(node, "args") else None


def _literal_text(node: Any) -> str | None:
    from sqlglot import exp

    if isinstance(node, exp.Literal):
        return str(node.this)
    return node.sql() if node is not None else None


def _unquote(name: str) -> str:
    name = name.split(".")[-1]
    return name.strip('"`[]')


def _inserted_select(tree: exp.Expression) -> exp.Select | None:
    """The SELECT an INSERT ... SELECT or CREATE TABLE ... AS SELECT takes its rows from (through parentheses)."""
    from sqlglot import exp

    select = tree.args.get("expression")
    while isinstance(select, exp.Subquery):
        select = select.this
    return select if isinstance(select, exp.Select) else None


@functools.lru_cache(maxsize=4096)
def _parsed_insert(sql: str, dialect: str) -> exp.Insert | None:
    """``sql`` parsed once, when it is an INSERT: every drop of a column asks each earlier copy (review16)."""
    from sqlglot import exp

    try:
        tree = _parse(sql, dialect)
    except Exception:  # sqlglot raises many kinds: what it cannot read copies nothing
        return None
    return tree if isinstance(tree, exp.Insert) else None
