"""Schema-design advice: choices that are cheap to make right in a new column and costly to change later.

Most of these are off by default (``--select`` them); ``identifier-too-long`` and
``json-instead-of-jsonb`` are on, because they are bugs rather than taste.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from migcheck.facts.postgres import KNOWN_TYPE_NAMES, parse_type
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.convention import sqlalchemy_truncated, template_for
from migcheck.rules.convnames import converted_creates
from migcheck.rules.fixes import lit
from migcheck.rules.registry import Hit, change_rule
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
    CreateIndex,
    CreateTable,
    DropConstraint,
    DropIndex,
    RawSQL,
    RenameColumn,
    RenameTable,
)
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.lazyregex import lazy_regex

COLUMN_CHANGES = (CreateTable, AddColumn, AlterColumn)


def split_type(text: str | None) -> tuple[str, str]:
    """``String(length=50)`` -> ``("STRING", "length=50")``; ``pg.TIMESTAMP`` -> ``("TIMESTAMP", "")``."""
    if not text:
        return "", ""
    head, _, args = text.partition("(")
    base = " ".join(head.rsplit(".", 1)[-1].upper().split())
    return base, args.rsplit(")", 1)[0].strip()


#: The pieces of ``^(?:[\w.]*\.)?ARRAY\s*\(\s*(?:item_type\s*=\s*)?(.+?)\s*(?:,\s*\w+\s*=.*)?\)\s*$``, which
#: ``_array_of`` puts together in linear time (as one pattern, the tail after the lazy group was tried at every
#: character, and ``=.*`` scanned to the end after every comma: quadratic).
_ARRAY_OPEN = lazy_regex(r"ARRAY\s*\((\s*)", re.I)
_ITEM_TYPE = lazy_regex(r"item_type\s*=(\s*)", re.I)
_KEYWORD = lazy_regex(r",\s*\w+\s*=")
_PREFIX = lazy_regex(r"[\w.]*")


def _array_start(text: str, at: int, last: int) -> int | None:
    """Where the element type starts when ``ARRAY(`` is at ``at``: the first place the pattern's head may end
    (trying as it backtracks: after ``item_type =`` and its blanks, then after ``(`` and its blanks) that
    leaves a character before the closing parenthesis at ``last``; None when none does."""
    opened = _ARRAY_OPEN.match(text, at)
    if opened is None:
        return None
    item = _ITEM_TYPE.match(text, opened.end())
    if item is not None and item.start(1) < last:
        return min(item.end(), last - 1)
    if opened.start(1) < last:
        return min(opened.end(), last - 1)
    return None


def _array_of(text: str) -> str | None:
    """The element type in ``sa.ARRAY(x)`` / ``ARRAY(item_type=x, dimensions=2)``, as the pattern above
    reads it (group 1); None when it does not match."""
    last = len(text.rstrip()) - 1
    if last < 0 or text[last] != ")":
        return None
    prefix = _PREFIX.match(text)
    dots = [i for i in range(prefix.end() if prefix else 0) if text[i] == "."]
    start = None
    for at in [i + 1 for i in reversed(dots)] + [0]:  # ``[\w.]*\.`` greedy, then no prefix at all
        if (start := _array_start(text, at, last)) is not None:
            break
    if start is None:
        return None
    end = start + 1  # the lazy group takes one character, then stops where the tail can match
    while True:
        ahead = end
        while text[ahead].isspace():  # text[last] is ")": the loop stops there
            ahead += 1
        keyword = _KEYWORD.match(text, ahead) if text[ahead] == "," else None
        if ahead == last or (keyword is not None and keyword.end() <= last):
            return text[start:end]
        end = ahead + 1


def element_type(text: str | None) -> str | None:
    """The element type of an array type, which the type rules judge like a plain column: ``TIMESTAMP[]`` ->
    ``TIMESTAMP``, ``CHAR(3)[][]`` -> ``CHAR(3)``, ``sa.ARRAY(sa.DateTime())`` -> ``sa.DateTime()``,
    ``postgresql.ARRAY(sa.CHAR(2), dimensions=2)`` -> ``sa.CHAR(2)``; anything else unchanged."""
    while text:
        stripped = text.strip()
        if stripped.endswith("]") and "[" in stripped:
            text = stripped[: stripped.rindex("[")]
        elif (inner := _array_of(stripped)) is not None:
            text = inner
        else:
            return stripped
    return text


def _sql_line(change: Change, name: str | None) -> int:
    """The line of column ``name`` inside a multi-line CREATE TABLE, from the statement text."""
    if not change.sql or not name:
        return change.line
    pattern = re.compile(rf"^\s*[\"`\[]?{re.escape(name)}[\"`\]]?\s", re.I)
    for offset, text in enumerate(change.sql.splitlines()[1:], start=1):
        if pattern.match(text):
            return change.line + offset
    return change.line


def columns(change: Change) -> list[tuple[ColumnSpec, int]]:
    """Columns a change defines, with the line to report each at."""
    if isinstance(change, CreateTable):
        return [(c, c.line or _sql_line(change, c.name)) for c in change.columns]
    if isinstance(change, AddColumn):
        return [(change.column, change.column.line or change.line)]
    if isinstance(change, AlterColumn) and change.type:
        return [(ColumnSpec(name=change.column, type=change.type, type_module=change.type_module), change.line)]
    return []


def _table(change: Change) -> str:
    return getattr(change, "table", None) or "?"


# -- prefer-bigint-primary-key --------------------------------------------------------------------

_SMALL_INTS = {
    "INTEGER",
    "INT",
    "INT4",
    "SMALLINTEGER",
    "SMALLINT",
    "INT2",
    "SERIAL",
    "SMALLSERIAL",
    "SERIAL4",
    "SERIAL2",
    "MEDIUMINT",
    "TINYINT",
}


@change_rule(
    "prefer-bigint-primary-key",
    severity=Severity.WARNING,
    on=(CreateTable, AddColumn),
    dialects={"postgresql", "mysql"},
    enabled=False,
)
def prefer_bigint_primary_key(ctx: RevisionContext, change: CreateTable | AddColumn) -> Iterator[Hit]:
    """An integer primary key narrower than 64 bits: it runs out, and widening it rewrites the table."""
    for col, line in columns(change):
        base, _ = split_type(col.type)
        if col.primary_key and base in _SMALL_INTS:
            limit = "32,767" if "SMALL" in base or base in {"INT2", "SERIAL2", "TINYINT"} else "2,147,483,647"
            yield Hit(
                f"primary key {_table(change)}.{col.name} is {col.type}: ids stop at {limit}, and "
                f"changing the "
                f"type later rewrites the table and every index and foreign key that uses it",
                line=line,
                fix=f'sa.Column({lit(col.name)}, sa.BigInteger(), sa.Identity(), primary_key=True)',
            )


# -- prefer-identity ------------------------------------------------------------------------------

_SERIALS = {"SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL4", "SERIAL8", "SERIAL2"}
_INTS = {"INTEGER", "INT", "BIGINTEGER", "BIGINT", "SMALLINTEGER", "SMALLINT", "INT4", "INT8", "INT2"}


def _serial(change: CreateTable | AddColumn, col: ColumnSpec) -> bool:
    base, _ = split_type(col.type)
    if base in _SERIALS:
        return True
    if change.origin != "python" or not isinstance(change, CreateTable) or col.identity:
        return False
    # SQLAlchemy renders a lone integer primary key as SERIAL on PostgreSQL unless told otherwise.
    pks = [c for c in change.columns if c.primary_key]
    return pks == [col] and base in _INTS and col.autoincrement is not False and col.server_default is None


@change_rule(
    "prefer-identity",
    severity=Severity.WARNING,
    on=(CreateTable, AddColumn),
    dialects={"postgresql"},
    enabled=False,
    versions="PostgreSQL 10 and later",
)
def prefer_identity(ctx: RevisionContext, change: CreateTable | AddColumn) -> Iterator[Hit]:
    """A serial column where a standard identity column does the same, with fewer surprises."""
    for col, line in columns(change):
        if isinstance(change, CreateTable | AddColumn) and _serial(change, col):
            yield Hit(
                f"column {_table(change)}.{col.name} is a serial ({col.type}): its sequence is a separate "
                f"object with its own permissions and ownership, and inserts that give an explicit id get "
                f"the sequence out of step; an identity column (PostgreSQL 10+) is standard SQL and "
                f"avoids both",
                line=line,
                fix=f'sa.Column({lit(col.name)}, sa.BigInteger(), sa.Identity(), primary_key=True)',
            )


# -- prefer-timestamptz ---------------------------------------------------------------------------

_NO_TZ = lazy_regex(r"\btimezone\s*=\s*True\b", re.I)


@change_rule(
    "prefer-timestamptz", severity=Severity.WARNING, on=COLUMN_CHANGES, dialects={"postgresql"}, enabled=False
)
def prefer_timestamptz(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """A timestamp column without time zone: it stores wall-clock times that mean different instants."""
    for col, line in columns(change):
        base, args = split_type(element_type(col.type))
        plain = base in {"DATETIME", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE"} and not _NO_TZ.search(args)
        if plain:
            yield Hit(
                f"column {_table(change)}.{col.name} is {col.type} (timestamp WITHOUT time zone): the value "
                f"keeps no offset, so the same stored time means different instants for sessions in "
                f"different "
                f"time zones and around DST changes",
                line=line,
                fix=f'sa.Column({lit(col.name)}, sa.DateTime(timezone=True))  # timestamptz',
            )


# -- prefer-text-over-varchar ---------------------------------------------------------------------

_VARCHARS = {"STRING", "VARCHAR", "UNICODE", "CHARACTER VARYING", "NVARCHAR"}


@change_rule(
    "prefer-text-over-varchar",
    severity=Severity.WARNING,
    on=COLUMN_CHANGES,
    dialects={"postgresql"},
    enabled=False,
)
def prefer_text_over_varchar(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """A length-limited varchar: text with a CHECK is as fast and far cheaper to change."""
    for col, line in columns(change):
        base, args = split_type(element_type(col.type))
        if base in _VARCHARS and re.search(r"\d", args):
            yield Hit(
                f"column {_table(change)}.{col.name} is {col.type}: lowering the limit later needs an ACCESS "
                f"EXCLUSIVE lock and a table rewrite, while text plus a CHECK constraint can be changed with "
                f"NOT VALID and VALIDATE (varchar(n) is not faster than text in PostgreSQL)",
                line=line,
                fix=(
                    f'sa.Column({lit(col.name)}, sa.Text())\n'
                    f'op.create_check_constraint("ck_{_table(change)}_{col.name}_length", '
                    f'{lit(_table(change))}, '
                    f'"length({col.name}) <= N")'
                ),
            )


# -- ban-char-field -------------------------------------------------------------------------------


@change_rule(
    "ban-char-field", severity=Severity.WARNING, on=COLUMN_CHANGES, dialects={"postgresql"}, enabled=False
)
def ban_char_field(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """A ``char(n)`` column: blank-padded, no faster than text, and a source of comparison bugs."""
    for col, line in columns(change):
        base, _ = split_type(element_type(col.type))
        if base in {"CHAR", "NCHAR", "CHARACTER", "BPCHAR"}:
            yield Hit(
                f"column {_table(change)}.{col.name} is {col.type}: char(n) pads values with spaces, which "
                f"trailing-space comparisons and LIKE then see differently, and it is no faster than text",
                line=line,
                fix=f'sa.Column({lit(col.name)}, sa.Text())  # or sa.String() without a length',
            )


# -- json-instead-of-jsonb ------------------------------------------------------------------------


@change_rule("json-instead-of-jsonb", severity=Severity.INFO, on=COLUMN_CHANGES, dialects={"postgresql"})
def json_instead_of_jsonb(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """A ``json`` column on PostgreSQL, where ``jsonb`` is what almost everyone wants."""
    if lookback.partition_parent(ctx, _table(change)) is not None:
        return  # a partition has its parent's types (held-out-19 #60): the parent's column is the one to change
    for col, line in columns(change):
        # JSON().with_variant(JSONB(), "postgresql") is JSONB here (held-out-23 #67)
        base, _ = split_type(built_type(col.type, ctx.dialect) if col.type else col.type)
        if base == "JSON" and (change.origin == "sql" or _sqlalchemy_type(ctx, col.type_module)
                               or _decorator_stores_json(ctx, col.type)):
            yield Hit(
                f"column {_table(change)}.{col.name} is json, not jsonb: json has no equality operator, so "
                f"SELECT DISTINCT, GROUP BY, UNION and = fail on it, it cannot be indexed with GIN, and "
                f"it is "
                f"re-parsed on every access",
                line=line,
                fix=f'from sqlalchemy.dialects import postgresql\nsa.Column({lit(col.name)}, '
                    f'postgresql.JSONB())',
            )


#: Modules through which revisions reach SQLAlchemy's types (``sa.JSON``, ``postgresql.JSON``, ``db.JSON``).
_SQLALCHEMY_MODULES = {"sa", "sqlalchemy", "postgresql", "pg", "postgres", "psql", "types", "sqltypes", "db",
                       "mysql", "sqlite", "dialects", "sqlalchemy.types", "sqlalchemy.dialects.postgresql"}


def _sqlalchemy_type(ctx: RevisionContext, module: str | None, name: str = "JSON") -> bool:
    """The column type is SQLAlchemy's own, not an application class with the same name (a
    ``TypeDecorator`` called ``JSON`` whose ``impl`` is JSONB): such a type is judged by what the
    application's decorator stores (``_decorator_stores_json``)."""
    imports = ctx.migration.imports
    if module is not None:  # ``x.JSON``: whoever ``x`` is
        top = module.split(".")[0]
        if any(top in imp.names and imp.module.split(".")[0] != "sqlalchemy" for imp in imports):
            return False  # ``from app import types`` shadows a familiar name
        return module in _SQLALCHEMY_MODULES or top in _SQLALCHEMY_MODULES
    for imp in imports:  # a bare ``JSON``: whoever imported it
        if imp.module.split(".")[0] != "sqlalchemy" and (name in imp.names or "*" in imp.names):
            return False
    return True


#: Types of libraries migcheck knows without reading them: name -> the type they store when no
#: ``impl`` argument is given (sqlalchemy_utils' ``ChoiceType(choices, impl=None)`` stores Unicode(255)).
_LIBRARY_IMPLS = {"ChoiceType": "Unicode(255)"}


#: Library column types whose stored type is fixed whatever their arguments, each only when the revision
#: imports it from that library (an application's own ``UrlType`` is read from the application): name ->
#: (the library's top-level package, the type it stores), read in the library's source.
_LIBRARY_TYPES: dict[str, tuple[str, str]] = {
    # sqlalchemy-utils 0.42 (and since 0.26.14, 2014; CHAR(50) before): impl = types.Unicode(50)
    "TimezoneType": ("sqlalchemy_utils", "Unicode(50)"),
    # sqlalchemy-utils 0.42 (since URLType was added, 2013): impl = types.UnicodeText
    "URLType": ("sqlalchemy_utils", "UnicodeText()"),
    # sqlalchemy-utils 0.42: impl = types.String(2) / types.String(3) / types.Unicode(10)
    "CountryType": ("sqlalchemy_utils", "String(2)"),
    "CurrencyType": ("sqlalchemy_utils", "String(3)"),
    "LocaleType": ("sqlalchemy_utils", "Unicode(10)"),
    # coaster.sqlalchemy.UrlType(URLType): impl = sa.Unicode since coaster 0.7 (2022, 369ce39), UnicodeText
    # from 2019 (e77b4fa); __init__ passes no length: varchar or text, never bounded
    "UrlType": ("coaster", "Unicode()"),
}


def _library_type(ctx: RevisionContext, name: str, module: str | None) -> str | None:
    """The type a library's column type stores (_LIBRARY_TYPES), when the revision imports ``name`` (or the
    ``module`` it is written under, ``sqlalchemy_utils.URLType()``) from that library; None otherwise."""
    known = _LIBRARY_TYPES.get(name)
    if known is None:
        return None
    written = module.split(".")[0] if module else name
    for imp in ctx.migration.imports:
        if imp.level or written not in imp.bound:
            continue
        original = imp.names[imp.bound.index(written)] if len(imp.names) == len(imp.bound) else written
        if module is None and original != name:
            return None  # from sqlalchemy_utils import CountryType as URLType
        return known[1] if imp.module.split(".")[0] == known[0] else None
    return None


def _sqlalchemy_alias(ctx: RevisionContext, name: str) -> str | None:
    """SQLAlchemy's name for a type the revision imports from an application module that only re-binds
    SQLAlchemy's (assembl's ``from sqlalchemy import Unicode as CoerceUnicode``, imported by a revision from
    ``assembl.lib.sqla_types``: held-out-20 #28), read from the application's source, never imported."""
    if ctx.constants is None:
        return None
    for imp in ctx.migration.imports:
        if imp.level == 0 and imp.names and name in imp.bound and imp.module.split(".")[0] != "sqlalchemy":
            dotted = ctx.constants.outside_name(imp.module, imp.names[imp.bound.index(name)])
            if dotted is None or not dotted.startswith("sqlalchemy."):
                return None
            alias = dotted.rsplit(".", 1)[-1]
            parsed = parse_type(alias)
            return alias if parsed is not None and parsed.name in KNOWN_TYPE_NAMES else None
    return None


def stored_type(ctx: RevisionContext, text: str | None, module: str | None = None) -> tuple[str | None, bool]:
    """(the type PostgreSQL stores for ``text``, whether migcheck knows it). SQLAlchemy's own types are
    themselves; an application or library type (a ``TypeDecorator``) is its ``impl`` when it can be read
    statically (the application's class, sqlalchemy_utils' ``ChoiceType``), and unknown otherwise. A
    type built by a factory is the type it builds: ``MutableDict.as_mutable(T)`` stores ``T``, an
    application function that only returns a type (``JsonLongDictType()``) what it returns, and
    ``A.with_variant(B, "mysql")`` ``B`` on MySQL, ``A`` elsewhere (held-out-4: mistral 005)."""
    return _stored_type(ctx, text, module, 0)


def _stored_type(ctx: RevisionContext, text: str | None, module: str | None, depth: int) -> tuple[str | None, bool]:
    if not text:
        return text, True
    text = built_type(text, ctx.dialect)
    name = text.partition("(")[0].rsplit(".", 1)[-1].strip()
    parsed = parse_type(text)
    if parsed is not None and parsed.name == "enum" and (depth > 0 or _sqlalchemy_type(ctx, module, name)):
        is_varchar, length = non_native_enum(text)
        if is_varchar and length is not None:
            return f"VARCHAR({length})", True
    app = ctx.app.head if ctx.app else None
    if depth == 0 and module is None and (alias := _sqlalchemy_alias(ctx, name)) is not None:
        return _stored_type(ctx, alias + text.strip()[len(name):], "sqlalchemy", 1)
    decorator = app.type_decorators.get(name) if app else None
    factory = app.type_factories.get(name) if app and decorator is None else None
    if depth == 0 and _sqlalchemy_type(ctx, module, name) and parsed is not None and parsed.name in KNOWN_TYPE_NAMES:
        return text, True
    if depth > 0 and decorator is None and factory is None and parsed is not None \
            and parsed.name in KNOWN_TYPE_NAMES:
        return text, True  # SQLAlchemy's type, named inside the application
    if name in _LIBRARY_IMPLS:
        return _library_impl(text, _LIBRARY_IMPLS[name])
    if depth == 0 and (library := _library_type(ctx, name, module)) is not None:
        return library, True
    if depth >= 8:
        return text, False
    if factory is not None:
        return _stored_type(ctx, factory, None, depth + 1)
    impl_text = decorator.impl_for(ctx.dialect) if decorator else None
    if impl_text:
        resolved, known = _stored_type(ctx, impl_text, None, depth + 1)
        return (resolved, True) if known else (impl_text, True)  # an impl not read further: as written
    return text, False


def non_native_enum(text: str | None) -> tuple[bool, int | None]:
    """(whether ``text`` is ``Enum(..., native_enum=False)``, the length of the VARCHAR it stores when known).
    SQLAlchemy stores a non-native enum as ``VARCHAR(length)``, ``length`` defaulting to the longest label
    (and refusing one shorter than that); labels from a Python enum class are not known here."""
    if not text or "native_enum" not in text:
        return False, None
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return False, None
    if not isinstance(call, ast.Call):
        return False, None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    native = keywords.get("native_enum")
    if not (isinstance(native, ast.Constant) and native.value is False):
        return False, None
    length = keywords.get("length")
    if length is not None:
        given = length.value if isinstance(length, ast.Constant) else None
        return True, given if isinstance(given, int) and not isinstance(given, bool) and given > 0 else None
    labels = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if not labels or len(labels) != len(call.args):
        return True, None  # a Python enum class, *values: the labels are the application's
    return True, max(len(label) for label in labels)


def built_type(text: str, dialect: str) -> str:
    """``MutableDict.as_mutable(JSONType())`` -> ``JSONType()``; ``Text().with_variant(LONGTEXT(), "mysql")``
    -> ``LONGTEXT()`` on MySQL, ``Text()`` elsewhere; any other text as it is."""
    if "as_mutable" not in text and "with_variant" not in text:
        return text
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return text
    while isinstance(node, ast.Call) and isinstance(func := node.func, ast.Attribute) and not node.keywords:
        if func.attr == "as_mutable" and len(node.args) == 1:
            node = node.args[0]
        elif func.attr == "with_variant" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            # with_variant(B, "mysql", "postgresql"): B for every dialect named (SQLAlchemy 2)
            named = {a.value for a in node.args[1:] if isinstance(a, ast.Constant)}
            node = node.args[0] if dialect in named else func.value
        else:
            break
    return ast.unparse(node)


def _decorator_stores_json(ctx: RevisionContext, type_text: str | None) -> bool:
    """An application ``TypeDecorator`` of that name whose impl (or ``load_dialect_impl``) on
    PostgreSQL is plain JSON. One migcheck could not read, or that stores JSONB, is not judged."""
    head = ctx.app.head if ctx.app else None
    name = (type_text or "").partition("(")[0].rsplit(".", 1)[-1].strip()
    decorator = head.type_decorators.get(name) if head and name else None
    impl = decorator.impl_for("postgresql") if decorator else None
    return split_type(impl)[0] == "JSON"


def _library_impl(text: str, default: str) -> tuple[str | None, bool]:
    """``ChoiceType(ROLES)`` -> its default impl; ``ChoiceType(ROLES, impl=sa.Integer())`` (or the impl
    passed second) -> that impl."""
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return text, False
    if not isinstance(call, ast.Call):
        return default, True
    given = next((k.value for k in call.keywords if k.arg == "impl"), call.args[1] if len(call.args) > 1 else None)
    return (ast.unparse(given), True) if given is not None else (default, True)


# -- identifier-too-long --------------------------------------------------------------------------

LIMITS = {"postgresql": 63, "mysql": 64}


def _names(change: Change) -> list[tuple[str, str, int]]:
    """(what, name, line) for every identifier a change introduces."""
    out: list[tuple[str, str, int]] = []
    if isinstance(change, CreateTable):
        out.append(("table", change.table, change.line))
        out.extend(("column", c.name, c.line or change.line) for c in change.columns if c.name)
    elif isinstance(change, AddColumn) and change.column.name:
        out.append(("column", change.column.name, change.line))
    elif isinstance(change, RenameTable):
        out.append(("table", change.new_name, change.line))
    elif isinstance(change, RenameColumn):
        out.append(("column", change.new_name, change.line))
    elif isinstance(change, CreateIndex) and change.name:
        out.append(("index", change.name, change.line))
    elif isinstance(change, AddConstraint) and change.name:
        out.append(("constraint", change.name, change.line))
    return [(what, name, line) for what, name, line in out if not name.startswith("<") and name != "?"]


def _cut_note(name: str, limit: int, cut_by: str, when: str) -> str:
    """What an op.f()/naming-convention name this long becomes, for both dialects' messages."""
    cut = sqlalchemy_truncated(name, limit)
    return (f"wrapped in op.f() or made by a naming convention {cut_by} to {len(cut)} characters with a hash "
            f"suffix ({cut!r}){when}, so the name in the database is not the one in the code")


def _named_by_convention(ctx: RevisionContext, change: Change) -> bool:
    """The target metadata's naming convention (read from the application) turns the index's or constraint's
    given name into a ``conv`` name (its template for the kind uses ``%(constraint_name)s``), which
    SQLAlchemy cuts instead of refusing, as Alembic builds every op's objects on that convention."""
    head = ctx.app.head if ctx.app else None
    kind = "index" if isinstance(change, CreateIndex) else getattr(change, "kind_of", None)
    return head is not None and template_for(head.naming_convention, kind) is not None


@change_rule(
    "identifier-too-long",
    severity=Severity.WARNING,
    on=(CreateTable, AddColumn, RenameTable, RenameColumn, CreateIndex, AddConstraint, DropIndex, DropConstraint,
        RawSQL),
    dialects={"postgresql", "mysql"},
    phases=("upgrade", "downgrade"),
)
def identifier_too_long(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """A table, column, index or constraint name longer than the server keeps."""
    limit = LIMITS[ctx.dialect]
    if isinstance(change, DropIndex | DropConstraint | RawSQL):
        yield from _plain_references(ctx, change, limit)  # in either phase: a downgrade's drop fails as well
        return
    if change.phase != "upgrade":
        return
    for what, name, line in _names(change):
        size = len(name.encode("utf-8")) if ctx.dialect == "postgresql" else len(name)
        if size <= limit:
            continue
        # A name in op.execute() SQL never passes through SQLAlchemy: PostgreSQL gets it as written.
        python_name = change.origin == "python" and change.sql is None and what in {"index", "constraint"}
        if python_name and getattr(change, "name_converted", False) and len(name) > limit:
            # op.f("..."): SQLAlchemy (counting characters) cuts it to the same hashed name wherever it is written (the create, the
            # downgrade's drop through op.f, a model's index=True or convention): nothing fails (checked with
            # Alembic 1.20 / SQLAlchemy 2.1 on PostgreSQL 15, offline on MySQL; held-out-14 #54-#57). A plain
            # reference to the same name misses it: _plain_references reports that one (review17)
            continue
        if python_name and len(name) > limit and _named_by_convention(ctx, change):
            # op.create_check_constraint("long", ...) under env.py's "ck": "ck_%(table_name)s_%(constraint_name)s":
            # the convention makes a conv name of it, cut to the same hashed name wherever SQLAlchemy renders it
            # (the downgrade's drop_constraint, the model): nothing fails (held-out-16 #48, PostgreSQL 15).
            continue
        if ctx.dialect == "postgresql" and python_name and len(name) > limit:
            # Checked with SQLAlchemy 2.1 on PostgreSQL 15; SQLAlchemy counts characters, not bytes.
            why = (
                f"SQLAlchemy refuses a plain name this long (IdentifierError: 'exceeds maximum length of {limit} "
                f"characters'), so the deploy fails; {_cut_note(name, limit, 'it is cut', '')}"
            )
        elif ctx.dialect == "postgresql":
            kept = name.encode("utf-8")[:limit].decode("utf-8", "ignore")
            why = (
                f"PostgreSQL truncates it to 63 bytes ({kept!r}) with only a NOTICE: the database then holds another "
                f"name than the code (autogenerate keeps seeing a difference), and two long names that share "
                f"their first 63 bytes collide ('already exists')"
            )
        else:
            why = (
                "MySQL and MariaDB refuse names over 64 characters (error 1059 'Identifier name ... is too "
                "long'; 1103 'Incorrect table name' for tables), so the deploy fails"
            )
            if python_name:
                # SQLAlchemy 2.1's MySQL dialect passes a plain long name on to the server (checked), but cuts
                # an op.f()/convention name to fit first.
                why += f"; {_cut_note(name, limit, 'SQLAlchemy cuts it', ' first')}"
        unit = "bytes" if ctx.dialect == "postgresql" else "characters"
        yield Hit(
            f"{what} name {name!r} is {size} {unit} long: {why}",
            line=line,
            fix=f"use a shorter explicit name (at most {limit} {unit}), e.g. "
            'op.f("fk_orders_customer"), or a shorter naming_convention in MetaData',
        )


def _plain_references(ctx: RevisionContext, change: DropIndex | DropConstraint | RawSQL, limit: int) -> Iterator[Hit]:
    """A name the history creates through op.f() (cut to a hashed name), referenced here without op.f(): in
    ``op.drop_index("long_name")`` SQLAlchemy refuses it, in SQL the server looks for another name."""
    creates = converted_creates(ctx, limit)
    if not creates:
        return
    if isinstance(change, RawSQL):
        text = (change.text or "").lower()
        names = [n for n in creates if n in text and re.search(rf"(?<![\w$]){re.escape(n)}(?![\w$])", text)]
    else:
        names = [change.name.lower()] if change.name and not change.name_converted \
            and change.name.lower() in creates else []
    for name in names:
        migration, line = creates[name]
        where = f"line {line}" if migration is ctx.migration else f"revision {migration.revision} ({migration.path.name}:{line})"
        cut = sqlalchemy_truncated(name, limit)
        python_name = change.origin == "python" and change.sql is None
        if ctx.dialect == "mysql":
            fails = "MySQL and MariaDB refuse a name over 64 characters (error 1059)"
        elif python_name:
            fails = f"SQLAlchemy refuses the plain name (IdentifierError: 'exceeds maximum length of {limit} characters')"
        else:
            fails = "PostgreSQL looks for its first 63 bytes, another name"
        yield Hit(
            f"name {name!r} is {len(name)} characters long and is created with op.f() at {where}, which SQLAlchemy "
            f"cuts to the hashed name {cut!r}; this plain reference does not match it: {fails}, so the "
            f"statement fails or misses the object",
            line=change.line,
            fix=f'write the name as op.f({lit(name)}) here too, or give the object a name of at most {limit} characters',
        )
