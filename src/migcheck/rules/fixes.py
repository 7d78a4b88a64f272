"""Small helpers that write the Alembic code of a fix."""

from __future__ import annotations

import json
import re

from migcheck.vocabulary.lazyregex import lazy_regex

_SQL_TO_SA = {
    "BIGINT": "sa.BigInteger()",
    "INT": "sa.Integer()",
    "INTEGER": "sa.Integer()",
    "SMALLINT": "sa.SmallInteger()",
    "TEXT": "sa.Text()",
    "BOOLEAN": "sa.Boolean()",
    "UUID": "sa.Uuid()",
    "DATE": "sa.Date()",
    "TIMESTAMP": "sa.DateTime()",
    "TIMESTAMPTZ": "sa.DateTime(timezone=True)",
    "JSONB": "postgresql.JSONB()",
    "JSON": "sa.JSON()",
    "DOUBLE PRECISION": "sa.Double()",
    "REAL": "sa.REAL()",
    "INET": "postgresql.INET()",
    "CIDR": "postgresql.CIDR()",
}
_PARAM = lazy_regex(r"^(VARCHAR|DECIMAL|NUMERIC)\s*\(([^)]*)\)$", re.I)


def lit(value: object) -> str:
    """A name from the revision as a Python string literal in the code of a fix.

    ``"orders"`` for ordinary names, as the fixes always read; a name holding quotes,
    backslashes, line breaks or controls is escaped, so the fix stays one valid Python
    expression and cannot close a markdown fence or forge a line in a log.
    """
    text = json.dumps(str(value), ensure_ascii=False)  # also a valid Python literal
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def index_name_lit(name: str | None, table: str | None, columns: list[str], sql: str | None) -> str:
    """The index name for a fix's ``op.create_index``: the user's, else what PostgreSQL names an unnamed
    ``CREATE INDEX ON t (a, b)`` (``t_a_b_idx``), else ``None`` as written (a naming convention names it)."""
    if name:
        return lit(name)
    if sql and table and columns and all(c.isidentifier() for c in columns):
        return lit("_".join([table.rsplit(".", 1)[-1], *columns, "idx"])[:63])
    return "None"


def shorten(sql: str, limit: int = 80) -> str:
    """The user's own SQL on one line, cut to ``limit`` characters: enough for a reader to see which
    statement a finding is about without pasting a whole migration into the message."""
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def sa_type(text: str | None) -> str:
    """A SQLAlchemy type expression for a type as migcheck read it (``String(50)`` or ``VARCHAR(50)``)."""
    if not text:
        return "sa.Text()"
    text = text.strip()
    if text.startswith(("sa.", "postgresql.")):
        return text
    upper = text.upper()
    if upper in _SQL_TO_SA:
        return _SQL_TO_SA[upper]
    if m := _PARAM.match(text):
        kind = "sa.String" if m.group(1).upper() == "VARCHAR" else "sa.Numeric"
        return f"{kind}({m.group(2)})"
    if text[:1].isupper() and not text.isupper() and re.match(r"^\w+(\(.*\))?$", text):
        return f"sa.{text}" if "(" in text else f"sa.{text}()"
    return f"sa.types.NullType()  # {' '.join(text.split())}"
