"""Whether an enum type's name exists before an upgrade and after its downgrade, followed through the steps.

An enum changed by the swap through a temporary type (``ALTER TYPE x RENAME TO tmp_x``, a new ``x``, the columns
converted, ``DROP TYPE tmp_x``; the downgrade the same way back, held-out-15 #41-#43) creates ``x`` and drops a
type, yet ``x`` is there before the upgrade and after the downgrade: nothing is left behind, nothing is missing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from migcheck.vocabulary.changes import RUNTIME_MARKS, Change, CreateEnumType, DropEnumType, RawSQL
from migcheck.vocabulary.lazyregex import lazy_regex

#: (``(?:\s*;)?\s*$``, not ``\s*;?\s*$``, which split a run of blanks two ways: cubic time.)
TYPE_RENAME = lazy_regex(r"^\s*ALTER\s+TYPE\s+(\S+)\s+RENAME\s+TO\s+(\S+?)(?:\s*;)?\s*$", re.I)
_ENUM_TYPE = lazy_regex(r"^(?:Enum|ENUM)\((.*)\)$", re.S)
_ENUM_NAME = lazy_regex(r"\bname\s*=\s*['\"]([^'\"]+)['\"]")
_ENUM_CLASS = lazy_regex(r"^\s*([A-Za-z_][\w.]*)\s*(?:,|$)")
_NO_TYPE = lazy_regex(r"\b(?:create_type|native_enum)\s*=\s*False\b")


@functools.lru_cache(maxsize=4096)
def bare_name(name: str | None) -> str | None:
    """Bare, lower-case name; None for names migcheck could not resolve (``<expr>``, ``?``, a run-time value):
    two unknown names are not the same object. Kept per name: downgrade-not-inverse asks it of every table name of
    every step, again and again."""
    if not name or name.startswith("<") or name == "?" or any(mark in name for mark in RUNTIME_MARKS):
        return None
    return name.split(".")[-1].strip('"`[]').lower()


def enum_type_of(type_text: str | None) -> str | None:
    """The PostgreSQL type name ``op.create_table`` creates for an ``sa.Enum`` column, if any."""
    m = _ENUM_TYPE.match(type_text or "")
    if m is None or _NO_TYPE.search(m.group(1)):
        return None
    if name := _ENUM_NAME.search(m.group(1)):
        return name.group(1).lower()
    if cls := _ENUM_CLASS.match(m.group(1)):  # sa.Enum(Mood): named after the Python enum class
        return cls.group(1).rsplit(".", 1)[-1].lower()
    return None


def type_rename(change: Change) -> tuple[str | None, str | None] | None:
    """(old, new) bare names of ``ALTER TYPE old RENAME TO new``; a side is None when unknown."""
    if isinstance(change, RawSQL) and change.text and (m := TYPE_RENAME.match(change.text)):
        return bare_name(m.group(1)), bare_name(m.group(2))
    return None


def _events(changes: list[Change], name: str) -> list[tuple[int, bool]]:
    """(position, made) of every step that makes the name ``name`` exist (create, rename to it) or ends it
    (drop, rename away from it)."""
    out: list[tuple[int, bool]] = []
    for index, change in enumerate(changes):
        if isinstance(change, CreateEnumType | DropEnumType) and bare_name(change.name) == name:
            out.append((index, isinstance(change, CreateEnumType)))
        elif (renamed := type_rename(change)) is not None:
            old, new = renamed
            if old == name:
                out.append((index, False))
            if new == name:
                out.append((index, True))
    return out


@dataclass(frozen=True)
class EnumLife:
    """What one revision does to one enum type name."""

    #: The upgrade's first step on the name ends it (renames it away, drops it): the type was there before.
    existed_before: bool
    #: The upgrade's last step on it makes it: the name is taken after the upgrade.
    made_by_upgrade: bool
    #: The downgrade's last step on the name: True makes it, False ends it, None leaves it as the upgrade did.
    downgrade_last: bool | None

    @property
    def restored(self) -> bool:
        """The name is there before the upgrade and made again by the downgrade. A type the upgrade replaced and
        the downgrade leaves alone is not: migcheck cannot see the labels, and the replacement may lack one the
        old code writes."""
        return self.existed_before and self.downgrade_last is True


def enum_life(upgrade: list[Change], downgrade: list[Change], name: str) -> EnumLife:
    """How ``name`` fares through the upgrade's steps and then the downgrade's."""
    up, down = _events(upgrade, name), _events(downgrade, name)
    return EnumLife(existed_before=bool(up) and not up[0][1], made_by_upgrade=bool(up) and up[-1][1],
                    downgrade_last=down[-1][1] if down else None)


def original_name(upgrade: list[Change], position: int, name: str) -> str | None:
    """The name the type dropped at ``position`` had before the upgrade, followed back through its renames
    (``tmp_x`` was ``x``); None when the upgrade made it itself or a rename's old name is unknown."""
    for change in reversed(upgrade[:position]):
        if isinstance(change, CreateEnumType) and bare_name(change.name) == name:
            return None
        if (renamed := type_rename(change)) is not None and renamed[1] == name:
            if renamed[0] is None:
                return None
            name = renamed[0]
    return name
