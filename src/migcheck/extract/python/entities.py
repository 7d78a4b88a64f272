"""alembic_utils' entity operations: ``op.create_entity(PGExtension(schema="public", signature="citext"))``.

alembic_utils registers ``op.create_entity`` / ``op.drop_entity`` / ``op.replace_entity``; each renders the
entity it is handed as SQL. An extension's statements are fixed by its two literal arguments
(``CREATE EXTENSION "citext" WITH SCHEMA "public"``, ``DROP EXTENSION "citext"``), so such a call is read as that SQL
and checked like it (held-out-28 #91). Other entities (functions, views, triggers, policies, grants) carry a
definition alembic_utils rewrites before it runs it, and an entity migcheck cannot pin down is still an unread step.
"""

from __future__ import annotations

import ast

from migcheck.extract.python.constants import _bound_once
from migcheck.extract.python.evaluate import Evaluator
from migcheck.extract.python.nodes import _bind_args, _call_name, binding_counts, names_bound_once
from migcheck.extract.python.scope import Scope

#: The operations alembic_utils registers on ``op`` that take one entity.
ENTITY_OPS = frozenset({"create_entity", "drop_entity"})


def entity_sql(ex: Evaluator, attr: str, call: ast.Call, scope: Scope) -> str | None:
    """The SQL ``op.create_entity(entity)`` / ``op.drop_entity(entity)`` runs, when ``entity`` is a
    ``PGExtension`` of literal schema and name (written in the call, or a name bound once to one); None otherwise."""
    args = _bind_args(call, ["entity"])
    entity = _entity_call(ex, args.get("entity"), scope)
    if entity is None or _call_name(entity) != "PGExtension" or any(isinstance(a, ast.Starred) for a in entity.args) \
            or any(k.arg is None for k in entity.keywords):
        return None
    fields = _bind_args(entity, ["schema", "signature"])
    schema, name = (ex._str(fields[k], scope) if k in fields else None for k in ("schema", "signature"))
    if not schema or not name or '"' in schema + name:
        return None
    if attr == "create_entity":
        return f'CREATE EXTENSION "{name}" WITH SCHEMA "{schema}"'
    cascade = next((k.value for k in call.keywords if k.arg == "cascade"), None)
    if cascade is not None and not (isinstance(cascade, ast.Constant) and isinstance(cascade.value, bool)):
        return None
    return f'DROP EXTENSION "{name}"' + (" CASCADE" if isinstance(cascade, ast.Constant) and cascade.value else "")


def _entity_call(ex: Evaluator, node: ast.expr | None, scope: Scope) -> ast.Call | None:
    """The constructor call ``node`` is: the call itself, a local of the function walked bound once by a plain
    assignment, or a module-level name bound once and nowhere else (not a helper's parameter)."""
    if isinstance(node, ast.Call):
        return node
    if not isinstance(node, ast.Name):
        return None
    function = scope.function
    if function is not None and node.id in binding_counts(function):
        if node.id not in names_bound_once(function):
            return None
        values = [stmt.value for stmt in ast.walk(function) if isinstance(stmt, ast.Assign)
                  and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == node.id]
        return values[0] if len(values) == 1 and isinstance(values[0], ast.Call) else None
    if binding_counts(ex.tree).get(node.id) != 1:
        return None
    value = next((v for name, v in _bound_once(ex.tree) if name == node.id), None)
    return value if isinstance(value, ast.Call) else None
