"""What a name a revision imports from the project is: a mapped class, a module of them, or not a model.

``orm-model-import-in-migration`` asks this of every import of a revision once the application has
been read: the answer comes from the project's own source, resolved the way the reader resolves a
base class (``from x import y``, re-exports, ``from x import *``), never from the module's name.
``inbox.models.session.session_scope`` is a function, so not a model; ``app.enums.Status`` is an
``Enum``; ``app.models.User`` maps a table. A name the module binds at run time
(``locals().update(...)``) is a model only when the application maps a class of that name; else it
is "unknown", and the rule says nothing rather than guess.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING, Literal

from migcheck.extract.models.syntax import _Class, _last, _Module
from migcheck.extract.models.tables import _declarative_root, _Tables

Kind = Literal["model", "not-model", "outside", "unknown"]

#: Calls whose result gives access to the mapped classes: a declarative base, Flask-SQLAlchemy's ``db``.
_BASE_CALLS = {"declarative_base", "generate_base", "automap_base", "as_declarative_base", "SQLAlchemy",
               "registry"}
#: Calls that map a plain class imperatively: ``mapper(User, users)`` (SQLAlchemy < 2.0, classical mapping),
#: ``registry.map_imperatively(User, users)``.
_IMPERATIVE_CALLS = {"mapper", "map_imperatively"}


class _Judge(_Tables):
    """Classifies imported names against the project's modules (loaded on demand) and mapped classes."""

    if TYPE_CHECKING:  # defined by _Reader (reader.py), further down the chain
        def _parse(self, name: str, rel: str, is_package: bool, *, quiet: bool = False) -> _Module | None: ...

        def _bind_imports(self, module: _Module, *, all_levels: bool) -> None: ...

    def import_kind(self, module: str, name: str | None) -> Kind:
        """``from module import name`` (``name`` None: ``import module``) as "model", "not-model",
        "outside" (the module is not the project's) or "unknown" (the project binds it at run time)."""
        target = self._load(module)
        if target is None:
            return "outside"
        if name is None or name == "*":
            if target.is_package and _inert(target.tree):
                return "not-model"  # ``import app`` runs app/__init__.py only: its model modules stay unloaded
            return self._module_kind(target)
        submodule = self._load(f"{module}.{name}") if target.is_package else None
        if submodule is not None:
            return self._module_kind(submodule)
        return self._name_kind(target, name)

    def _load(self, dotted: str) -> _Module | None:
        """The project module ``dotted``, parsed once (with its packages); None when it is not the project's
        (or does not parse: what it holds is not known). Nothing is noted: the rules have read the notes."""
        parts = dotted.split(".")
        module: _Module | None = None
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            module = self.modules.get(name)
            if module is None:
                found = self.finder.find(name)
                module = self._parse(name, *found, quiet=True) if found is not None else None
                if module is None:
                    return None
                self.modules[name] = module
                self._bind_imports(module, all_levels=False)
        return module

    def _name_kind(self, module: _Module, name: str, depth: int = 0) -> Kind:
        resolved = self._lookup(module, name)
        if resolved is None:
            if self._defines_function(module, name):
                return "not-model"  # a helper: session_scope, create_sequence_if_supported
            return "model" if name in self.mapped else "unknown"
        return self._kind_of(resolved, depth)

    def _kind_of(self, resolved: tuple[str, object], depth: int) -> Kind:
        kind, value = resolved
        if kind == "class":
            assert isinstance(value, _Class)
            return "model" if self._maps(value) else "not-model"
        if kind == "module":
            assert isinstance(value, _Module)
            return self._module_kind(value)
        if kind == "expr":
            assert isinstance(value, tuple)
            where, expr = value
            if isinstance(expr, ast.Name | ast.Attribute) and depth < 8:  # ``Account = accounts.Account``
                again = self._resolve(where, expr)
                return self._kind_of(again, depth + 1) if again is not None else "unknown"
            called = _last(expr.func) if isinstance(expr, ast.Call) else ""
            if called == "MetaData":  # the models' registry when its module maps them or makes their base
                bases = any(isinstance(e, ast.Call) and _last(e.func) in _BASE_CALLS for e in where.assigns.values())
                return "model" if bases else self._module_kind(where)
            if called in _BASE_CALLS or called == "Table":
                return "model"  # a declarative base, ``db``, or an imperative ``Table(...)`` of the application
            if isinstance(expr, ast.Constant | ast.JoinedStr | ast.Tuple | ast.List | ast.Dict | ast.Set | ast.BinOp):
                return "not-model"  # a constant
            return "unknown"  # what another call returns is not known statically
        if kind == "external" and depth < 8:
            dotted = str(value)
            owner, _, attr = dotted.rpartition(".")
            loaded = self._load(owner) if owner else None
            if loaded is not None:  # a re-export from a project module not read yet
                return self._name_kind(loaded, attr, depth + 1)
            return "outside"
        return "unknown"

    def _defines_function(self, module: _Module, name: str) -> bool:
        """``def name`` at the top of the module, or of a project module it star-imports (up to 8 deep).

        Breadth first, each module once: modules that star-import each other cost one visit each, not one
        per path through them (8 such modules took 30 s)."""
        level, seen = [module], {module.name}
        for depth in range(9):
            for current in level:
                if any(isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == name
                       for s in current.tree.body):
                    return True
            if depth == 8:
                break
            starred = [mod for current in level for key, (mod, _) in current.symbols.items() if key.startswith("\0*")]
            level = []
            for mod in dict.fromkeys(starred):
                if mod not in seen and (target := self._load(mod)) is not None:
                    seen.add(mod)
                    level.append(target)
        return False

    def _maps(self, cls: _Class) -> bool:
        """A mapped class, the declarative base, or an abstract model base of the project."""
        if cls.type_decorator:
            return False
        if self._is_mapped(cls) or _declarative_root(cls) or cls.node.name in self._imperatively_mapped():
            return True
        return cls.abstract and self._may_be_declarative(cls)

    def _imperatively_mapped(self) -> frozenset[str]:
        """The names of the classes the modules read so far map imperatively (``mapper(User, users)``, anywhere
        in a module: often in a function that sets up the mappers), each module walked once."""
        union = ("imperative: all", len(self.modules))  # modules are only ever added
        if union in self.memo:
            known: frozenset[str] = self.memo[union]
            return known
        names: set[str] = set()
        for module in list(self.modules.values()):
            if not module.imperative:
                continue
            key = ("imperative", id(module))
            if key not in self.memo:
                self.memo[key] = frozenset(
                    _last(node.args[0]) for node in ast.walk(module.tree)
                    if isinstance(node, ast.Call) and _last(node.func) in _IMPERATIVE_CALLS and node.args
                    and isinstance(node.args[0], ast.Name | ast.Attribute))
            names |= self.memo[key]
        self.memo[union] = frozenset(names)
        return self.memo[union]

    def _module_kind(self, module: _Module, seen: set[str] | None = None) -> Kind:
        """A module of mapped classes: it declares or re-exports one (or a ``Table(...)``, also through ``from
        app.models import *``), or (a package) one of its modules does. ``seen``: the modules asked already
        in this question (star imports that go round)."""
        seen = set() if seen is None else seen
        seen.add(module.name)
        for node in module.classes.values():
            if self._maps(self._class(module, node)):
                return "model"
        if any(attr in self.mapped for _, attr in module.symbols.values() if attr):
            return "model"
        if any(isinstance(e, ast.Call) and _last(e.func) == "Table" for e in module.assigns.values()):
            return "model"  # imperative tables
        if module.is_package:
            folder = module.path.parent
            if any(t.path.is_relative_to(folder) for t in self.app.tables.values()):
                return "model"
        for key, (mod, _) in list(module.symbols.items()):
            if key.startswith("\0*") and mod not in seen and len(seen) < 64 \
                    and (target := self._load(mod)) is not None and self._module_kind(target, seen) == "model":
                return "model"
        return "not-model"


def _inert(tree: ast.Module) -> bool:
    """A package ``__init__.py`` from which no model can come (open-bus-stride-db's empty one, which
    script.py.mako imports into every revision): no class, no call run at import, and no import but
    of the standard library; only docstrings, literal constants (``__version__``) and functions."""
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None and _literal(stmt.value):
            continue
        if isinstance(stmt, ast.Import) and all(_stdlib(a.name) for a in stmt.names):
            continue
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module and _stdlib(stmt.module):
            continue
        return False
    return True


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _stdlib(module: str) -> bool:
    top = module.split(".")[0]
    return top == "__future__" or top in sys.stdlib_module_names
