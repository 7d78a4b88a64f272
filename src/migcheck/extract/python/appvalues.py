"""Names the revision imports from the application, formatted into SQL (``{Role.ADMIN.value}``).

The extractor does not read the application: it records where such a value comes from, as
(module, attribute path), and ``unsafe-sql-interpolation`` asks the application's source
(``extract/models/constants.py``) whether it is a literal constant. The recorded reference depends on
the revision's text alone, so the load cache stays keyed by it.
"""

from __future__ import annotations

import ast
import sys

from migcheck.extract.python.nodes import binding_counts
from migcheck.vocabulary.astwalk import module_nodes

AppRef = tuple[str, tuple[str, ...]]

#: Modules that are never the application's.
_LIBRARIES = {"alembic", "sqlalchemy", "sqlmodel", "sqlalchemy_utils", "geoalchemy2", "typing_extensions"}


def module_imports(tree: ast.Module) -> dict[str, AppRef]:
    """Module-level imports of code that may be the application's, bound once in the module: local name ->
    (module, path). ``from app.models import Role`` -> ("app.models", ("Role",)); ``import app.consts as c``
    -> ("app.consts", ()); ``import app.consts`` -> ("app", ())."""
    counts = binding_counts(tree)
    found: dict[str, AppRef] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _library(node.module):
                continue
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = (node.module, (alias.name,))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _library(alias.name):
                    continue
                if alias.asname:
                    found[alias.asname] = (alias.name, ())
                else:
                    found[alias.name.split(".")[0]] = (alias.name.split(".")[0], ())
    written = _attributes_written(tree)
    return {name: ref for name, ref in found.items() if counts.get(name) == 1 and name not in written}


def _attributes_written(tree: ast.Module) -> set[str]:
    """Root names the revision sets attributes of (``app.__version__ = os.environ["X"]``, ``setattr(app, ...)``):
    what the application's source binds is not what such a name holds when the SQL is built (attack27d)."""
    written: set[str] = set()
    for node in module_nodes(tree):  # the module's one shared walk
        target: ast.expr | None = None
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            target = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args \
                and node.func.id in {"setattr", "delattr"}:
            target = node.args[0]
        while isinstance(target, ast.Attribute | ast.Subscript):
            target = target.value
        if isinstance(target, ast.Name):
            written.add(target.id)
    return written


def _library(module: str) -> bool:
    top = module.split(".")[0]
    return top in _LIBRARIES or top in sys.stdlib_module_names


def module_aliases(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``UPDATE = Action.UPDATE_ACTION`` (a name or an attribute chain), the name bound once."""
    counts = binding_counts(tree)
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Name | ast.Attribute) and counts.get(node.targets[0].id) == 1:
            found[node.targets[0].id] = node.value
    return found


def app_reference(node: ast.expr, imports: dict[str, AppRef], aliases: dict[str, ast.expr],
                  shadowed: set[str] | dict[str, object], depth: int = 0) -> AppRef | None:
    """Where ``node`` (a name or an attribute chain) comes from, when its root is an application import
    (directly or through a module-level alias); None otherwise. ``shadowed``: names the walk bound locally."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in shadowed or depth > 4:
        return None
    attrs.reverse()
    if node.id in imports:
        module, path = imports[node.id]
        full = (*path, *attrs)
        return (module, full) if full else None
    if node.id in aliases:
        inner = app_reference(aliases[node.id], imports, aliases, shadowed, depth + 1)
        return None if inner is None else (inner[0], (*inner[1], *attrs))
    return None
