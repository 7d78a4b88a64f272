"""Functions defined inside the function being walked (``def drop_clinician(batch_op_): ...`` in ``upgrade()``).

A ``def`` statement binds its name in the enclosing function from that point on, and a call of that name runs it
(held-out-21: camcops drops 36 columns through such a def, called once per ``with op.batch_alter_table(...)``).
The walker binds the name when it walks the ``def`` (``Scope.local_defs``), so a def redefined later is followed as
it stands at each call. Where the walk cannot tell which def is in effect (one defined in a block walked apart, an
``if`` of unknown outcome, a loop, and the name bound again elsewhere in the function), a call of the name is an
unread step, never a silent one: ``nested_defs`` says which names a function defines and whether the def is the
name's only binding (then any call that runs at all runs that def).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def nested_defs(fn: FunctionNode, bound_once: Callable[[], frozenset[str]]) -> dict[str, FunctionNode | None]:
    """The names ``fn``'s own body binds with a ``def`` (not those of functions or classes nested in it): the def
    when it is the name's only binding in ``fn`` (``bound_once()``: nodes.names_bound_once, asked only when ``fn``
    has a def), else None."""
    defs: list[FunctionNode] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.append(node)
            continue
        if isinstance(node, ast.ClassDef | ast.Lambda):
            continue
        stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt | ast.excepthandler
                                                                                 | ast.match_case))
    once = bound_once() if defs else frozenset()
    # decorated: the name holds what the decorator returns, which migcheck does not read
    return {node.name: node if node.name in once and not node.decorator_list else None for node in defs}

