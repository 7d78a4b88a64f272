"""Constants of the application that revisions import and format into SQL (``{Role.ADMIN.value}``), and the
library names its modules re-bind that revisions import (a column type, ``CoerceUnicode`` for ``sa.Unicode``).

Read the way the models are (``files.py``, ``resolve.py``): the module's file inside the project, a
regular file within the size limit, parsed and never imported. A value is known only when the
application binds it, once, to a literal string or number: a module-level ``X = 'a'``, a class's
``ATTR = 'a'``, or an ``enum.Enum`` member's ``.value`` / ``.name``. Anything else is unknown.
Modules are read on the first question about them, so a lint that asks none reads nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from migcheck.extract.models.fileonly import only_file_io
from migcheck.extract.models.files import ProjectFiles, WorkingTree
from migcheck.extract.models.resolve import ModuleFinder, module_roots
from migcheck.extract.models.typeparams import parse_module
from migcheck.extract.models.writes import OutsideWrites
from migcheck.extract.python.imports import MARKS_CHANGED, absolute_module, imported_function, imported_names

Value = str | int | float

_ENUM_BASES = {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"}
_MAX_DEPTH = 8


class AppConstants:
    """Answers ``value(module, path)`` from the application's source, reading each module once."""

    def __init__(self, root: Path, env_rel: str | None, files: ProjectFiles | None = None,
                 rescue: Callable[[str], ast.Module | None] | None = None) -> None:
        self.files = files or WorkingTree(root)
        #: Parses a module Python 3 cannot (a Python 2 application's, assembl's ``raise E, msg``; sources/python2.py,
        #: given by the run stage): its imports and literals read the same.
        self.rescue = rescue
        self.env_rel = env_rel
        #: The project's folder when it is itself a package (``alembic_db/__init__.py``, where alembic.ini sits):
        #: its modules are also named through it (``alembic_db.helpers``), as a revision that puts the folder
        #: above on ``sys.path`` imports them.
        self._package = root.name if root.name.isidentifier() and self.files.is_file("__init__.py") else None
        self._finder: ModuleFinder | None = None
        self._writes: OutsideWrites | None = None
        self._modules: dict[str, tuple[ast.Module, bool] | None] = {}
        #: Per module read: how often each name is bound anywhere in it, and the names whose attributes it sets.
        self._stores: dict[int, tuple[dict[str, int], frozenset[str]]] = {}
        self._indexes: dict[int, dict[str, list[ast.stmt]]] = {}
        self._values: dict[tuple[str, tuple[str, ...]], Value | None] = {}

    def value(self, module: str, path: tuple[str, ...]) -> Value | None:
        """The literal ``module``'s ``path`` (``("Role", "ADMIN", "value")``) certainly is; None when unknown."""
        key = (module, path)
        if key not in self._values:
            self._values[key] = self._value(module, path, 0)
        return self._values[key]

    def _value(self, module: str, path: tuple[str, ...], depth: int) -> Value | None:
        if not path or depth > _MAX_DEPTH:
            return None
        parsed = self._module(module)
        if parsed is None:
            return self._value(f"{module}.{path[0]}", path[1:], depth + 1) if len(path) > 1 else None
        tree, package = parsed
        if self._outside().written(module, ".".join((module, *path))):
            return None  # ``import app.consts as c; c.X = ...`` elsewhere: not a constant
        name, rest = path[0], path[1:]
        bindings = _bindings(self._index_of(tree), name, self._stores_of(tree))
        if bindings is None:
            return None
        if len(bindings) != 1:
            if not bindings and len(path) > 1:
                return self._value(f"{module}.{name}", rest, depth + 1)  # a submodule: ``import app.consts``
            return None
        node = bindings[0]
        if isinstance(node, ast.ImportFrom):
            origin = absolute_module(module, package, node.level, node.module)
            alias = next(a for a in node.names if (a.asname or a.name) == name)
            return None if origin is None else self._value(origin, (alias.name, *rest), depth + 1)
        if isinstance(node, ast.ClassDef):
            return _class_value(tree, node, rest)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None and not rest:
            return _literal(node.value)
        return None

    def release_string(self, module: str, name: str = "__version__", depth: int = 0) -> bool:
        """Whether ``module.__version__`` is the package's own release string: a package outside the project (its
        maintainers set it), or one the project binds once, at module level, from literals, the package's files
        (``(Path(__file__).parent / "VERSION").read_text().strip()``) or its installed metadata, through names the
        module binds so too (attack27d: ``__version__ = os.environ["X"]``, or bound twice, is outside input)."""
        if depth > _MAX_DEPTH:
            return False
        if self._find().find(module) is None and self._in_package(module) is None:
            return True  # not the project's: an installed package's release string
        parsed = self._module(module)
        if parsed is None or _rebinds_by_name(parsed[0]) or self._outside().written(module, f"{module}.{name}"):
            return False
        tree, package = parsed
        bindings = _bindings(self._index_of(tree), name, self._stores_of(tree))
        if bindings is None or len(bindings) != 1:
            return False
        node = bindings[0]
        if isinstance(node, ast.ImportFrom):
            origin = absolute_module(module, package, node.level, node.module)
            alias = next(a for a in node.names if (a.asname or a.name) == name)
            return origin is not None and alias.name != "*" and self.release_string(origin, alias.name, depth + 1)
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            return False
        return _shipped(node.value, lambda other: other == "__file__" or self._imports_module(tree, other)
                        or self.release_string(module, other, depth + 1))

    def _imports_module(self, tree: ast.Module, name: str) -> bool:
        """``name`` is bound once, by ``import pathlib`` / ``from importlib import metadata`` at module level."""
        counts = self._stores_of(tree)[0]
        return counts.get(name) == 1 and any(
            isinstance(s, ast.Import | ast.ImportFrom) and any((a.asname or a.name).split(".")[0] == name
                                                               for a in s.names) for s in tree.body)

    def marks_changed_only(self, module: str, name: str, depth: int = 0) -> bool:
        """Whether ``module``'s ``name`` is a function that only marks a session changed, running no SQL: its body
        fills in its own parameters' defaults (``session = session or make_session()``) and calls zope.sqlalchemy's
        ``mark_changed``, nothing else (held-out-20 #121: a project's ``mark_changed()`` wrapper); or a name the
        module imports from elsewhere that is one."""
        parsed = self._module(module) if depth <= _MAX_DEPTH else None
        if parsed is None:
            return False
        tree, package = parsed
        if self._stores_of(tree)[0].get(name) != 1:
            return False
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom) and any((a.asname or a.name) == name for a in stmt.names):
                origin = absolute_module(module, package, stmt.level, stmt.module)
                alias = next(a for a in stmt.names if (a.asname or a.name) == name)
                return origin is not None and (f"{origin}.{alias.name}" in MARKS_CHANGED
                                               or self.marks_changed_only(origin, alias.name, depth + 1))
            if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                return _marks_changed_body(stmt, imported_names(tree))
        return False

    def function(self, module: str, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The ``def`` that ``module`` binds ``name`` to, once (re-exports through the project's modules
        followed); None when it binds the name otherwise, more than once, or is not read."""
        found = self._function(module, name, 0)
        return found[0] if found else None

    def only_file_io(self, module: str, name: str) -> bool:
        """Whether ``module``'s ``name`` is a function of the project that only reads and writes files
        (``fileonly.only_file_io``): calling it runs no SQL."""
        found = self._function(module, name, 0)
        return found is not None and only_file_io(*found[:2])

    def helper(self, module: str, name: str) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.Module, str,
                                                       bool] | None:
        """The ``def`` of ``module``'s ``name`` as ``function`` finds it, with the parsed module that holds it, that
        module's dotted name and whether it is a package (its relative imports are read from there); None when not
        read (outside the project, a symlink out of it, missing, bound otherwise or more than once)."""
        found = self._function(module, name, 0)
        if found is None:
            return None
        parsed = self._module(found[2])
        return None if parsed is None else (found[0], found[1], found[2], parsed[1])

    def no_model(self, module: str, name: str) -> bool:
        """Whether ``module``'s ``name`` is, read from the project's source, something no query maps: a function
        bound once that reads only its own parameters, locals and builtins (arithmetic on a length, held-out-26
        #110), or an ``enum.Enum`` class bound once. False when unknown (the module not read, the name bound
        otherwise or more than once, a function reaching into the module: it may hand back a mapped class)."""
        parsed = self._module(module)
        if parsed is None or _rebinds_by_name(parsed[0]):
            return False  # globals()["Kind"] = Entry, setattr(sys.modules[__name__], ...): bound out of sight (attack26e)
        found = self._function(module, name, 0)
        if found is not None:
            return _self_contained(found[0])
        return self._enum_class(module, name, 0)

    def _enum_class(self, module: str, name: str, depth: int) -> bool:
        """Whether ``module``'s ``name`` is an ``enum.Enum`` class bound once (``@enum.unique`` allowed), there or in the module one
        ``from .enums import Kind`` bound it from (a package re-exporting its enums, held-out-29 #102: hushline's
        ``from hushline.model import SMTPEncryption``)."""
        parsed = self._module(module) if depth <= _MAX_DEPTH else None
        if parsed is None or _rebinds_by_name(parsed[0]) or self._outside().written(module, f"{module}.{name}"):
            return False
        tree, package = parsed
        counts, changed = self._stores_of(tree)
        defined = self._index_of(tree).get(name, [])
        if len(defined) == 1 and isinstance(node := defined[0], ast.ImportFrom) and name not in changed:
            bindings = _bindings(self._index_of(tree), name, (counts, changed))
            origin = absolute_module(module, package, node.level, node.module)
            alias = next((a for a in node.names if (a.asname or a.name) == name), None)
            return bindings == [node] and origin is not None and alias is not None and alias.name != "*" \
                and self._enum_class(origin, alias.name, depth + 1)
        return len(defined) == 1 and counts.get(name) == 1 and name not in changed \
            and isinstance(cls := defined[0], ast.ClassDef) and all(_unique(d) for d in cls.decorator_list) \
            and not cls.keywords and any(_base_name(b) in _ENUM_BASES for b in cls.bases) \
            and all(_base_name(b) in _ENUM_BASES | {"str", "int"} for b in cls.bases)

    def _function(self, module: str, name: str,
                  depth: int) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.Module, str] | None:
        parsed = self._module(module) if depth <= _MAX_DEPTH else None
        if parsed is None or self._outside().written(module, f"{module}.{name}"):
            return None
        tree, package = parsed
        counts, changed = self._stores_of(tree)
        if name in changed:
            return None
        defined = [stmt for stmt in self._index_of(tree).get(name, ())
                   if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)]
        if defined:
            return (defined[0], tree, module) if len(defined) == 1 and counts.get(name) == 1 else None
        bindings = _bindings(self._index_of(tree), name, (counts, changed))
        if bindings is None or len(bindings) != 1 or not isinstance(bindings[0], ast.ImportFrom):
            return None
        node = bindings[0]
        origin = absolute_module(module, package, node.level, node.module)
        alias = next(a for a in node.names if (a.asname or a.name) == name)
        return None if origin is None or alias.name == "*" else self._function(origin, alias.name, depth + 1)

    def outside_name(self, module: str, name: str, depth: int = 0) -> str | None:
        """The dotted name outside the project that ``module`` binds ``name`` to, once, by ``from x import y``
        (re-exports through the project's modules followed): assembl's ``from sqlalchemy import Unicode as
        CoerceUnicode`` -> ``sqlalchemy.Unicode``. None when the project binds it otherwise, or more than once."""
        parsed = self._module(module)
        if parsed is None or depth > _MAX_DEPTH or self._outside().written(module, f"{module}.{name}"):
            return None
        tree, package = parsed
        bindings = _bindings(self._index_of(tree), name, self._stores_of(tree))
        if bindings is None or len(bindings) != 1 or not isinstance(bindings[0], ast.ImportFrom):
            return None
        node = bindings[0]
        origin = absolute_module(module, package, node.level, node.module)
        alias = next(a for a in node.names if (a.asname or a.name) == name)
        if origin is None or alias.name == "*":
            return None
        if self._find().find(origin) is None:
            return f"{origin}.{alias.name}"  # not a module of the project
        return self.outside_name(origin, alias.name, depth + 1)

    def _outside(self) -> OutsideWrites:
        if self._writes is None:
            self._writes = OutsideWrites(self.files, self._find())
        return self._writes

    def _find(self) -> ModuleFinder:
        if self._finder is None:
            self._finder = ModuleFinder(self.files, module_roots(self.files, self.env_rel))
        return self._finder

    def _in_package(self, module: str) -> tuple[str, bool] | None:
        """``alembic_db.helpers`` when the project's folder is the package ``alembic_db``: its ``helpers.py``."""
        head, _, rest = module.partition(".")
        parts = rest.split(".")
        if head != self._package or not rest or not all(p.isidentifier() for p in parts):
            return None
        base = "/".join(parts)
        if self.files.is_file(base + ".py"):
            return base + ".py", False
        return (base + "/__init__.py", True) if self.files.is_file(base + "/__init__.py") else None

    def _stores_of(self, tree: ast.Module) -> tuple[dict[str, int], frozenset[str]]:
        if id(tree) not in self._stores:
            self._stores[id(tree)] = _all_stores(tree)
        return self._stores[id(tree)]

    def _index_of(self, tree: ast.Module) -> dict[str, list[ast.stmt]]:
        if id(tree) not in self._indexes:
            self._indexes[id(tree)] = _top_level(tree)
        return self._indexes[id(tree)]

    def _module(self, module: str) -> tuple[ast.Module, bool] | None:
        if module not in self._modules:
            found = self._find().find(module) or self._in_package(module)
            text = self.files.read(found[0]) if found else None
            tree: ast.Module | None = None
            if text is not None:
                try:
                    tree = parse_module(text)
                except (SyntaxError, ValueError, MemoryError, RecursionError):
                    tree = self.rescue(text) if self.rescue is not None else None
            self._modules[module] = (tree, found[1]) if tree is not None and found else None
        return self._modules[module]


def _rebinds_by_name(tree: ast.Module) -> bool:
    """Whether the module may bind its names other than by assignment: ``globals()``, ``vars()``, ``setattr``,
    ``sys.modules``, ``__dict__``."""
    return any((isinstance(node, ast.Name) and node.id in {"globals", "vars", "setattr", "locals", "exec", "eval"})
               or (isinstance(node, ast.Attribute) and node.attr in {"modules", "__dict__"})
               for node in ast.walk(tree))


#: What a release string is read with: a file shipped with the package, or the installed package's metadata.
_SHIPPED_CALLS = frozenset({"Path", "PurePath", "open", "read", "read_text", "strip", "rstrip", "lstrip", "decode",
                            "exists", "is_file", "join", "dirname", "abspath", "realpath", "resolve", "version",
                            "get_distribution", "metadata", "files", "joinpath", "str", "format"})


def _shipped(value: ast.expr, name_ok: Callable[[str], bool]) -> bool:
    """``value`` is built from literals, ``__file__`` and the calls of ``_SHIPPED_CALLS``, and the names it reads pass
    ``name_ok``: nothing a process is handed (no subscript such as ``os.environ["X"]``, no ``getenv``, ``argv``)."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called not in _SHIPPED_CALLS or any(isinstance(a, ast.Starred) for a in node.args) \
                    or any(k.arg is None for k in node.keywords):
                return False
        elif isinstance(node, ast.Attribute):
            if node.attr in {"environ", "argv", "stdin", "modules"} or (node.attr.startswith("__")
                                                                         and node.attr != "__file__"):
                return False
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id not in _SHIPPED_CALLS and not name_ok(node.id):
                return False
        elif not isinstance(node, ast.Constant | ast.BinOp | ast.IfExp | ast.Compare | ast.BoolOp | ast.JoinedStr
                                | ast.FormattedValue | ast.operator | ast.cmpop | ast.boolop | ast.expr_context
                                | ast.keyword):
            return False
    return True


def _self_contained(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function with no decorator whose names are its parameters, what it binds itself and builtins: what it
    gives back is computed from its arguments, never one of the module's classes or tables."""
    if fn.decorator_list:
        return False
    args = fn.args
    own = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    own.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            own.add(node.id)
        elif isinstance(node, ast.Global | ast.Nonlocal | ast.Lambda | ast.ClassDef) or (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node is not fn) or (
                isinstance(node, ast.Attribute) and node.attr.startswith("__")):
            return False  # len.__self__.__import__(...): a dunder reaches past the arguments (attack26e)
    loads = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loads <= own | _BUILTINS


_BUILTINS = frozenset({"int", "float", "str", "bool", "len", "min", "max", "abs", "round", "divmod", "sum", "range",
                       "isinstance", "ValueError", "TypeError", "None", "True", "False"})


def _marks_changed_body(fn: ast.FunctionDef, imported: dict[str, str]) -> bool:
    """A body of a docstring, assignments to the function's own parameters and calls to zope.sqlalchemy's
    ``mark_changed``, at least one."""
    parameters = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    if fn.decorator_list or not all(isinstance(d, ast.Constant) for d in (*fn.args.defaults, *fn.args.kw_defaults)
                                    if d is not None):
        return False  # a decorator or a computed default runs code of its own
    marks = 0
    for stmt in fn.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id in parameters and _fills_default(stmt.value, stmt.targets[0].id):
            continue
        call = stmt.value if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) else None
        root = _root(call.func) if call is not None else None
        called = imported_function(call.func, root, imported[root]) \
            if call is not None and root is not None and root in imported else None
        if called is None or ".".join(called) not in MARKS_CHANGED:
            return False
        marks += 1
    return marks > 0


def _fills_default(value: ast.expr, parameter: str) -> bool:
    """``session = session or make_session()``: the parameter, else a call with no arguments of a plain name (review:
    any right-hand side let ``session.execute("DROP TABLE ...") or session`` through)."""
    if not (isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and len(value.values) == 2):
        return False
    first, second = value.values
    return isinstance(first, ast.Name) and first.id == parameter and _bare_call(second)


def _bare_call(node: ast.expr) -> bool:
    """``make()``, ``factory.make()``, ``get_maker()()``: calls without arguments of a plain or dotted name."""
    if not isinstance(node, ast.Call) or node.args or node.keywords:
        return False
    if isinstance(node.func, ast.Call):
        return _bare_call(node.func)
    return all(isinstance(n, ast.Name | ast.Attribute | ast.expr_context) for n in ast.walk(node.func))


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _literal(node: ast.expr) -> Value | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float) \
            and not isinstance(node.value, bool):
        return node.value
    return None


