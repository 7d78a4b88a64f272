"""PostgreSQL facts the lock and rewrite rules rely on, in one place so they can be checked.

Every fact here was checked against a real server (PostgreSQL 15, comparing
``pg_class.relfilenode`` before and after each statement, and reading
``pg_locks`` inside the transaction); ``tests/test_rules_postgres_live.py``
re-runs those checks wherever a server is available. Version boundaries come
from the PostgreSQL release notes (9.2: varchar/numeric/timestamp typmod
changes without rewrite; 11: non-volatile ADD COLUMN DEFAULT without rewrite;
12: timestamp <-> timestamptz with a UTC session, SET NOT NULL proved by a
CHECK, REINDEX CONCURRENTLY, ALTER TYPE .. ADD VALUE in a transaction block;
14: DETACH PARTITION CONCURRENTLY; 18: NOT NULL .. NOT VALID, virtual
generated columns).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.textends import trailing_start

# -- ADD COLUMN defaults ---------------------------------------------------------------------------

#: Functions of common extensions (uuid-ossp, pgcrypto) and of PostgreSQL 16-18 that people use as column
#: defaults and that are VOLATILE (``pg_proc.provolatile = 'v'``); PostgreSQL's own are in pg_functions.
EXTENSION_VOLATILE = frozenset({
    "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "uuidv4", "uuidv7", "random_normal",
    "gen_random_bytes", "gen_salt",
})
#: The same extensions' IMMUTABLE or STABLE functions.
EXTENSION_NOT_VOLATILE = frozenset({
    "uuid_generate_v3", "uuid_generate_v5", "uuid_nil", "uuid_ns_dns", "uuid_ns_url", "uuid_ns_oid", "uuid_ns_x500",
    "digest", "hmac", "crypt", "armor", "dearmor", "uuid_extract_timestamp", "uuid_extract_version",
})
#: Words written like calls that are SQL syntax or type names, not functions: ``COALESCE(...)``,
#: ``'x'::character varying(20)``, ``CAST(... AS numeric(10, 2))``; and the SQL value functions, STABLE, which
#: SQLAlchemy's ``func.current_date()`` renders without parentheses (``CURRENT_DATE``; held-out-28).
_SYNTAX = frozenset({
    "coalesce", "nullif", "greatest", "least", "cast", "row", "array", "exists", "any", "some", "all", "in", "and",
    "or", "not", "case", "when", "then", "else", "values", "current_timestamp", "current_time", "localtimestamp",
    "localtime", "current_date", "current_user", "current_role", "session_user", "current_catalog", "trim", "position", "overlay", "substring", "extract", "collate", "is", "as", "varying", "varchar",
    "character", "char", "decimal", "precision", "float", "bit", "interval", "with", "zone", "time", "timestamp",
    "select", "from", "where", "filter", "over", "distinct", "using", "on", "like", "ilike", "similar", "between",
})
_CALL = lazy_regex(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_SERIAL = {"SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL2", "SERIAL4", "SERIAL8"}


def _named_calls(default: str | None) -> Iterator[tuple[str, bool]]:
    """The names a default expression calls, lower case, without a schema (``public.f(`` gives ``f``), each with
    whether a schema qualified it."""
    if default:
        text = _strip_literals(default)
        for match in _CALL.finditer(text):
            before = match.start() - 1
            while before >= 0 and text[before].isspace():  # the blanks just before this name: each read once
                before -= 1
            yield match.group(1).lower(), before >= 0 and text[before] == "."


#: SQLAlchemy's generic functions (``sqlalchemy.sql.functions``) that are not PostgreSQL catalog functions: each is
#: rendered as a built-in of the dialect (``current_timestamp``, ``count(*)``...), none runs the project's code.
GENERIC_FUNCTIONS = frozenset({
    "aggregate_strings", "array_agg", "char_length", "coalesce", "concat", "count", "cube", "cume_dist",
    "current_date", "current_time", "current_timestamp", "current_user", "dense_rank", "grouping_sets",
    "localtime", "localtimestamp", "max", "min", "mode", "next_value", "now", "percent_rank", "percentile_cont",
    "percentile_disc", "random", "rank", "rollup", "session_user", "sum", "sysdate", "user",
    # and built-ins of MySQL / SQLite that PostgreSQL does not have
    "curdate", "curtime", "date", "date_add", "date_format", "date_sub", "datetime", "from_unixtime", "group_concat",
    "hex", "ifnull", "instr", "json_extract", "json_object", "json_array", "julianday", "last_insert_id",
    "last_insert_rowid", "strftime", "str_to_date", "time", "unhex", "unix_timestamp", "utc_timestamp", "uuid",
    "get_lock", "release_lock", "is_free_lock", "sleep", "database", "schema", "version", "connection_id",
    "found_rows", "row_count", "sqlite_version", "changes", "total_changes",
})

def known_function(name: str) -> bool:
    """Whether a function called by name (any case, without a schema) is one PostgreSQL ships, a common
    extension's, or one of SQLAlchemy's generic functions or MySQL's and SQLite's usual built-ins: anything else
    is the project's own, which may write, lock or drop anything."""
    from migcheck.facts.pg_functions import NOT_VOLATILE, VOLATILE

    lower = name.lower()
    return lower in VOLATILE or lower in NOT_VOLATILE or lower in GENERIC_FUNCTIONS \
        or lower in EXTENSION_VOLATILE or lower in EXTENSION_NOT_VOLATILE


def volatile_call(default: str | None) -> str | None:
    """The first VOLATILE function (PostgreSQL's own or a common extension's) a default calls, e.g.
    ``"gen_random_uuid"``: PostgreSQL evaluates it for every existing row."""
    from migcheck.facts.pg_functions import VOLATILE

    for name, _ in _named_calls(default):
        if name in VOLATILE or name in EXTENSION_VOLATILE:
            return name
    return None


def unknown_call(default: str | None) -> str | None:
    """The first function a default calls that is neither PostgreSQL's own nor a common extension's: the
    project's, which PostgreSQL takes as VOLATILE unless its CREATE FUNCTION says IMMUTABLE or STABLE."""
    from migcheck.facts.pg_functions import NOT_VOLATILE, VOLATILE

    for name, qualified in _named_calls(default):
        # public.current_date() is the project's function: a word of SQL's syntax is never schema-qualified (attack28d)
        if (qualified or name not in _SYNTAX) and name not in NOT_VOLATILE and name not in VOLATILE \
                and name not in EXTENSION_NOT_VOLATILE and name not in EXTENSION_VOLATILE:
            return name
    return None


_DECLARED = lazy_regex(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(?:\"?[A-Za-z_][A-Za-z0-9_]*\"?\s*\.\s*)?\"?([A-Za-z_][A-Za-z0-9_]*)\"?",
    re.I,
)
_VOLATILITY_WORD = lazy_regex(r"\b(IMMUTABLE|STABLE|VOLATILE)\b", re.I)
#: Where something that is not a clause of a statement may begin: a ``$tag$`` (or ``$$``) body, a 'string', a
#: "identifier", a -- or /* */ comment. Each is then read to its end with str.find: one pattern matching the
#: whole of them (``\$(tag)?\$.*?\$\1\$``) scanned to the end of the text from every dollar sign, quadratic
#: time, and never closed a ``$$`` body (a group that did not match fails ``\1``).
_NOT_CLAUSE_START = lazy_regex(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$|['\"]|--|/\*")
#: Every ``$word$`` in a text, a dollar sign at a time (they may share one: ``$a$b$``).
_DOLLAR_WORD = lazy_regex(r"\$(?=([A-Za-z0-9_]*)\$)")
_QUOTED = {"'": lazy_regex(r"'(?:[^']|'')*'"), '"': lazy_regex(r'"(?:[^"]|"")*"')}


def function_volatility(sql: str, name: str) -> str | None:
    """The volatility (``immutable``, ``stable``, ``volatile``) the last CREATE [OR REPLACE] FUNCTION of
    ``name`` in ``sql`` declares, read from its own clauses only: a word in a comment, a string or the
    function's body declares nothing. None when ``sql`` creates no function of that name."""
    if "function" not in sql.lower():
        return None
    found: str | None = None
    for statement in _clauses(sql).split(";"):
        match = _DECLARED.search(statement)
        if match is None or match.group(1).lower() != name:
            continue
        words = _VOLATILITY_WORD.findall(_after_arguments(statement[match.end():]))
        found = words[-1].lower() if words else "volatile"  # PostgreSQL's default
    return found


def declared_functions(sql: str) -> frozenset[str]:
    """The names (lower case) ``sql`` has a CREATE [OR REPLACE] FUNCTION of: those function_volatility answers
    for, every other name getting None."""
    if "function" not in sql.lower():
        return frozenset()
    return frozenset(match.group(1).lower() for statement in _clauses(sql).split(";")
                     if (match := _DECLARED.search(statement)) is not None)


def _clauses(sql: str) -> str:
    """``sql`` with bodies, strings, quoted identifiers and comments blanked (a ``"name"`` keeps its text)."""
    out: list[str] = []
    done = pos = 0
    closers: dict[str, list[int]] | None = None
    comments_close = True
    while (m := _NOT_CLAUSE_START.search(sql, pos)) is not None:
        start, opener = m.start(), m.group()
        if opener[0] == "$":
            if closers is None:
                closers = _dollar_words(sql)
            end = _closing(closers.get(opener[1:-1], []), m.end())
            end = -1 if end < 0 else end + len(opener)
        elif opener in _QUOTED:
            quoted = _QUOTED[opener].match(sql, start)
            end = quoted.end() if quoted else -1
        elif opener == "--":
            newline = sql.find("\n", start)
            end = len(sql) if newline < 0 else newline
        else:  # once a /* finds no */, none after it will
            close = sql.find("*/", start + 2) if comments_close else -1
            comments_close = close >= 0
            end = -1 if close < 0 else close + 2
        if end < 0:  # not closed: read on from the next character, as the pattern did
            pos = start + 1
            continue
        out.append(sql[done:start])
        out.append(sql[start:end] if opener == '"' else " ")
        done = pos = end
    out.append(sql[done:])
    return "".join(out)


def _dollar_words(sql: str) -> dict[str, list[int]]:
    """Where each ``$word$`` of ``sql`` begins, by word, in order."""
    found: dict[str, list[int]] = {}
    for m in _DOLLAR_WORD.finditer(sql):
        found.setdefault(m.group(1), []).append(m.start())
    return found


def _closing(starts: list[int], after: int) -> int:
    """The first of ``starts`` at or after ``after``; -1 when none."""
    i = bisect.bisect_left(starts, after)
    return starts[i] if i < len(starts) else -1


def _after_arguments(rest: str) -> str:
    """What follows the argument list ``(a int, stable bool)`` of a CREATE FUNCTION."""
    depth = 0
    for i, char in enumerate(rest):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return rest[i + 1:]
    return rest


def declares_not_volatile(sql: str, name: str) -> bool:
    """True when the last CREATE FUNCTION of ``name`` in ``sql`` is declared IMMUTABLE or STABLE."""
    return function_volatility(sql, name) in {"immutable", "stable"}


def is_serial(type_text: str | None) -> bool:
    return bool(type_text) and re.sub(r"\W", "", (type_text or "").upper()) in _SERIAL


def _strip_literals(sql: str) -> str:
    """SQL text with string literals blanked, so ``'random()'`` as a value is not a call."""
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


# -- ALTER COLUMN TYPE -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PgType:
    """A column type reduced to what decides a rewrite: the base type and its modifiers."""

    name: str
    params: tuple[int, ...] = ()
    array: bool = False
    #: The text it was read from, for messages.
    text: str = ""

    def __str__(self) -> str:
        return self.text or self.name


_ALIASES = {
    # character types
    "varchar": "varchar", "charactervarying": "varchar", "string": "varchar", "unicode": "varchar",
    "nvarchar": "varchar",
    "text": "text", "unicodetext": "text",
    "char": "bpchar", "character": "bpchar", "bpchar": "bpchar", "nchar": "bpchar",
    "citext": "citext",
    # numbers
    "numeric": "numeric", "decimal": "numeric",
    "integer": "int4", "int": "int4", "int4": "int4",
    "biginteger": "int8", "bigint": "int8", "int8": "int8",
    "smallinteger": "int2", "smallint": "int2", "int2": "int2",
    "float": "float8", "doubleprecision": "float8", "double_precision": "float8", "double": "float8",
    "float8": "float8",
    "real": "float4", "float4": "float4",
    "boolean": "bool", "bool": "bool",
    # time
    "datetime": "timestamp", "timestamp": "timestamp", "timestampwithouttimezone": "timestamp",
    "timestamptz": "timestamptz", "timestampwithtimezone": "timestamptz",
    "time": "time", "timewithouttimezone": "time", "timetz": "timetz", "timewithtimezone": "timetz",
    "interval": "interval", "date": "date",
    # network, bits and others
    "cidr": "cidr", "inet": "inet", "bit": "bit", "varbit": "varbit", "bitvarying": "varbit",
    "json": "json", "jsonb": "jsonb", "uuid": "uuid", "bytea": "bytea", "largebinary": "bytea",
    "xml": "xml",
}
#: ``parse_type(...).name`` of the types of SQLAlchemy and PostgreSQL (``VARCHAR``, ``Unicode``, ``Enum``...):
#: any other name is an application or library type.
KNOWN_TYPE_NAMES = frozenset(_ALIASES.values()) | {
    "enum", "array", "hstore", "money", "oid", "tsvector", "tsquery", "point", "line", "lseg", "box", "path",
    "polygon", "circle", "macaddr", "macaddr8", "int4range", "int8range", "numrange", "tsrange", "tstzrange",
    "daterange", "serial", "bigserial", "smallserial", "pickletype", "pg_lsn", "regclass", "name",
    "jsonpath", "regconfig", "domain", "int4multirange", "int8multirange", "nummultirange", "datemultirange",
    "tsmultirange", "tstzmultirange",
    # generic and MySQL types of SQLAlchemy (sqlalchemy.types, dialects.mysql): known, whatever a server
    # makes of them (tests/test_real_world_patterns.py checks that every public type class is here)
    "binary", "varbinary", "blob", "clob", "tinyblob", "mediumblob", "longblob", "tinytext", "mediumtext",
    "longtext", "tinyint", "mediumint", "year", "set", "inet4", "inet6",
}
#: The name ends at a word character and each run of blanks has one quantifier: ``[\w ]*?\s*(...)?\s*(...)?\s*$``
#: split a run of blanks four ways (``a`` + 400 blanks + ``b!`` took 23 s).
_TYPE_TEXT = lazy_regex(
    r"^\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_](?:[\w ]*?\w)??)\s*(?:\((.*)\)\s*)?(?:(\[\s*\])\s*)?$", re.S)
_WITH_TZ = lazy_regex(r"\bwith\s+time\s+zone\b", re.I)
_WITHOUT_TZ = lazy_regex(r"\bwithout\s+time\s+zone\b", re.I)


def parse_type(text: str | None) -> PgType | None:
    """``String(50)``, ``sa.Numeric(10, 2)``, ``VARCHAR(20)``, ``TIMESTAMP(3) WITH TIME ZONE``... as a PgType."""
    if not text:
        return None
    raw = text.strip()
    tz = bool(_WITH_TZ.search(raw))
    cleaned = _WITHOUT_TZ.sub("", _WITH_TZ.sub("", raw)).strip()
    # "TIMESTAMP(3)" after removing the time-zone words; "INTERVAL 3" as sqlglot renders interval(3)
    cleaned = re.sub(r"^(interval)\s+(\d+)$", r"\1(\2)", cleaned, flags=re.I)
    if cleaned.upper().startswith("ARRAY(") and cleaned.endswith(")"):
        inner = parse_type(cleaned[6:-1])
        return PgType(inner.name, inner.params, True, raw) if inner else None
    match = _TYPE_TEXT.match(cleaned)
    if not match:
        return None
    key = re.sub(r"\s+", "", match.group(1)).lower()
    name = _ALIASES.get(key, key)
    args = match.group(2) or ""
    params: list[int] = []
    keywords: dict[str, str] = {}
    for part in (p.strip() for p in args.split(",") if p.strip()):
        if "=" in part:
            k, _, v = part.partition("=")
            keywords[k.strip()] = v.strip()
        elif part.isdigit():
            params.append(int(part))
    for key_name in ("length", "precision", "scale"):
        value = keywords.get(key_name)
        if value is not None and value.isdigit():
            params.append(int(value))
    if keywords.get("timezone") == "True" or tz:
        name = {"timestamp": "timestamptz", "time": "timetz"}.get(name, name)
    if name == "bit" and keywords.get("varying") == "True":
        name = "varbit"
    if name == "numeric" and len(params) == 1:
        params.append(0)
    if name in {"float8", "float4"}:
        params = []  # Float(precision=...) picks the type, not a modifier
    if name in {"int4", "int8", "int2", "bool", "date", "uuid", "json", "jsonb", "bytea", "text", "citext",
                "cidr", "inet", "xml"}:
        params = []
    return PgType(name, tuple(params), bool(match.group(3)), raw)


TypeChange = Literal["none", "index", "utc", "rewrite"]

_PRECISION_TYPES = {"timestamp", "timestamptz", "time", "timetz", "interval"}
_TEXTLIKE = {"varchar", "text"}


def classify_type_change(old: PgType, new: PgType, postgres_version: int) -> TypeChange:
    """What ``ALTER COLUMN .. TYPE`` does to existing rows.

    ``none``: metadata only (a brief ACCESS EXCLUSIVE lock); ``index``: no table rewrite but indexes
    on the column are rebuilt under that lock; ``utc``: rewrite-free only when the session TimeZone
    is UTC (PostgreSQL 12+), and indexes are rebuilt; ``rewrite``: the table and its indexes are
    rewritten under ACCESS EXCLUSIVE.
    """
    if old.array != new.array:
        return "rewrite"
    a, b = old.name, new.name
    if a == b and old.params == new.params:
        return "none"
    if a == "varchar" and b == "varchar":
        if not new.params:
            return "none"
        if old.params and new.params[0] >= old.params[0]:
            return "none"
        return "rewrite"
    if a in _TEXTLIKE and b in _TEXTLIKE:
        # varchar(n) -> text and text -> unlimited varchar are binary coercible; text -> varchar(n) checks rows
        return "none" if b == "text" or not new.params else "rewrite"
    if (b == "citext" and a in _TEXTLIKE) or (a == "citext" and (b == "text" or (b == "varchar" and not new.params))):
        return "index"
    if a == "numeric" and b == "numeric":
        if not new.params:
            return "none"
        if len(old.params) == 2 and len(new.params) == 2 and new.params[1] == old.params[1] \
                and new.params[0] >= old.params[0]:
            return "none"
        return "rewrite"
    if a in _PRECISION_TYPES and b in _PRECISION_TYPES:
        if not _precision_grows(old.params, new.params):
            return "rewrite"
        if a == b:
            return "none"
        if {a, b} == {"timestamp", "timestamptz"} and postgres_version >= 12:
            return "utc"
        return "rewrite"
    if a in {"varbit", "bit"} and b == "varbit":
        if not new.params or (old.params and new.params[0] >= old.params[0]):
            return "none"
        return "rewrite"
    if a == "cidr" and b == "inet":
        return "none"
    if a == "xml" and b == "text":
        return "none"
    return "rewrite"


#: TimeZone values with one UTC offset of zero, for which PostgreSQL 12+ changes timestamp <-> timestamptz without
#: a rewrite (TimestampTimestampTzRequiresRewrite: pg_get_timezone_offset gives 0). Case does not matter. Zones
#: that are UTC today but had other offsets once (Europe/London, Africa/Abidjan, Iceland) rewrite.
UTC_ZONES = frozenset({
    "utc", "etc/utc", "uct", "etc/uct", "gmt", "etc/gmt", "gmt0", "etc/gmt0", "gmt+0", "gmt-0", "etc/gmt+0",
    "etc/gmt-0", "greenwich", "etc/greenwich", "universal", "etc/universal", "zulu", "etc/zulu", "utc0", "utc+0",
})
_ZERO_OFFSET = lazy_regex(r"^(?:interval\s+)?'?[+-]?0+(?:\.0+|:00(?::00)?)?'?(?:\s+hour\s+to\s+minute)?$", re.I)
#: The head of ``SET TIME ZONE value``; the value is the rest less its trailing blanks and semicolons, cut by
#: ``trailing_start`` (``(?P<value>.*?)[\s;]*$`` tried the tail at every character: quadratic in a run).
_SET_TIMEZONE = lazy_regex(
    r"^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?(?:TIME\s+ZONE\s+|\"?timezone\"?\s*(?:=|\bTO\b)\s*)", re.I | re.S)
_RESETS_TIMEZONE = lazy_regex(r"^\s*(?:RESET\s+(?:\"?timezone\"?|ALL)|DISCARD\s+ALL)[\s;]*$", re.I)
_SET_CONFIG_TIMEZONE = lazy_regex(r"\bset_config\s*\(\s*'timezone'\s*,\s*(?P<value>'[^']*'|[^,]*)\s*,", re.I)


def is_utc_zone(value: str | None) -> bool:
    """Whether a TimeZone value (as written after SET TIME ZONE, quoted or not) is a zero-offset UTC zone."""
    if value is None:
        return False
    text = value.strip()
    if _ZERO_OFFSET.match(text):
        return True
    if len(text) > 1 and text[0] == text[-1] == "'":
        text = text[1:-1]
    return text.lower() in UTC_ZONES


def timezone_set(sql: str | None) -> bool | None:
    """What one statement does to the session TimeZone: True when it sets a UTC zone (``SET [LOCAL|SESSION] TIME
    ZONE 'UTC'``, ``SET timezone = 'Etc/UTC'``, ``SELECT set_config('TimeZone', 'UTC', ...)``), False when it sets
    anything else or resets it (``RESET timezone``, ``SET TIME ZONE LOCAL``: the server's default, unknown here),
    None when it does not touch it."""
    if not sql:
        return None
    text = sql.strip()
    if _RESETS_TIMEZONE.match(text):
        return False
    if match := _SET_TIMEZONE.match(text):
        return is_utc_zone(text[match.end():trailing_start(text, match.end(), marks=";")])
    if match := _SET_CONFIG_TIMEZONE.search(text):
        return is_utc_zone(match.group("value"))
    return None


def _precision_grows(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    """Raising the fractional-seconds precision keeps every stored value; no precision means 6, the maximum."""
    return (new[0] if new else 6) >= (old[0] if old else 6)


#: (``\s*(?:\)\s*)?``, not ``\s*\)?\s*``, which split a run of blanks two ways: quadratic.)
_PLAIN_CAST = lazy_regex(r"^\(?\s*\"?(\w+)\"?\s*(?:\)\s*)?(?:::.*)?$|^CAST\s*\(\s*\"?(\w+)\"?\s+AS\s+.*\)$",
                         re.I | re.S)


def using_is_plain_cast(using: str | None, column: str) -> bool:
    """``USING col``, ``USING col::text`` or ``CAST(col AS text)``: the values stay what they are."""
    if not using:
        return True
    match = _PLAIN_CAST.match(using.strip())
    if not match:
        return False
    name = match.group(1) or match.group(2)
    return name is not None and name.lower() == column.lower()


_CAST_CALL = lazy_regex(r"\bCAST\s*\(", re.I)


def using_computes(using: str | None, column: str) -> bool:
    """Whether a USING expression is computed for every row whatever the two types are: anything but the
    column or one cast of it (``col::text::new_enum`` goes through text's output and the enum's input)."""
    if not using_is_plain_cast(using, column):
        return True
    text = _strip_literals(using or "")
    return text.count("::") + len(list(_CAST_CALL.finditer(text))) > 1


# -- conditions -------------------------------------------------------------------------------------

_IS_NOT_NULL = lazy_regex(r'^\(*\s*"?(\w+)"?\s+IS\s+NOT\s+NULL\s*\)*$', re.I)


def not_null_check_column(condition: str | None) -> str | None:
    """The column of a ``CHECK (col IS NOT NULL)`` condition, or None for any other condition."""
    if not condition:
        return None
    match = _IS_NOT_NULL.match(condition.strip())
    return match.group(1) if match else None



# -- ALTER TABLE subcommand locks (PostgreSQL 15 docs, "ALTER TABLE": each subcommand's lock level;
#    one statement takes the strongest of its subcommands for all of them) --------------------------

_SHARE_UPDATE_EXCLUSIVE = lazy_regex(
    r"^(?:VALIDATE\s+CONSTRAINT\b|ALTER\s+(?:COLUMN\s+)?\S+\s+SET\s+STATISTICS\b|CLUSTER\s+ON\b"
    r"|SET\s+WITHOUT\s+CLUSTER\b|SET\s*\(|RESET\s*\(|ATTACH\s+PARTITION\b|DETACH\s+PARTITION\s+\S+\s+CONCURRENTLY\b)",
    re.I | re.S,
)
_FOREIGN_KEY = lazy_regex(r"^ADD\s+(?:CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY\b", re.I | re.S)


def alter_table_lock(subcommand: str) -> str:
    """The lock one ALTER TABLE subcommand takes on its table: SHARE UPDATE EXCLUSIVE for VALIDATE, SET
    STATISTICS, CLUSTER ON, storage parameters and ATTACH PARTITION; SHARE ROW EXCLUSIVE for ADD FOREIGN
    KEY; ACCESS EXCLUSIVE for the rest (the default the docs give)."""
    text = subcommand.strip()
    if _SHARE_UPDATE_EXCLUSIVE.match(text):
        return "SHARE UPDATE EXCLUSIVE"
    if _FOREIGN_KEY.match(text):
        return "SHARE ROW EXCLUSIVE"
    return "ACCESS EXCLUSIVE"

# -- statements migcheck keeps as raw SQL ----------------------------------------------------------

_IDENT = r'(?:"(?:[^"]|"")+"|[\w$]+)'
_QUALIFIED = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_STORAGE_ONLY = lazy_regex(
    rf"^ALTER\s+(?:TABLE|INDEX|MATERIALIZED\s+VIEW)\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_QUALIFIED}(?:\s*\*)?\s+"
    r"(?:SET|RESET)\s*\((?P<first>[^()]*)\)(?P<more>(?:\s*,\s*(?:SET|RESET)\s*\([^()]*\))*)\s*(?:;\s*)?$",
    re.I | re.S,
)
#: Options ``ALTER TABLE v SET (...)`` also takes on a view (checked on PostgreSQL 15), which change what its
#: queries return or may see: not storage.
_VIEW_OPTIONS = lazy_regex(r"\b(?:check_option|security_barrier|security_invoker)\b", re.I)


def storage_parameters_only(sql: str | None) -> bool:
    """Whether ``sql`` only sets or resets storage parameters (``ALTER TABLE t SET (autovacuum_vacuum_scale_factor
    = 0)``, ``RESET (fillfactor)``, also of an index or a materialized view): vacuum, fill and planner tuning that
    no query sees (checked on PostgreSQL 15: SHARE UPDATE EXCLUSIVE, reads and writes go on), not a schema a
    release depends on. View options (security_barrier, check_option, security_invoker) are no storage."""
    if not sql:
        return False
    m = _STORAGE_ONLY.match(sql.strip())
    return m is not None and _VIEW_OPTIONS.search(m.group("first") + m.group("more")) is None


def sequence_restart_only(sql: str | None) -> bool:
    """Whether ``sql`` only moves a sequence's next value (``ALTER SEQUENCE s RESTART WITH 42``, as a fix after rows
    were copied in with their ids): the sequence's position, data as ``setval()`` is, no definition a release
    depends on. Any other clause (INCREMENT, AS, OWNED BY...) is a change of the sequence itself. Read word by word
    (a regex over the name was superlinear); a name with blanks in it is not recognised, and counts as a change."""
    words = (sql or "").strip().rstrip(";").split()
    head = [w.upper() for w in words[:4]]
    at = 4 if head[2:4] == ["IF", "EXISTS"] else 2
    if head[:2] != ["ALTER", "SEQUENCE"] or len(words) < at + 2 or words[at + 1].upper() != "RESTART":
        return False
    rest = words[at + 2:]
    if rest and rest[0].upper() == "WITH":
        rest = rest[1:]
        if not rest:
            return False
    return not rest or (len(rest) == 1 and _restart_value(rest[0]))


def _restart_value(word: str) -> bool:
    """A number, a bound parameter (``:n``, ``%(n)s``) or the stand-in of a value formatted in at run time."""
    return word.lstrip("+-").isdigit() or word.startswith((":", "%(")) or word == "migcheck_param"


#: ``CREATE OR REPLACE FUNCTION`` / ``PROCEDURE`` (the body goes on to say what it does), and the routine's name.
_REPLACE_ROUTINE = lazy_regex(
    rf"^CREATE\s+OR\s+REPLACE\s+(?:FUNCTION|PROCEDURE)\s+(?P<name>{_QUALIFIED})\s*\(", re.I | re.S)


def replaced_routine(sql: str | None) -> str | None:
    """The last word of the name of the routine ``CREATE OR REPLACE FUNCTION`` / ``PROCEDURE`` replaces, lower case
    (``wipe`` for ``app."Wipe"``): what a call of it names; None for any other statement."""
    m = _REPLACE_ROUTINE.match(sql.strip()) if sql else None
    words = re.findall(r"[\w$]+", m.group("name")) if m is not None else []
    return words[-1].lower() if words else None


def routine_changes_schema(sql: str | None) -> bool:
    """Whether the routine ``sql`` creates may change the schema when it runs: its text (the body, arguments and
    all) holds a DDL word, or ``EXECUTE`` (dynamic SQL, anything). True for what is no such statement."""
    text = (sql or "").strip()
    m = _REPLACE_ROUTINE.match(text)
    return m is None or _ROUTINE_DDL.search(text, m.end()) is not None


#: Words of a statement that changes the schema (or runs any: ``EXECUTE``), in a routine's body.
_ROUTINE_DDL = lazy_regex(
    r"\b(?:ALTER|DROP|CREATE|TRUNCATE|RENAME|GRANT|REVOKE|EXECUTE|COMMENT|REINDEX|CLUSTER|VACUUM|LOCK|CALL)\b",
    re.I)


_CREATE_MATVIEW = lazy_regex(
    rf"^CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QUALIFIED})", re.I | re.S
)


def created_materialized_view(sql: str | None) -> str | None:
    """The bare name (as ``unquote`` gives it) of the materialized view ``CREATE MATERIALIZED VIEW`` makes; None
    for any other statement."""
    m = _CREATE_MATVIEW.match(sql.strip()) if sql else None
    return unquote(m.group("name")) if m else None


_DROP_MATVIEW = lazy_regex(r"^DROP\s+MATERIALIZED\s+VIEW\s+(?:IF\s+EXISTS\s+)?", re.I)
_MATVIEW_NAME = lazy_regex(_QUALIFIED)
_DROP_BEHAVIOUR = lazy_regex(r"(?<!\S)(?:CASCADE|RESTRICT)$", re.I)


def dropped_materialized_views(sql: str | None) -> frozenset[tuple[str | None, str]]:
    """(schema, bare name) of the materialized views ``DROP MATERIALIZED VIEW`` removes, the name as ``unquote``
    gives it, the schema lower case and None for none or ``public``; empty for any other statement. The name list
    is split on commas, each part matched alone: linear."""
    text = sql.strip().rstrip(";").strip() if sql else ""
    m = _DROP_MATVIEW.match(text)
    if not m:
        return frozenset()
    rest = text[m.end():].rstrip()
    if (behaviour := _DROP_BEHAVIOUR.search(rest[-9:])) is not None:
        rest = rest[: len(rest) - len(behaviour.group(0))]
    names = [part.strip() for part in rest.split(",")]
    if not all(names) or not all(_MATVIEW_NAME.fullmatch(n) for n in names):
        return frozenset()
    return frozenset((_schema_of(n), unquote(n)) for n in names)


def _schema_of(name: str) -> str | None:
    """``reporting.orders`` -> ``reporting``; None for a bare name or ``public``."""
    parts = re.findall(_IDENT, name.strip())
    if len(parts) < 2:
        return None
    schema = parts[-2][1:-1].replace('""', '"') if parts[-2].startswith('"') else parts[-2]
    return None if schema.lower() == "public" else schema.lower()


def unquote(name: str) -> str:
    """``"public"."Orders"`` -> ``Orders``, ``public.orders`` -> ``orders``: rules compare bare names."""
    parts = re.findall(_IDENT, name.strip())
    if not parts:
        return name.strip()
    last = parts[-1]
    return last[1:-1].replace('""', '"') if last.startswith('"') else last.lower()


def schema_of(name: str) -> str | None:
    """The schema a qualified name writes (``archive.orders`` -> ``archive``), as unquote compares it; None
    for a bare name. ``public`` is kept: whether it is the default schema is the caller's question."""
    parts = re.findall(_IDENT, name.strip())
    return unquote(parts[-2]) if len(parts) > 1 else None


@dataclass(frozen=True, eq=False, repr=False)
class Statement:
    """What a rule needs from one maintenance / type statement."""

    verb: str
    target: str | None = None
    concurrently: bool = False
    #: For REINDEX: INDEX / TABLE / SCHEMA / DATABASE / SYSTEM. For VACUUM: whether FULL is on.
    kind: str = ""
    full: bool = False
    cascade: bool = False
    targets: tuple[str, ...] = ()
    value: str | None = None
    enum_type: str | None = None
    if_not_exists: bool = False
    partition: str | None = None
    finalize: bool = False
    #: For TRUNCATE: the schema each of ``targets`` is written with (None when bare).
    schemas: tuple[str | None, ...] = ()
    #: For TRUNCATE: whether each of ``targets`` is written ``ONLY t`` (its inheritance children keep their rows).
    only: tuple[bool, ...] = ()


_REINDEX = lazy_regex(
    rf"^REINDEX\s*(?:\((?P<opts>[^)]*)\)\s*)?(?P<kind>INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\s+"
    rf"(?P<conc>CONCURRENTLY\s+)?(?P<name>{_QUALIFIED})?",
    re.I | re.S,
)
_VACUUM = lazy_regex(r"^VACUUM\b\s*(?:\((?P<opts>[^)]*)\))?\s*(?P<words>(?:(?:FULL|FREEZE|VERBOSE|ANALYZE|ANALYSE)\s+)*)"
                     rf"(?P<name>{_QUALIFIED})?", re.I | re.S)
_CLUSTER = lazy_regex(rf"^CLUSTER\b\s*(?:\([^)]*\)\s*)?(?:VERBOSE\s+)?(?P<name>{_QUALIFIED})?", re.I | re.S)
_REFRESH = lazy_regex(
    rf"^REFRESH\s+MATERIALIZED\s+VIEW\s+(?P<conc>CONCURRENTLY\s+)?(?P<name>{_QUALIFIED})", re.I | re.S
)
_DETACH = lazy_regex(
    rf"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_QUALIFIED})\s+DETACH\s+PARTITION\s+"
    rf"(?P<part>{_QUALIFIED})(?P<rest>.*)$",
    re.I | re.S,
)
_ATTACH = lazy_regex(
    rf"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_QUALIFIED})\s+ATTACH\s+PARTITION\s+"
    rf"(?P<part>{_QUALIFIED})",
    re.I | re.S,
)
_TRUNCATE = lazy_regex(r"^TRUNCATE\s+(?:TABLE\s+)?(?P<rest>.*)$", re.I | re.S)
_DROP_SCHEMA = lazy_regex(
    r"^DROP\s+(?P<what>SCHEMA|DATABASE)\s+(?:IF\s+EXISTS\s+)?(?P<rest>.*)$", re.I | re.S
)
_ADD_VALUE = lazy_regex(
    rf"^ALTER\s+TYPE\s+(?P<type>{_QUALIFIED})\s+ADD\s+VALUE\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<value>'(?:[^']|'')*')",
    re.I | re.S,
)


_LOCK = lazy_regex(
    rf"^LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?(?P<name>{_QUALIFIED})(?P<rest>.*)$", re.I | re.S
)
_LOCK_MODE = lazy_regex(
    r"\bIN\s+(?P<mode>ACCESS\s+SHARE|ROW\s+SHARE|ROW\s+EXCLUSIVE|SHARE\s+UPDATE\s+EXCLUSIVE|SHARE\s+ROW\s+"
    r"EXCLUSIVE|SHARE|ACCESS\s+EXCLUSIVE|EXCLUSIVE)\s+MODE\b", re.I
)


#: The first word of each pattern above, under the same flags, one named group each: a statement is tried only
#: against the patterns of its own first word (at most two), and one that starts otherwise (CREATE, INSERT,
#: UPDATE, ...) against none, so most runs never compile them.
_VERB = lazy_regex(r"^(?:(?P<LOCK>LOCK)|(?P<REINDEX>REINDEX)|(?P<VACUUM>VACUUM)|(?P<CLUSTER>CLUSTER)|"
                   r"(?P<REFRESH>REFRESH)|(?P<ALTER>ALTER)|(?P<TRUNCATE>TRUNCATE)|(?P<DROP>DROP))", re.I | re.S)


def parse_statement(sql: str | None) -> Statement | None:
    """REINDEX, VACUUM, CLUSTER, REFRESH MATERIALIZED VIEW, DETACH and ATTACH PARTITION, TRUNCATE, DROP SCHEMA /
    DATABASE, ALTER TYPE .. ADD VALUE, LOCK: the parts the rules look at; None for anything else."""
    if not sql:
        return None
    return _parse_statement(sql)


@functools.lru_cache(maxsize=4096)
def _parse_statement(sql: str) -> Statement | None:
    """parse_statement, kept per text: several rules ask about every later step of a revision for each step."""
    text = sql.strip().rstrip(";").strip()
    first = _VERB.match(text)
    if first is None:
        return None
    verb = first.lastgroup
    if verb == "LOCK" and (m := _LOCK.match(text)):
        # LOCK TABLE t [IN mode MODE]: ACCESS EXCLUSIVE when no mode is named
        mode = _LOCK_MODE.search(m.group("rest"))
        kind = " ".join(mode.group("mode").upper().split()) if mode else "ACCESS EXCLUSIVE"
        return Statement("LOCK", unquote(m.group("name")), kind=kind)
    if verb == "REINDEX" and (m := _REINDEX.match(text)):
        opts = (m.group("opts") or "").upper()
        concurrently = bool(m.group("conc")) or bool(re.search(r"\bCONCURRENTLY\b(?!\s+(?:FALSE|OFF|0)\b)", opts))
        name = m.group("name")
        return Statement("REINDEX", unquote(name) if name else None, concurrently, kind=m.group("kind").upper())
    if verb == "VACUUM" and (m := _VACUUM.match(text)):
        opts = (m.group("opts") or "").upper()
        full = "FULL" in (m.group("words") or "").upper() or bool(
            re.search(r"\bFULL\b(?!\s+(?:FALSE|OFF|0)\b)", opts)
        )
        name = m.group("name")
        return Statement("VACUUM", unquote(name) if name else None, full=full)
    if verb == "CLUSTER" and (m := _CLUSTER.match(text)):
        name = m.group("name")
        return Statement("CLUSTER", unquote(name) if name else None)
    if verb == "REFRESH" and (m := _REFRESH.match(text)):
        return Statement("REFRESH", unquote(m.group("name")), bool(m.group("conc")))
    if verb == "ALTER" and (m := _DETACH.match(text)):
        rest = m.group("rest").upper()
        return Statement(
            "DETACH",
            unquote(m.group("table")),
            "CONCURRENTLY" in rest,
            partition=unquote(m.group("part")),
            finalize="FINALIZE" in rest,
        )
    if verb == "ALTER" and (m := _ATTACH.match(text)):
        return Statement("ATTACH", unquote(m.group("table")), partition=unquote(m.group("part")))
    if verb == "TRUNCATE" and (m := _TRUNCATE.match(text)):
        rest = m.group("rest")
        cascade = bool(re.search(r"\bCASCADE\s*$", rest, re.I))
        names = re.sub(r"\b(?:RESTART|CONTINUE)\s+IDENTITY\b|\b(?:CASCADE|RESTRICT)\s*$", "", rest, flags=re.I)
        parts = [t.strip() for t in names.split(",") if t.strip()]
        written = [re.sub(r"^ONLY\s+|\s*\*$", "", t, flags=re.I) for t in parts]
        tables = tuple(unquote(t) for t in written)
        return Statement("TRUNCATE", tables[0] if tables else None, cascade=cascade, targets=tables,
                         schemas=tuple(schema_of(t) for t in written),
                         only=tuple(re.match(r"ONLY\s", t, re.I) is not None for t in parts))
    if verb == "DROP" and (m := _DROP_SCHEMA.match(text)):
        rest = m.group("rest")
        cascade = bool(re.search(r"\bCASCADE\s*$", rest, re.I))
        names = re.sub(r"\b(?:CASCADE|RESTRICT)\s*$|\bWITH\s*\(.*\)\s*$", "", rest, flags=re.I)
        targets = tuple(unquote(t) for t in names.split(",") if t.strip())
        return Statement(f"DROP {m.group('what').upper()}", targets[0] if targets else None, cascade=cascade,
                         targets=targets)
    if verb == "ALTER" and (m := _ADD_VALUE.match(text)):
        value = m.group("value")[1:-1].replace("''", "'")
        return Statement("ADD VALUE", enum_type=unquote(m.group("type")), value=value,
                         if_not_exists=bool(m.group("ine")))
    return None


#: Statements PostgreSQL refuses inside a transaction block ("... cannot run inside a transaction block").
def refused_in_transaction(sql: str | None, keyword: str) -> str | None:
    """The statement's name as PostgreSQL's error message gives it, when it cannot run in a transaction."""
    if not sql:
        return None
    text = sql.strip()
    upper = keyword.upper()
    stmt = parse_statement(text)
    if upper == "VACUUM":
        return "VACUUM"
    if stmt is not None and stmt.verb == "REINDEX":
        if stmt.concurrently:
            return "REINDEX CONCURRENTLY"
        if stmt.kind in {"SCHEMA", "DATABASE", "SYSTEM"}:
            return f"REINDEX {stmt.kind}"
    if stmt is not None and stmt.verb == "CLUSTER" and stmt.target is None:
        return "CLUSTER"
    if stmt is not None and stmt.verb == "DETACH" and stmt.concurrently:
        return "ALTER TABLE ... DETACH CONCURRENTLY"
    if upper in {"CREATE DATABASE", "DROP DATABASE", "CREATE TABLESPACE", "DROP TABLESPACE", "ALTER SYSTEM"}:
        return upper
    return None
