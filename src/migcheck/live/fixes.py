"""The `op.*` calls that repair a downgrade, from what the live cycle saw it leave behind or lose.

Kept apart from the cycle: it is pure text from schema differences, and unit-testable without a server.
"""

from __future__ import annotations

import re

from migcheck.live.schema import Difference

# A column's snapshot text: "<TYPE> [NOT ]NULL [DEFAULT ...] [GENERATED ...] [COMMENT ...]".
_COLUMN = re.compile(
    r"^(?P<type>.+?) (?P<null>NOT NULL|NULL)(?: DEFAULT (?P<default>.+?))?(?: GENERATED .*| COMMENT .*)?$"
)
_TIMESTAMP = re.compile(r"^(TIMESTAMP|TIME)(?:\((\d+)\))? (WITH|WITHOUT) TIME ZONE$")
_INDEX = re.compile(r"^(?P<unique>UNIQUE )?\((?P<columns>.*)\)$")


def sa_type(text: str) -> str | None:
    """`NUMERIC(10, 2)` -> `sa.NUMERIC(10, 2)`: SQLAlchemy's upper-case type of the reflected name."""
    import sqlalchemy

    zone = _TIMESTAMP.match(text)
    if zone:
        args = [zone.group(2)] if zone.group(2) else []
        args += ["timezone=True"] if zone.group(3) == "WITH" else []
        return f"sa.{zone.group(1)}({', '.join(args)})"
    name, paren, rest = text.partition("(")
    attr = name.strip().replace(" ", "_")
    if attr.isidentifier() and isinstance(getattr(sqlalchemy, attr, None), type):
        return f"sa.{attr}({rest.removesuffix(')') if paren else ''})"
    return None


def _add_column(table: str, column: str, before: str | None) -> str:
    match = _COLUMN.match(before or "")
    kind = sa_type(match.group("type")) if match else None
    if match is None or kind is None:
        return f'op.add_column("{table}", sa.Column("{column}", ...))  # as it was: {before}'
    args = [f'"{column}"', kind]
    if match.group("default"):
        args.append(f"server_default=sa.text({match.group('default')!r})")
    args.append(f"nullable={match.group('null') == 'NULL'}")
    return f'op.add_column("{table}", sa.Column({", ".join(args)}))'


def _create_index(table: str, index: str, before: str | None) -> str:
    match = _INDEX.match(before or "")
    columns = [c.strip() for c in match.group("columns").split(",")] if match else []
    unique = ", unique=True" if match and match.group("unique") else ""
    listed = ", ".join(f'"{c}"' for c in columns)
    return f'op.create_index("{index}", "{table}", [{listed}]{unique})'


def repair_lines(differences: list[Difference]) -> list[str]:
    """One `op.*` call per difference migcheck knows how to undo (others are in the message)."""
    lines = []
    for d in differences:
        kind, _, name = d.key.partition(" ")
        if d.key.startswith("enum type "):
            if d.kind == "left behind":
                lines.append(f'op.execute("DROP TYPE {d.key.removeprefix("enum type ")}")')
            continue
        table, _, member = name.rpartition(".")
        if d.kind == "left behind" and kind == "table":
            lines.append(f'op.drop_table("{name}")')
        elif d.kind == "left behind" and kind == "column":
            lines.append(f'op.drop_column("{table}", "{member}")')
        elif d.kind == "left behind" and kind == "index":
            lines.append(f'op.drop_index("{member}", table_name="{table}")')
        elif d.kind == "lost" and kind == "column":
            lines.append(_add_column(table, member, d.before))
        elif d.kind == "lost" and kind == "index":
            lines.append(_create_index(table, member, d.before))
    return lines


def inverse_fix(differences: list[Difference]) -> str | None:
    """The fix of `downgrade-not-inverse`: what to add to downgrade(), or None when migcheck cannot say."""
    lines = repair_lines(differences)
    return "add to downgrade():\n" + "\n".join(lines) if lines else None


def reupgrade_fix(downgrade_diff: list[Difference]) -> str:
    """The fix of `upgrade-not-repeatable`, from what the downgrade before it got wrong.

    A downgrade that lost what the upgrade dropped must re-create it; telling the user to remove
    what upgrade creates would be the opposite of the repair.
    """
    lost = [d for d in downgrade_diff if d.kind == "lost"]
    left = [d for d in downgrade_diff if d.kind == "left behind"]
    if lost and not left:
        what = "make downgrade() re-create what upgrade() drops, so the upgrade can run again"
    elif left and not lost:
        what = "make downgrade() remove everything upgrade() creates, so the upgrade can run again"
    else:
        what = "make downgrade() undo exactly what upgrade() does, so the upgrade can run again"
    lines = repair_lines(downgrade_diff)
    return what + (":\n" + "\n".join(lines) if lines else "")
