"""alembic_utils' entity operations: ``op.create_entity(PGExtension(schema="public", signature="citext"))``.

alembic_utils registers ``op.create_entity`` / ``op.drop_entity`` / ``op.replace_entity``; each renders the
entity it is handed as SQL. An extension's statements are fixed by its two literal arguments
(``CREATE EXTENSION "citext" WITH SCHEMA "public"``, ``DROP EXTENSION "citext"``), so such a call is read as that SQL
and checked like it (held-out-28 #91). Other entities (functions, views, triggers, policies, grants) carry a
definition alembic_utils rewrites before it runs it, and an entity migcheck cannot pin down is still an unread step.

What renders the SQL is the object's class, so only alembic_utils' own ``PGExtension`` counts: imported from
``alembic_utils.pg_extension`` and named nowhere but in its calls (not the revision's subclass, not a look-alike
imported under that name, not a class or object the revision writes to or hands on), and a drop with ``cascade``
(which drops every column of the extension's types) is left unread (attack28c).
"""

from __future__ import annotations

import ast

from migcheck.extract.python.constants import _bound_once
from migcheck.extract.python.evaluate import Evaluator
from migcheck.extract.python.imports import module_import_statements
from migcheck.extract.python.nodes import _attr_chain, _bind_args, binding_counts, names_bound_once
from migcheck.extract.python.scope import Scope
from migcheck.vocabulary.astwalk import module_nodes

#: The operations alembic_utils registers on ``op`` that take one entity.
ENTITY_OPS = frozenset({"create_entity", "drop_entity"})
#: Where alembic_utils defines the class (its package's ``__init__`` exports nothing).
_EXTENSION_CLASS = "alembic_utils.pg_extension.PGExtension"


def entity_sql(ex: Evaluator, attr: str, call: ast.Call, scope: Scope) -> str | None:
    """The SQL ``op.create_entity(entity)`` / ``op.drop_entity(entity)`` runs, when ``entity`` is a
    ``PGExtension`` of literal schema and name (written in the call, or a name bound once to one); None otherwise."""
    args = _bind_args(call, ["entity"])
    entity = _entity_call(ex, args.get("entity"), scope)
    if entity is None or not _alembic_utils_extension(ex.tree, entity.func) \
            or any(isinstance(a, ast.Starred) for a in entity.args) or any(k.arg is None for k in entity.keywords):
        return None
    if isinstance(handed := args.get("entity"), ast.Name) and not _only_handed_to_ops(ex.tree, handed.id):
        return None  # citext.to_sql_statement_create = ...; helper(citext): not the SQL the class renders
    fields = _bind_args(entity, ["schema", "signature"])
    schema, name = (ex._str(fields[k], scope) if k in fields else None for k in ("schema", "signature"))
    if not schema or not name or '"' in schema + name:
        return None
    if attr == "create_entity":
        return f'CREATE EXTENSION "{name}" WITH SCHEMA "{schema}"'
    if len(call.args) > 1 or any(k.arg != "cascade" for k in call.keywords):
        return None  # op.drop_entity(citext, True), **options: a cascade read nowhere
    cascade = next((k.value for k in call.keywords if k.arg == "cascade"), None)
    if cascade is not None and not (isinstance(cascade, ast.Constant) and cascade.value is False):
        return None  # DROP EXTENSION ... CASCADE drops the columns of its types: no rule reads that, the note stays
    return f'DROP EXTENSION "{name}"'


def _alembic_utils_extension(tree: ast.Module, func: ast.expr) -> bool:
    """``func`` is alembic_utils' ``PGExtension``: a name or module path an import binds to it, bound nowhere
    else, and every use of its root name a call of that same class (nothing written to it, nothing handed on)."""
    chain = _attr_chain(func)
    if not chain or chain[-1] != "PGExtension" or binding_counts(tree).get(chain[0]) != 1:
        return False
    for stmt in module_import_statements(tree):
        for alias in stmt.names:
            if (alias.asname or alias.name.split(".")[0]) != chain[0]:
                continue
            if isinstance(stmt, ast.Import):
                path = [*alias.name.split("."), *chain[1:]] if alias.asname else chain
            elif stmt.level == 0 and stmt.module:
                path = [*stmt.module.split("."), alias.name, *chain[1:]]
            else:
                continue
            if ".".join(path) == _EXTENSION_CLASS:
                return _used_only_as(tree, chain)
    return False


def _used_only_as(tree: ast.Module, chain: list[str]) -> bool:
    """Every load of ``chain[0]`` in the module is the callee ``chain`` of a call."""
    uses = sum(1 for n in module_nodes(tree) if isinstance(n, ast.Name) and n.id == chain[0])
    calls = sum(1 for n in module_nodes(tree) if isinstance(n, ast.Call) and _attr_chain(n.func) == chain)
    return uses == calls


def _only_handed_to_ops(tree: ast.Module, name: str) -> bool:
    """``name`` is read only as the entity of ``op.create_entity`` / ``drop_entity`` / ``replace_entity`` (and
    bound by its one assignment): no attribute of it written, no helper handed it."""
    handed = {id(call.args[0]) for call in module_nodes(tree) if isinstance(call, ast.Call)
              and isinstance(call.func, ast.Attribute) and call.func.attr in {*ENTITY_OPS, "replace_entity"}
              and call.args}
    return all(id(n) in handed or isinstance(n.ctx, ast.Store)
               for n in module_nodes(tree) if isinstance(n, ast.Name) and n.id == name)


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
