"""A revision module's constants as the module itself binds them: names bound once, lists and dicts whose
content may change, numbers, sequences, class attributes, and the standard library's known values.
"""

from __future__ import annotations

import ast
import functools
from collections import Counter
from collections.abc import Iterator

from migcheck.extract.python.nodes import _call_name, _root_name, binding_counts
from migcheck.vocabulary.astwalk import nodes_of

_STR_METHODS = frozenset({"upper", "lower", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
                          "replace", "removeprefix", "removesuffix"})


def _class_constants(tree: ast.Module) -> dict[str, dict[str, object]]:
    """``class _State(IntEnum): new = 1``: each module-level class's members bound to an int or str
    literal. Formatted into SQL they are constants of the revision, not data."""
    found: dict[str, dict[str, object]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        members: dict[str, object] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, int | str) \
                    and not isinstance(stmt.value.value, bool):
                members[stmt.targets[0].id] = stmt.value.value
        if members:
            found[node.name] = members
    return found


#: The standard library's enum bases whose members' ``.value`` is the literal each is bound to.
_ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum"})


def enum_member_values(tree: ast.Module, name: str) -> tuple[str, ...] | None:
    """The ``.value`` of each member of ``class name(StrEnum)`` of the revision, in the order iterating the class
    gives them (an alias, a value seen before, is not a member of its own): when the class is an enum of the
    standard library (``enum.StrEnum`` / ``from enum import StrEnum``, ``Enum``, ``IntEnum``) bound once in the
    module, undecorated (or ``@unique``), whose body is only members bound to str or int literals, methods and a
    docstring. None for anything else (``auto()``, a computed value, ``_ignore_``, a base of the application)."""
    enum_names = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                  and node.module == "enum" and not node.level for alias in node.names if alias.name in _ENUM_BASES}
    enum_modules = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.Import)
                    for alias in node.names if alias.name == "enum"}
    uniques = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
               and node.module == "enum" and not node.level for alias in node.names if alias.name == "unique"}
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name]
    counts = binding_counts(tree)
    if len(classes) != 1 or counts.get(name) != 1 or _values_rewritten(tree):
        return None
    if any(counts.get(base) != 1 for base in enum_names | enum_modules | uniques) \
            or counts.get("str") or counts.get("int"):
        return None  # `from app.enums import StrEnum` after the standard one, `str` bound to a class of the project
    cls = classes[0]
    if any(not (isinstance(d, ast.Name) and d.id in uniques) and
           not (isinstance(d, ast.Attribute) and d.attr == "unique" and isinstance(d.value, ast.Name)
                and d.value.id in enum_modules) for d in cls.decorator_list) or cls.keywords:
        return None
    bases = [b for b in cls.bases if not (isinstance(b, ast.Name) and b.id in {"str", "int"})]
    if len(bases) != 1 or not (
            (isinstance(bases[0], ast.Name) and bases[0].id in enum_names) or
            (isinstance(bases[0], ast.Attribute) and bases[0].attr in _ENUM_BASES
             and isinstance(bases[0].value, ast.Name) and bases[0].value.id in enum_modules)):
        return None
    values: list[str] = []
    for stmt in cls.body:
        if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)) or isinstance(stmt, ast.Pass) \
                or (isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name != "value"
                    and not stmt.name.startswith("_") and not stmt.decorator_list):
            continue  # a plain method (not __new__/__init__, which may set _value_, nor one named value)
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and not stmt.targets[0].id.startswith("_") and isinstance(stmt.value, ast.Constant)
                and type(stmt.value.value) in {str, int}):
            return None
        value = str(stmt.value.value)
        if value not in values:
            values.append(value)
    return tuple(values) if values else None


#: Calls that set an attribute by name (``setattr(OldState.READY, "_value_", x)``).
_SETTERS = frozenset({"setattr", "delattr", "__setattr__", "__delattr__", "vars"})


def _values_rewritten(tree: ast.Module) -> bool:
    """Whether anything in the module may set a member's value after the class made it: a store to an attribute
    named ``_value_`` or ``value`` (``OldState.READY._value_ = x``, ``self._value_ = x`` in a method), a call
    that sets attributes by name (``setattr``, ``object.__setattr__``, ``vars(member)[...]``), or ``__dict__``."""
    for node in nodes_of(tree):
        if isinstance(node, ast.Attribute) and (node.attr == "__dict__" or (
                isinstance(node.ctx, ast.Store | ast.Del) and node.attr in {"_value_", "value"})):
            return True
        if isinstance(node, ast.Call) and _call_name(node) in _SETTERS:
            return True
    return False


#: The text of constants of the standard library that revisions format into SQL (``'%s' % datetime.min``).
_STDLIB_CONSTANTS = {
    "datetime.min": "0001-01-01 00:00:00", "datetime.max": "9999-12-31 23:59:59.999999",
    "datetime.datetime.min": "0001-01-01 00:00:00", "datetime.datetime.max": "9999-12-31 23:59:59.999999",
    "date.min": "0001-01-01", "date.max": "9999-12-31", "datetime.date.min": "0001-01-01",
    "datetime.date.max": "9999-12-31",
}


