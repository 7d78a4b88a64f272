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


#: The modules walked last, with their nodes: the extractor and the import reader each ask of the whole module
#: (binding_counts, _mark_type_only). Each entry holds its tree until pushed out, so an identity is never reused.
_WALKED: list[tuple[ast.AST, list[ast.AST]]] = []


def module_nodes(tree: ast.AST) -> list[ast.AST]:
    """``nodes_of(tree)``, walked once for the last few trees asked; the caller must not change the list."""
    for walked, nodes in _WALKED:
        if walked is tree:
            return nodes
    nodes = nodes_of(tree)
    _WALKED.insert(0, (tree, nodes))
    del _WALKED[2:]
    return nodes
