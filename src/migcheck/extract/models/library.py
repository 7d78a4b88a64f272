"""Base classes from libraries outside the project whose columns are known.

A model whose base comes from outside the project usually makes its table incomplete (the base
may add columns migcheck cannot see). A few library bases are common enough, and stable enough,
to be known instead: oslo.db's (every OpenStack project's models derive from them). Each entry is
what the library's source defines, checked against ``oslo_db/sqlalchemy/models.py``:
``ModelBase`` defines no column; ``TimestampMixin`` ``created_at`` (DateTime, a Python default) and
``updated_at`` (DateTime, ``onupdate`` only); ``SoftDeleteMixin`` ``deleted_at`` (DateTime) and
``deleted`` (``SoftDeleteInteger``, a TypeDecorator whose impl is Integer, default 0; plain
``Integer`` in older releases). advanced_alchemy's declarative bases without a primary key
(``advanced_alchemy/base.py``: ``BasicAttributes`` and ``CommonTableAttributes`` define methods and
a ``__tablename__`` directive, ``AdvancedDeclarativeBase`` a registry, ``SQLQuery`` joins the three
with ``AsyncAttrs``) define no column. Flask-Login's ``UserMixin`` (``flask_login/mixins.py``, 0.6.3) and
Flask-Security's ``UserMixin``/``RoleMixin``/``WebAuthnMixin`` (``flask_security/core.py``, 5.9.2;
re-exported by the package) define properties and methods only: no column. A base not listed here
stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migcheck.extract.models.model import MappedColumn


@dataclass(frozen=True)
class _LibraryColumn:
    name: str
    type: str
    insert_default: bool = False


_OSLO = "oslo_db.sqlalchemy.models."
_ADVANCED_ALCHEMY = "advanced_alchemy.base."
#: Login and role mixins with methods and properties only (the names a project imports them by).
_METHOD_ONLY_MIXINS = ("flask_login.UserMixin", "flask_login.mixins.UserMixin", *(
    f"flask_security{module}.{name}" for module in ("", ".core") for name in ("UserMixin", "RoleMixin", "WebAuthnMixin")))

#: Fully qualified base name -> the columns it adds (empty: none).
LIBRARY_BASES: dict[str, tuple[_LibraryColumn, ...]] = {
    _OSLO + "ModelBase": (),
    _OSLO + "TimestampMixin": (_LibraryColumn("created_at", "DateTime", insert_default=True),
                               _LibraryColumn("updated_at", "DateTime")),
    _OSLO + "SoftDeleteMixin": (_LibraryColumn("deleted_at", "DateTime"),
                                _LibraryColumn("deleted", "Integer", insert_default=True)),
    **{_ADVANCED_ALCHEMY + name: () for name in ("BasicAttributes", "CommonTableAttributes", "AdvancedDeclarativeBase",
                                                 "SQLQuery")},
    **{name: () for name in _METHOD_ONLY_MIXINS},
}


def library_columns(base: str, path: Path, line: int) -> list[MappedColumn] | None:
    """The columns a known library base adds, placed at the class that names it (``path``, ``line``);
    None when the base is not a known one (its columns are unknown)."""
    known = LIBRARY_BASES.get(base)
    if known is None:
        return None
    owner = base.rsplit(".", 1)[-1]
    return [MappedColumn(table="", name=c.name, attribute=c.name, owner=owner, path=path, line=line, type=c.type,
                         nullable=None, insert_default=c.insert_default) for c in known]