def _stdlib_dates(tree: ast.Module) -> frozenset[str]:
    """``datetime`` / ``date`` when they are the standard library's: imported from the datetime module
    (``import datetime``, ``from datetime import datetime, date``) and bound nowhere else in the module
    (not a local ``date = conn.execute(...).one()``, not a loop's target), so ``date.max`` is a constant."""
    imported = {alias.name for node in tree.body if isinstance(node, ast.ImportFrom) and node.module == "datetime"
                and node.level == 0 for alias in node.names if alias.asname is None and alias.name in {"datetime", "date"}}
    imported |= {"datetime" for node in tree.body if isinstance(node, ast.Import)
                 for alias in node.names if alias.name == "datetime" and alias.asname is None}
    if not imported:
        return frozenset()  # no walk of the module for the many revisions that import neither
    counts = binding_counts(tree)
    return frozenset(name for name in imported if counts.get(name) == 1)


_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "sort", "reverse", "clear", "update",
                       "setdefault", "popitem"})


#: Calls that read a sequence they are handed and keep nothing of it: passing a constant list to them is
#: no escape (``", ".join(COLUMNS)``, ``sorted(KINDS)``).
_READERS = frozenset({"len", "sorted", "list", "tuple", "set", "frozenset", "enumerate", "zip", "reversed", "repr",
                      "str", "any", "all", "min", "max", "sum", "iter", "isinstance", "join", "format"})


@functools.lru_cache(maxsize=1)
def _changeable(tree: ast.Module) -> frozenset[str]:
    """changeable_names of the module, cached for the tree being read: both the module constants and the
    module sequences ask (two walks and a parent map each)."""
    return changeable_names(tree)


def changeable_names(tree: ast.AST) -> frozenset[str]:
    """Names (of a module or a function) whose value may change: stored more than once, changed in place
    (``.append``, ``M["k"] = v``), declared global/nonlocal, or handed out (aliased, passed to a function,
    returned, yielded): code elsewhere may then change the object through another name."""
    stores, changed = _stores_and_changes(tree)
    return frozenset(changed | {name for name, count in stores.items() if count != 1})


def literal_list_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Names a function binds only to list or tuple literals (``tables = [("a", "id"), ...]``, maybe in several
    branches) and never changes in place nor hands out: wherever one is read, it holds the literal its last
    binding on the walked path wrote, so a loop over it can be unrolled (held-out-11 #149)."""
    literal: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.List | ast.Tuple):
            literal[node.targets[0].id] = literal.get(node.targets[0].id, 0) + 1
    if not literal:
        return frozenset()
    stores, changed = _stores_and_changes(fn)
    return frozenset(name for name, count in literal.items() if name not in changed and stores.get(name) == count)


def _stores_and_changes(tree: ast.AST) -> tuple[dict[str, int], set[str]]:
    """How often each name is stored in ``tree``, and the names changed in place, declared global or
    nonlocal, or handed out (changeable_names)."""
    stores: dict[str, int] = {}
    changed: set[str] = set()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, ast.Name) and _escapes(node, parents.get(node)):
            changed.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in _MUTATORS and (root := _root_name(node.value)):
            changed.add(root)  # M.append(x), M[0].append(x)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            changed.update(node.names)
        elif isinstance(node, ast.Subscript | ast.Attribute) and not isinstance(node.ctx, ast.Load) \
                and (root := _root_name(node.value)):
            changed.add(root)  # MAPPING["k"] = v, del MAPPING["k"], M[0][0] = v (review15), M[0].x = v
    return stores, changed


def _escapes(name: ast.Name, parent: ast.AST | None) -> bool:
    """Whether reading ``name`` here hands its object on (``alias = M``, ``fill(M)``, ``return M``) rather
    than reading from it (``M.items()``, ``M["k"]``, ``for x in M``, ``k in M``, ``len(M)``, ``f"{M}"``)."""
    if isinstance(parent, ast.Attribute | ast.Subscript | ast.Compare | ast.FormattedValue | ast.BinOp
                  | ast.Starred | ast.comprehension | ast.For | ast.AsyncFor | ast.UnaryOp | ast.BoolOp):
        return False
    if isinstance(parent, ast.Call) and name is not parent.func:
        callee = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", None)
        return callee not in _READERS
    return not isinstance(parent, ast.Call | ast.Expr | ast.If | ast.While | ast.Assert)


def mutable_constants(tree: ast.Module) -> set[str]:
    """Module-level lists, sets and dicts of literals whose content may change (``_changeable``): their
    items are not constants, whatever the first assignment wrote. The module is walked only when it
    binds such a collection at all."""
    collections = [name for name, value in _module_assignments(tree) if isinstance(value, ast.List | ast.Set | ast.Dict)]
    if not collections:
        return set()
    changeable = _changeable(tree)
    return {name for name in collections if name in changeable}


