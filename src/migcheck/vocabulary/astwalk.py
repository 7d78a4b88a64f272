"""A walk of every node of a tree, cheaper than ``ast.walk`` for the questions asked of a whole module.

``ast.walk`` runs two generators per node (its own and ``iter_child_nodes``), which cost more than the rest of a
walk that only looks at each node's kind. Here the fields that may hold children are worked out once per node
kind, and the nodes are collected in one list, in ``ast.walk``'s order (breadth first, fields in order).
"""

from __future__ import annotations

import ast

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node kind that may hold child nodes, worked out once per kind; ``ctx`` (a Load, Store or Del
    marker, which no question here walks into) left out."""
    found = _CHILD_FIELDS.get(kind)
    if found is None:
        found = _CHILD_FIELDS[kind] = tuple(name for name in getattr(kind, "_fields", ()) if name != "ctx")
    return found


def nodes_of(tree: ast.AST) -> list[ast.AST]:
    """``tree`` and every node below it, as ``ast.walk`` yields them, the ``ctx`` markers aside."""
    nodes: list[ast.AST] = [tree]
    append = nodes.append
    fields = _CHILD_FIELDS
    node_type = ast.AST
    for node in nodes:  # the list grows while it is read
        kind = type(node)
        for name in fields[kind] if kind in fields else child_fields(kind):
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
    return nodes
