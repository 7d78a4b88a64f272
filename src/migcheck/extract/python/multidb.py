"""Alembic's ``multidb`` template: ``upgrade(engine_name)`` runs ``globals()[f"upgrade_{engine_name}"]()``.

The template's env.py runs the whole history once per engine, each on its own connection and in its own
transaction (``context.run_migrations(engine_name=name)``), with a version table of its own. A revision's real steps
are the module's ``upgrade_<engine>()`` / ``downgrade_<engine>()`` functions; the dispatch itself changes nothing.

The model the rules read: the phase's steps are every engine's function walked in turn, in the module's definition
order (the template writes them in the order of alembic.ini's ``databases``, the order env.py runs them), each step
tagged with its engine (``Change.engine``). ``lookback.phase_before`` / ``phase_after`` keep to the step's own engine,
so each engine's steps are a run of statements of their own, in a transaction of their own: a lock taken, a table
emptied or a COMMIT in one engine says nothing of another. Across revisions the history is read as one schema (table
names are not qualified by engine; the template's engines hold tables of distinct names, as keylime's do), and so are
the revision-level rules that read the whole phase (a table another engine creates in the same revision counts as
created here).

A dispatch whose name is known only at run time, or that names no function of the module, is an unread step
(``RawSQL`` with ``understood=False``, reported by raw-sql-not-understood), never a silent empty phase. The other ways
of looking a function up by name (``globals().get(...)``, ``getattr(sys.modules[__name__], ...)``, a constant name)
are read by dynamic.py, which hands the multidb shape here.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from migcheck.vocabulary.changes import Change, RawSQL

if TYPE_CHECKING:
    from migcheck.extract.python.calls import Calls
    from migcheck.extract.python.scope import Scope

Function = ast.FunctionDef | ast.AsyncFunctionDef


def globals_key(func: ast.expr) -> ast.expr | None:
    """The key of ``globals()[key]`` when ``func`` is that subscript; None otherwise."""
    if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Call) \
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "globals" \
            and not func.value.args and not func.value.keywords:
        return func.slice
    return None


def engine_pattern(key: ast.expr, params: set[str]) -> tuple[str, str] | None:
    """(prefix, suffix) of a key built from literal text around one parameter of the function: ``f"upgrade_{p}"``,
    ``"upgrade_%s" % p``, ``"upgrade_" + p``, ``"upgrade_{}".format(p)``; None for any other key, or when the
    text around it is empty (the name would be any function of the module)."""
    parts: list[ast.expr] | None = None
    if isinstance(key, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None
                 else v for v in key.values]
    elif isinstance(key, ast.BinOp) and isinstance(key.op, ast.Mod) and _text(key.left) is not None:
        arg = key.right.elts[0] if isinstance(key.right, ast.Tuple) and len(key.right.elts) == 1 else key.right
        left = _text(key.left) or ""
        if left.count("%") == 1 and "%s" in left:
            before, after = left.split("%s")
            parts = [ast.Constant(before), arg, ast.Constant(after)]
    elif isinstance(key, ast.BinOp) and isinstance(key.op, ast.Add):
        parts = _added(key)
    elif isinstance(key, ast.Call) and isinstance(key.func, ast.Attribute) and key.func.attr == "format" \
            and len(key.args) == 1 and not key.keywords and (template := _text(key.func.value)) is not None \
            and template.count("{") == 1 and "{}" in template:
        before, after = template.split("{}")
        parts = [ast.Constant(before), key.args[0], ast.Constant(after)]
    if parts is None:
        return None
    names = [i for i, p in enumerate(parts) if isinstance(p, ast.Name) and p.id in params]
    texts = [_text(p) for p in parts]
    if len(names) != 1 or sum(t is None for t in texts) != 1:
        return None
    at = names[0]
    prefix, suffix = "".join(t or "" for t in texts[:at]), "".join(t or "" for t in texts[at + 1:])
    return (prefix, suffix) if prefix or suffix else None


def _added(node: ast.expr) -> list[ast.expr]:
    """The operands of a chain of ``+``, left to right."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_added(node.left), *_added(node.right)]
    return [node]


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def engine_functions(functions: dict[str, Function], prefix: str, suffix: str,
                     dispatcher: str | None) -> list[tuple[str, Function]]:
    """The module's functions named ``<prefix><engine><suffix>``, as (engine, function), in definition order.
    The engine name may be empty: the template's default engine is ``''`` (``upgrade(engine_name="")`` runs
    ``upgrade_()``); the dispatching function itself is never one of them."""
    out = []
    for name, fn in functions.items():
        if name.startswith(prefix) and name.endswith(suffix) and len(name) >= len(prefix) + len(suffix) \
                and name != dispatcher:
            out.append((name[len(prefix):len(name) - len(suffix)], fn))
    return out


def dispatched(fn: Function, functions: dict[str, Function]) -> list[Function] | None:
    """The engine functions ``fn`` dispatches to, when its only statement (a docstring aside) is the dispatch;
    None when it is anything else. For ``Body.trivial``: a phase is trivial when every engine's function is."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Expr | ast.Return) or not isinstance(body[0].value, ast.Call):
        return None
    key = globals_key(body[0].value.func)
    pattern = None if key is None else engine_pattern(key, _params(fn))
    if pattern is None:
        return None
    return [f for _, f in engine_functions(functions, *pattern, fn.name)] or None


def _params(fn: Function | None) -> set[str]:
    if fn is None:
        return set()
    return {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}


def engine_dispatch(walker: Calls, call: ast.Call, key: ast.expr, scope: Scope, out: list[Change],
                    active: set[str]) -> bool:
    """Walk the engine functions a call through a name looked up by ``key`` reaches (``globals()[f"upgrade_{p}"]()``,
    ``p`` a parameter of the function), each step tagged with its engine; True when ``key`` is such a name (read, or
    reported as unread when no function of the module matches it)."""
    pattern = engine_pattern(key, _params(scope.function))
    if pattern is None:
        return False
    engines = engine_functions(walker.functions, *pattern, scope.function.name if scope.function else None)
    if not engines:
        unread(walker, call, scope, out, f"no function of this module is named `{pattern[0]}<engine>{pattern[1]}`")
        return True
    for engine, fn in engines:
        if fn.name in active:
            continue
        if not walker._within_depth(call, fn.name, scope, out) \
                or not walker._unroll(call, f"this dispatch to {fn.name}()", scope, out):
            break  # each engine's function counts against the budget, as any other helper call
        start = len(out)
        walker._inline(ast.copy_location(ast.Call(func=ast.Name(id=fn.name, ctx=ast.Load()), args=[], keywords=[]),
                                         call), fn, scope, out, active)
        for change in out[start:]:
            if change.engine is None:
                change.engine = engine
    return True


def unread(walker: Calls, call: ast.Call, scope: Scope, out: list[Change], reason: str) -> None:
    """``call`` as a step migcheck could not read (raw-sql-not-understood), saying why."""
    out.append(RawSQL(text=ast.unparse(call), keyword="", understood=False, line=call.lineno, reason=reason,
                      **walker._common(scope)))
