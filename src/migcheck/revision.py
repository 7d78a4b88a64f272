"""Revision headers read from a module's AST, and the migration they describe.

The module is never imported: ``revision = "abc"`` and friends are read as
literals (plain or annotated assignments, or names of module-level string
constants), because the GitHub Action lints pull requests from strangers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.changes import Change

HEADER_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")


class HeaderError(ValueError):
    """A header that is present but not a literal migcheck can read."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Body:
    """One of ``upgrade()`` / ``downgrade()``: where it is and what it changes."""

    line: int
    changes: list[Change] = field(default_factory=list)
    #: Only ``pass``, ``...``, a docstring or ``raise NotImplementedError``.
    trivial: bool = False
    #: True when the body does something migcheck could not model (calls it cannot follow).
    opaque: bool = False


@dataclass
class Migration:
    """One revision: its headers from the file, and the changes of each direction."""

    path: Path
    revision: str
    down_revisions: tuple[str, ...]
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    message: str | None = None
    line: int = 1
    down_line: int = 1
    origin: str = "python"
    upgrade: Body | None = None
    downgrade: Body | None = None
    #: The file's lines, kept for inline suppression comments.
    source_lines: list[str] = field(default_factory=list)

    @property
    def upgrade_changes(self) -> list[Change]:
        return self.upgrade.changes if self.upgrade else []

    @property
    def downgrade_changes(self) -> list[Change]:
        return self.downgrade.changes if self.downgrade else []


def module_constants(tree: ast.Module) -> dict[str, object]:
    """Module-level names bound to string (or tuple/list of string) literals."""
    consts: dict[str, object] = {}
    for node in tree.body:
        target, value = _assignment(node)
        if target is None or value is None:
            continue
        literal = literal_value(value, consts)
        if literal is not _UNKNOWN:
            consts[target] = literal
    return consts


_UNKNOWN = object()


def literal_value(node: ast.expr, consts: dict[str, object]) -> object:
    """A str / None / tuple of str literal, following names of known constants."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return node.value
    if isinstance(node, ast.Name) and node.id in consts:
        return consts[node.id]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [literal_value(elt, consts) for elt in node.elts]
        if all(isinstance(item, str) for item in items):
            return tuple(items)
    return _UNKNOWN


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


@dataclass
class Header:
    revision: str
    down_revisions: tuple[str, ...]
    branch_labels: tuple[str, ...]
    depends_on: tuple[str, ...]
    message: str | None
    line: int
    down_line: int


def read_header(tree: ast.Module, consts: dict[str, object] | None = None) -> Header | None:
    """The revision header, or None when the module is not a revision (helpers, ``__init__``).

    ``consts``: the module's constants when the caller already has them (one pass per file).
    """
    consts = module_constants(tree) if consts is None else consts
    found: dict[str, tuple[object, int]] = {}
    for node in tree.body:
        target, value = _assignment(node)
        if target in HEADER_NAMES and value is not None:
            found[target] = (literal_value(value, consts), node.lineno)
    if "revision" not in found:
        return None
    revision, line = found["revision"]
    if not isinstance(revision, str) or not revision:
        raise HeaderError("`revision` must be a non-empty string literal", line)
    down, down_line = found.get("down_revision", (None, line))
    if "down_revision" not in found:
        raise HeaderError(f"revision {revision} has no `down_revision` (use None for a base revision)", line)
    return Header(
        revision=revision,
        down_revisions=_as_tuple(down, "down_revision", down_line),
        branch_labels=_lenient_tuple(found.get("branch_labels", (None, 0))[0], f"?{revision}"),
        depends_on=_lenient_tuple(found.get("depends_on", (None, 0))[0], None),
        message=_docstring_message(tree),
        line=line,
        down_line=down_line,
    )


def _as_tuple(value: object, name: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return value
    raise HeaderError(f"`{name}` must be a string, a tuple/list of strings or None", line)


def _lenient_tuple(value: object, unknown: str | None) -> tuple[str, ...]:
    """Labels and dependencies written as expressions (``(cli.EXPAND_BRANCH,)``) are legal Alembic.

    They cannot be read statically; an unknown label is kept as a placeholder unique to the revision,
    so that the graph still knows the branch is labelled, and an unknown dependency is dropped.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return value
    return (unknown,) if unknown else ()


def _docstring_message(tree: ast.Module) -> str | None:
    doc = ast.get_docstring(tree)
    if not doc:
        return None
    first = doc.strip().splitlines()[0].strip()
    return first or None