def _module_sequences(tree: ast.Module) -> dict[str, ast.List | ast.Tuple]:
    """Module-level ``NAME = [(...), ...]`` (or a dict) bound once and never rebound, changed in place nor
    handed out: loops over it can be unrolled like a list written in the ``for``.

    The walks of the whole module that prove "never changed" run only when some module-level name is
    bound to a list, tuple or dict (most revisions bind none: it was a tenth of a cold lint)."""
    candidates = [(name, value) for name, value in _module_assignments(tree)
                  if isinstance(value, ast.List | ast.Tuple | ast.Dict)]
    if not candidates:
        return {}
    changeable = _changeable(tree)
    found: dict[str, ast.List | ast.Tuple] = {}
    for name, value in candidates:
        if name in changeable:
            continue
        if isinstance(value, ast.List | ast.Tuple):
            found[name] = value
        elif isinstance(value, ast.Dict):
            found.update(dict_views(name, value))
    return found


def _count(node: ast.expr) -> int | None:
    """A literal int written as an argument (``str.replace``'s count); None for anything else, a bool too."""
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _str_method(base: object, method: str, args: list[object], keywords: bool) -> str | None:
    """``base.method(*args)`` for a str method of _STR_METHODS, every operand a known str (or a literal int, as
    ``replace``'s count); None otherwise."""
    if not isinstance(base, str) or isinstance(base, bool) or keywords \
            or not all(isinstance(a, str) or type(a) is int for a in args):
        return None
    try:
        result = getattr(base, method)(*args)
    except (TypeError, ValueError):
        return None
    return result if isinstance(result, str) else None


def dict_views(name: str, value: ast.Dict) -> dict[str, ast.List]:
    """``for old, new in MAPPING.items()``: the pairs of a dict literal as a list written out; ``.keys()``,
    ``.values()`` and the dict itself likewise. Empty for a dict with ``**`` in it."""
    if not value.keys or any(k is None for k in value.keys):
        return {}
    keys = [k for k in value.keys if k is not None]
    items = ast.List(elts=[ast.Tuple(elts=[k, v], ctx=ast.Load()) for k, v in zip(keys, value.values, strict=True)],
                     ctx=ast.Load())
    names = ast.List(elts=keys, ctx=ast.Load())
    return {f"{name}.items()": items, f"{name}.keys()": names, name: names,
            f"{name}.values()": ast.List(elts=list(value.values), ctx=ast.Load())}


def _module_assignments(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """``(name, value)`` of each module-level ``NAME = value`` / ``NAME: T = value``, in order."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            yield node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            yield node.target.id, node.value


def module_text_constants(tree: ast.Module, consts: dict[str, object]) -> dict[str, str]:
    """Module-level ``QUERY = sa.text("SELECT ...")`` (or ``text(...)``) of a literal or a string constant,
    bound once: the SQL text it holds, so ``connection.execute(QUERY, params)`` is read like a module-level
    string (held-out-11 #108). Only a plain call, one argument, no keywords nor methods chained on it."""
    found: dict[str, str] = {}
    for name, value in _bound_once(tree):
        if isinstance(value, ast.Call) and _call_name(value) == "text" and len(value.args) == 1 \
                and not value.keywords:
            arg = value.args[0]
            text = arg.value if isinstance(arg, ast.Constant) else consts.get(arg.id) if isinstance(arg, ast.Name) \
                else None
            if isinstance(text, str):
                found[name] = text
    return found


def _bound_once(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """Module-level ``NAME = value`` of the names the module assigns exactly once."""
    assignments = list(_module_assignments(tree))
    counts = Counter(name for name, _ in assignments)
    return ((name, value) for name, value in assignments if counts[name] == 1)


def _module_numbers(tree: ast.Module) -> dict[str, int | float]:
    """Module-level ``NAME = 500``, assigned once."""
    numbers: dict[str, int | float] = {}
    for name, value in _bound_once(tree):
        if isinstance(value, ast.Constant) and isinstance(value.value, int | float) \
                and not isinstance(value.value, bool):
            numbers[name] = value.value
    return numbers


def _enum_call(node: ast.expr | None) -> bool:
    """``sa.Enum(...)`` / ``postgresql.ENUM(...)``."""
    return isinstance(node, ast.Call) and _call_name(node) in {"Enum", "ENUM"}


class _MemberValue(ast.NodeTransformer):
    """``choice.value`` -> ``choice``; counts every other use of ``choice`` (``{choice}``, ``choice.name``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.other = 0

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr == "value" and isinstance(node.value, ast.Name) and node.value.id == self.name:
            return ast.copy_location(ast.Name(id=self.name, ctx=ast.Load()), node)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        self.other += node.id == self.name
        return node


def member_values_only(elt: ast.expr, name: str) -> ast.expr | None:
    """``elt`` with each ``name.value`` read as ``name`` (bound to the member's value), when that is the only way
    ``elt`` uses ``name``; None otherwise (``str(choice)`` of an ``Enum`` is not its value on every Python)."""
    import copy

    rewriter = _MemberValue(name)
    made = rewriter.visit(copy.deepcopy(elt))
    return made if isinstance(made, ast.expr) and rewriter.other == 0 else None
