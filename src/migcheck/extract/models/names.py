"""The base of the application reader: its state, its notes, and name resolution.

``_lookup``/``_resolve`` answer what a name or dotted name in a parsed module is (a class, a
module-level expression, a module of the project, or something outside it), following
``from x import *`` and re-exports. Every other part of the reader (type decorators, columns,
classes, tables; then ``reader._Reader``) builds on this class, one mixin per concern, so each
fits in one reading; ``_class`` is the one method called before it is defined down the chain.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from migcheck.extract.models.files import ProjectFiles
from migcheck.extract.models.model import Application, Note
from migcheck.extract.models.resolve import ModuleFinder, module_roots
from migcheck.extract.models.syntax import _Class, _Module

#: How deep a dotted name or a chain of definitions is followed; real models need a handful.
_MAX_DEPTH = 64

T = TypeVar("T")


class _Names:
    """The reader's state (files, modules read, classes seen, the Application being built),
    its notes, and what a name in a parsed module stands for."""

    def __init__(self, files: ProjectFiles, env_rel: str | None, models: list[str], dialect: str) -> None:
        self.files, self.env_rel, self.models, self.dialect = files, env_rel, models, dialect
        self.finder = ModuleFinder(files, module_roots(files, env_rel))
        self.modules: dict[str, _Module] = {}
        self.classes: dict[tuple[str, str], _Class] = {}
        #: (question, id(class)) -> its answer: what the reader asks of a class and its ancestors, computed once.
        self.memo: dict[tuple[str, int], Any] = {}
        #: The names of the classes that map a table (judge.py: a name bound at run time is one of these).
        self.mapped: set[str] = set()
        self.app = Application(root=files.root)
        self._noted: set[tuple[str, int, str]] = set()
        #: package -> whether the project pins it below its next major version (pins.below_major), read once.
        self.pins: dict[str, bool | None] = {}
        #: Items the method-resolution-order merges have taken so far (tables.MRO_WORK bounds them).
        self.mro_work = 0
        #: id() of the declarative base env.py's ``target_metadata`` is the metadata of (its ``declarative_base()``
        #: call, or its ``class Base(DeclarativeBase)``); None when that is not one known base.
        self.target_base: int | None = None

    if TYPE_CHECKING:  # read by _lookup; defined by _Classes (classes.py), further down the chain
        def _class(self, module: _Module, node: ast.ClassDef) -> _Class: ...

    def _once(self, question: str, info: _Class, start: T, compute: Callable[[], T]) -> T:
        """``compute()`` once per class and question, ``start`` while it runs (a class that reaches itself
        through its bases gets that): a stranger's hierarchy of many-based classes costs each class once,
        not once per path through it."""
        key = (question, id(info))
        if key in self.memo:
            known: T = self.memo[key]
            return known
        self.memo[key] = start
        value = compute()
        self.memo[key] = value
        return value

    def _note(self, message: str, path: Path, line: int, subject: str = "", cause: str = "") -> None:
        key = (str(path), line, message)  # the same note once, however often the code is visited
        if key not in self._noted:
            self._noted.add(key)
            self.app.notes.append(Note(message, path, line, subject, cause))

    # --- resolving names -------------------------------------------------------------------

    def _lookup(self, module: _Module, name: str, depth: int = 0,
                seen: dict[tuple[str, str], int] | None = None) -> tuple[str, object] | None:
        """What ``name`` is in ``module``: ("class", _Class) | ("expr", (module, expr)) |
        ("module", _Module) | ("external", dotted) | None.

        ``seen``: the (module, name) pairs this search asked already, at their least depth: modules that
        star-import each other (``from a import *`` in b, c, d... and back) are each asked once, not once per
        path through them (a lattice of 6 such modules took minutes per unknown name)."""
        if depth > 12:
            return None
        seen = {} if seen is None else seen
        key = (module.name, name)
        if seen.get(key, depth + 1) <= depth:
            return None  # asked already, no deeper: it was not found there (or the search is still in it)
        seen[key] = depth
        if name in module.classes and name not in module.shadowed:
            return "class", self._class(module, module.classes[name])
        if name in module.assigns:
            return "expr", (module, module.assigns[name])
        if name in module.symbols:
            mod, attr = module.symbols[name]
            target = self.modules.get(mod)
            if attr is None:
                return ("module", target) if target else ("external", mod)
            sub = self.modules.get(f"{mod}.{attr}")
            if sub is not None:
                return "module", sub
            if target is None:
                return "external", f"{mod}.{attr}"
            return self._lookup(target, attr, depth + 1, seen)
        for symbol, (mod, _) in module.symbols.items():
            if symbol.startswith("\0*") and (target := self.modules.get(mod)) is not None:
                found = self._lookup(target, name, depth + 1, seen)
                if found is not None:
                    return found
        return None

    def _resolve(self, module: _Module, node: ast.expr, depth: int = 0) -> tuple[str, object] | None:
        if depth > _MAX_DEPTH:  # ``a.a.a...`` thousands deep: unknown, not a RecursionError
            return None
        if isinstance(node, ast.Name):
            return self._lookup(module, node.id, depth)
        if isinstance(node, ast.Attribute):
            inner = self._resolve(module, node.value, depth + 1)
            if inner is None:
                return None
            kind, value = inner
            if kind == "module":
                assert isinstance(value, _Module)
                return self._lookup(value, node.attr, depth + 1) or self._submodule(f"{value.name}.{node.attr}")
            if kind == "external":
                return self._submodule(f"{value}.{node.attr}")
            return "attr", (inner, node.attr)
        if isinstance(node, ast.Subscript):
            return self._resolve(module, node.value, depth + 1)
        return None

    def _submodule(self, dotted: str) -> tuple[str, object]:
        """``a.b`` that the package ``a`` does not bind: the project's module ``a.b`` when it was read (an
        ``import a.b.c`` anywhere sets it on the package, so ``a.b.c.Mixin`` is the project's class; held-out-12
        mlrun's ``mlrun.utils.db.HasStruct``), else the dotted name of something outside."""
        sub = self.modules.get(dotted)
        return ("module", sub) if sub is not None else ("external", dotted)
