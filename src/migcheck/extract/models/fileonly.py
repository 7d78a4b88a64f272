"""Whether a project function, read from its source, only writes or reads local files: a revision calling it
runs no statement on the database (held-out-23 #104: a helper that appends the revision id to a text file).

Narrow on purpose: every call in the body must be a built-in the module does not rebind (``open``, ``str``...), a
method of a file the body opened itself (``with open(...) as f: f.write(...)``) or a method of a string literal
(``"{}\\n".format(x)``). Anything else (another function, an import, a nested def, ``await``) may reach the
database, and the call stays an unread step.
"""

from __future__ import annotations

import ast

from migcheck.extract.python.nodes import binding_counts

#: Built-ins that neither reach a database nor run code of the project (given plain values).
_BUILTINS = frozenset({"open", "str", "repr", "len", "int", "float", "bool", "format", "print"})
#: Methods of a file object the body opened.
_FILE_METHODS = frozenset({"write", "writelines", "flush", "close", "read", "readline", "readlines", "seek", "tell"})
#: Methods of a string literal.
_STR_METHODS = frozenset({"format", "join", "strip", "lower", "upper", "replace"})
#: Statements and expressions that run code the check cannot follow.
_OPAQUE = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
           ast.Await, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal, ast.AsyncWith, ast.AsyncFor)


def only_file_io(fn: ast.FunctionDef | ast.AsyncFunctionDef, module: ast.Module) -> bool:
    """Whether ``fn`` (defined in ``module``) does nothing but open, read and write files (see the module's doc)."""
    if isinstance(fn, ast.AsyncFunctionDef) or fn.decorator_list \
            or not all(isinstance(d, ast.Constant) for d in (*fn.args.defaults, *fn.args.kw_defaults) if d):
        return False  # a decorator or a computed default runs code of its own
    if any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names) for node in ast.walk(module)):
        return False  # ``from x import *`` may bind ``print`` or ``open`` to anything (attack23)
    rebound = binding_counts(module)
    local = binding_counts(ast.Module(body=fn.body, type_ignores=[]))
    args = fn.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}
    # a parameter of the same name is the caller's object before the ``with`` (``f.flush()`` of a Session)
    handles = {item.optional_vars.id for node in ast.walk(fn) if isinstance(node, ast.With) for item in node.items
               if isinstance(item.optional_vars, ast.Name) and _opens(item.context_expr, rebound)
               and local.get(item.optional_vars.id) == 1 and item.optional_vars.id not in params}
    calls = 0
    for node in (n for stmt in fn.body for n in ast.walk(stmt)):
        if isinstance(node, _OPAQUE):
            return False
        if not isinstance(node, ast.Call):
            continue
        calls += 1
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in _BUILTINS or func.id in rebound:
                return False
        elif not (isinstance(func, ast.Attribute) and (
                (isinstance(func.value, ast.Name) and func.value.id in handles and func.attr in _FILE_METHODS)
                or (isinstance(func.value, ast.Constant) and isinstance(func.value.value, str)
                    and func.attr in _STR_METHODS))):
            return False
    return calls > 0


def _opens(node: ast.expr, rebound: dict[str, int]) -> bool:
    """``open(...)``, the built-in."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open" \
        and "open" not in rebound
