"""The names SQLAlchemy gives indexes and constraints through a naming convention, and how it cuts them.

A name a ``MetaData(naming_convention=...)`` template makes (``"ck": "ck_%(table_name)s_%(constraint_name)s"``)
or one wrapped in ``op.f()`` is a ``conv``: SQLAlchemy's compiler cuts it when it is longer than the dialect
keeps (``IdentifierPreparer._truncate_and_render_maxlen_name``) instead of refusing it as it refuses a plain
name, so the database holds a shorter, hashed name that every later ``conv`` of the same text matches.
"""

from __future__ import annotations

import hashlib

from migcheck.vocabulary.lazyregex import lazy_regex

#: Change kinds (``AddConstraint.kind_of``, ``DropConstraint``'s ``type_=``) -> naming-convention keys.
CONVENTION_KEYS = {"check": "ck", "unique": "uq", "foreign_key": "fk", "foreignkey": "fk",
                   "primary_key": "pk", "primary": "pk", "index": "ix"}

#: The longest index / constraint name each dialect of SQLAlchemy 2.x renders (``max_index_name_length``
#: or ``max_constraint_name_length``, else ``max_identifier_length``): PostgreSQL 63, MySQL 64 (its
#: ``max_identifier_length`` of 255 is for other names); SQLite's default of 9999 never cuts anything.
CONV_LIMITS = {"postgresql": 63, "mysql": 64}

_TOKEN = lazy_regex(r"%\((\w+)\)s")


def sqlalchemy_truncated(name: str, limit: int) -> str:
    """The name SQLAlchemy's compiler gives a too-long ``conv``/``op.f()`` name (a ``_truncated_label``):
    ``_truncate_and_render_maxlen_name`` keeps ``limit - 8`` characters, then ``_`` and the last four hex
    digits of the name's MD5 (``util.md5_hex``), so ``limit - 3`` characters in all. Characters, not bytes."""
    if len(name) <= limit:
        return name
    digest = hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{name[:limit - 8]}_{digest[-4:]}"


def as_rendered(name: str, dialect: str) -> str:
    """A ``conv`` name as ``dialect``'s compiler writes it (cut when longer than the dialect keeps)."""
    limit = CONV_LIMITS.get(dialect)
    return sqlalchemy_truncated(name, limit) if limit else name


def template_for(convention: dict[str, str] | None, kind: str | None) -> str | None:
    """The convention's template for an explicitly named ``kind`` that uses ``%(constraint_name)s``: the
    one that turns the given name into a ``conv`` name; None when the name is kept as written."""
    template = (convention or {}).get(CONVENTION_KEYS.get(kind or "", ""))
    return template if template is not None and "%(constraint_name)s" in template else None


def conventional(convention: dict[str, str], kind: str | None, name: str, table: str | None,
                 columns: list[str], *, dialect: str, converted: bool = False) -> str | None:
    """The name SQLAlchemy gives an explicitly named ``kind`` under ``convention`` on ``dialect``: an
    ``op.f()`` name (``converted``) as written, cut; the template filled in and cut when it uses
    ``%(constraint_name)s``; else the name as written. None when a token cannot be filled from what the
    change says."""
    if converted:
        return as_rendered(name, dialect)
    template = template_for(convention, kind)
    if template is None:
        return name
    values = {"constraint_name": name, "table_name": table or ""}
    if columns:
        values.update(column_0_name=columns[0].lower(), column_0_label=f"{values['table_name']}_{columns[0].lower()}",
                      column_0N_name="".join(c.lower() for c in columns),
                      column_0_N_name="_".join(c.lower() for c in columns))
    tokens = _TOKEN.findall(template)
    if not values["table_name"] or any(t not in values for t in tokens):
        return None
    return as_rendered(_TOKEN.sub(lambda m: values[m.group(1)], template), dialect)