def _all_stores(tree: ast.Module) -> tuple[dict[str, int], frozenset[str]]:
    """How often each name is bound anywhere in the module (nested scopes included; a ``global`` counts twice:
    a function rebinds it), and the names whose attributes are set (``Role.ADMIN = ...``, ``setattr(Role, ...)``):
    one walk per module, however many values are asked of it."""
    counts: dict[str, int] = {}
    changed: set[str] = set()

    def add(name: str, n: int = 1) -> None:
        counts[name] = counts.get(name, 0) + n

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            add(node.name)  # ``except E as X``, ``case X``, ``case [*X]``
        elif isinstance(node, ast.MatchMapping) and node.rest:
            add(node.rest)
        elif isinstance(node, ast.Global):
            for name in node.names:
                add(name, 2)
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load) \
                and isinstance(node.value, ast.Name):
            changed.add(node.value.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"setattr", "delattr"} \
                and node.args and isinstance(node.args[0], ast.Name):
            changed.add(node.args[0].id)
    return counts, frozenset(changed)


def _top_level(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """Each name a module-level statement binds plainly (``NAME = ...``, ``NAME: T = ...``, ``class``, ``def``,
    ``from m import NAME``), with those statements: read once per module, so asking about many names stays linear
    (a scan of the module per name was quadratic: 4,000 helpers asked of a module of 4,000 defs, 31 s)."""
    index: dict[str, list[ast.stmt]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            names = [stmt.targets[0].id]
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names = [stmt.target.id]
        elif isinstance(stmt, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names = [stmt.name]
        elif isinstance(stmt, ast.ImportFrom):
            names = list(dict.fromkeys(a.asname or a.name for a in stmt.names))
        else:
            continue
        for name in names:
            index.setdefault(name, []).append(stmt)
    return index


def _bindings(index: dict[str, list[ast.stmt]], name: str,
              stores: tuple[dict[str, int], frozenset[str]]) -> list[ast.stmt] | None:
    """The module-level statements that bind ``name`` (``index``: _top_level's, defs left out); None when it is
    bound anywhere else too (a function, a loop, a ``global``, ``Name.attr = ...``): then it is not a constant."""
    found = [stmt for stmt in index.get(name, ()) if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)]
    counts, changed = stores
    if counts.get(name, 0) != len(found) or name in changed:
        return None
    return found


def _class_value(tree: ast.Module, cls: ast.ClassDef, rest: tuple[str, ...]) -> Value | None:
    """``Cls.ATTR`` of a class, or ``Cls.MEMBER.value`` / ``.name`` of an enum, bound once to a literal."""
    enum = any(_base_name(b) in _ENUM_BASES for b in cls.bases)
    if cls.keywords or any(not _unique(d) for d in cls.decorator_list) or not rest:
        return None
    if enum and not _enum_imported(tree, cls):
        return None
    member = rest[0]
    bound = [s for s in cls.body if _binds(s, member)]
    if len(bound) != 1 or not isinstance(bound[0], ast.Assign | ast.AnnAssign) or bound[0].value is None:
        return None
    value = _literal(bound[0].value)
    if value is None:
        return None
    if enum:
        if member.startswith("_") or any(isinstance(s, ast.FunctionDef) and s.name == "__new__" for s in cls.body):
            return None
        if rest[1:] == ("value",):
            return value
        return member if rest[1:] == ("name",) else None
    return value if len(rest) == 1 else None


def _binds(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.Assign):
        return any(isinstance(n, ast.Name) and n.id == name for t in stmt.targets for n in ast.walk(t))
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        return isinstance(stmt.target, ast.Name) and stmt.target.id == name
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt.name == name
    return any(_binds(inner, name) for field in ("body", "orelse") for inner in getattr(stmt, field, []))


def _base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _unique(node: ast.expr) -> bool:
    """``@unique`` / ``@enum.unique``: checks the members, changes none."""
    return _base_name(node) == "unique"


def _enum_imported(tree: ast.Module, cls: ast.ClassDef) -> bool:
    """The enum base is the standard library's: ``from enum import Enum`` or ``enum.Enum``."""
    for base in cls.bases:
        if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id == "enum":
            return True
        if isinstance(base, ast.Name) and base.id in _ENUM_BASES:
            return any(isinstance(s, ast.ImportFrom) and s.module == "enum" and s.level == 0
                       and any(a.name == base.id and a.asname is None for a in s.names) for s in tree.body)
    return False
