"""SQL text to Change IR, through sqlglot.

Used for strings given to ``op.execute`` / ``sa.text`` and for offline
``alembic upgrade --sql`` files. What sqlglot parses into a known shape
becomes a typed change; the rest stays ``RawSQL`` with its leading keywords,
so token-level rules still see it. sqlglot is imported lazily: most revisions
have no SQL text, and ``lint`` must start fast.

``text`` reads SQL without a parser, ``tree`` holds sqlglot itself, ``where``
answers what a WHERE clause leaves, ``convert`` turns a parsed statement into
changes, ``statements`` drives the whole text, and ``copies`` answers the
rules' questions about data copied before a drop.
"""

from __future__ import annotations

from migcheck.extract.sql.copies import (
    boolean_value_set,
    copies_column,
    copies_column_out,
    copies_every_row,
    selects_column,
)
from migcheck.extract.sql.statements import changes_from_sql, statement_changes
from migcheck.extract.sql.text import leading_keyword
from migcheck.extract.sql.where import null_tests, unbounded_where

__all__ = [
    "boolean_value_set",
    "changes_from_sql",
    "copies_column",
    "copies_column_out",
    "copies_every_row",
    "leading_keyword",
    "null_tests",
    "selects_column",
    "statement_changes",
    "unbounded_where",
]
