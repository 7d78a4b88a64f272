"""Read the application's models from their AST: what Alembic's ``target_metadata`` holds.

The way in is env.py's ``target_metadata = Base.metadata`` (or a list of metadata), followed
through env.py's imports to the application's own modules, and through theirs (importing a
module is what registers its models on the metadata); ``[tool.migcheck] models = [...]`` adds
module names for projects whose env.py hides them. Nothing is imported or executed: the
application may be a stranger's pull request.

Read: declarative classes (``__tablename__``, ``Mapped[...]`` with and without
``mapped_column``, ``Column``, ``mapped_column("db_name")`` under another attribute, mixins,
abstract bases, ``declared_attr``, ``deferred`` / ``column_property``), SQLModel ``table=True``
classes, Flask-SQLAlchemy's generated table names, imperative ``Table(...)``,
``MetaData(naming_convention=...)`` and ``TypeDecorator`` classes. What cannot be read becomes a
``Note`` and makes the table's columns unknown (``MappedTable.complete = False``).

The reader is one class built in layers, one module each: names.py (state, name resolution),
decorators.py (TypeDecorators), columns.py, classes.py, tables.py (tables and naming
conventions), judge.py (what a revision's import names in the project); this module follows the
imports from env.py and runs them.
"""

from __future__ import annotations

import ast
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from migcheck.extract.models.files import ProjectFiles, WorkingTree
from migcheck.extract.models.judge import _Judge
from migcheck.extract.models.model import Application, Note
from migcheck.extract.models.pins import below_version
from migcheck.extract.models.syntax import _bound_names, _is_none, _Module, _statements
from migcheck.extract.models.typeparams import parse_module
from migcheck.extract.python.imports import absolute_module
from migcheck.vocabulary.lazyregex import lazy_regex

MAX_MODULES = 3000
#: Text that a module declaring tables or columns contains.
_MAY_MAP = lazy_regex(r"__tablename__|__table__|\bTable\(|\bColumn\(|mapped_column\(|\bField\(")


@dataclass(eq=False, repr=False)
class _Env:
    """What env.py assigns to ``target_metadata`` (``found``: it assigns something)."""

    target: ast.expr | None
    found: bool
    line: int = 1


def _read_env(text: str | None) -> tuple[_Env, ast.Module | None]:
    if text is None:
        return _Env(None, False), None
    try:
        tree = parse_module(text)  # an env.py of a newer Python too (3.14's except A, B:, held-out-28 #58-#60)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # a stranger's env.py: never a traceback
        return _Env(None, False), None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "target_metadata"
                                                for t in node.targets):
            return _Env(node.value, True, node.lineno), tree
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == "target_metadata" and node.value is not None:
            return _Env(node.value, True, node.lineno), tree
    return _Env(None, False), tree


#: Calls that import a module named by a string at run time (oslo's ``importutils.try_import``).
_IMPORT_CALLS = {"import_module", "try_import", "import_module_or_none"}


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Modules env.py imports at run time by a literal name (``importutils.try_import("app.models")``,
    ``importlib.import_module("app.models")``; held-out-4: mistral): read like an ``import``."""
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name) and node.args
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) in _IMPORT_CALLS
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def read_application(
    project: Path,
    env_py: str | None = None,
    models: list[str] | tuple[str, ...] = (),
    *,
    files: ProjectFiles | None = None,
    dialect: str = "postgresql",
) -> Application | None:
    """The application's mapped tables, read statically; None when the project names no models
    (no env.py ``target_metadata``, or ``target_metadata = None``, and no ``models`` setting).

    ``env_py`` is project-relative; ``files`` defaults to the working tree under ``project`` (pass a
    ``GitTree`` to read another commit).
    """
    files = files or WorkingTree(project)
    try:
        return _Reader(files, env_py, list(models), dialect).run()
    except RecursionError:
        # a stranger's models nested deeper than any path above guards: nothing is known, say so
        app = Application(root=files.root, unknown_names=True)
        app.notes.append(Note("the models are nested too deeply to read statically: every table counts as unknown",
                              files.display(env_py) if env_py else files.root, 1))
        return app


class _Reader(_Judge):
    """Follows the imports from env.py (and ``[tool.migcheck] models``) and reads what they load."""

    # --- reading modules -------------------------------------------------------------------

    def run(self) -> Application | None:
        env, env_tree = _read_env(self.files.read(self.env_rel) if self.env_rel else None)
        if not self.models and (not env.found or _is_none(env.target)):
            return None
        entries: list[str] = list(self.models)
        env_path = self.files.display(self.env_rel) if self.env_rel else self.files.root
        env_module: _Module | None = None
        if env_tree is not None and self.env_rel:
            env_module = _Module("__alembic_env__", self.env_rel, env_path, env_tree, False, imperative=True)
            self._bind_imports(env_module, all_levels=True)
            entries += [mod for mod, _ in env_module.symbols.values()]
            entries += _star_entries(env_module)
            entries += [f"{mod}.{attr}" for mod, attr in env_module.symbols.values() if attr]
            entries += _runtime_imports(env_tree)
        for name in self.models:
            if self.finder.find(name) is None:
                self._note(f"[tool.migcheck] models names {name!r}, which is not a module of this project",
                           env_path, 1)
        self._load_closure(entries)
        self._note_refused()
        if env_module is not None and not self.models:
            self.target_base = self._target_base_of(env_module, env.target)
        self._collect()
        if env_module is not None:
            self.app.naming_convention = self._target_convention(env_module, env.target)
        if self.app.naming_convention is None:
            conventions = {tuple(sorted(c.items())) for c in self._all_conventions()}
            if len(conventions) == 1:
                self.app.naming_convention = dict(next(iter(conventions)))
        if not self.app.tables and not self.app.unknown_names:
            self._note("migcheck could not follow env.py's target_metadata to any model (it is built at run "
                       "time?): name the model modules in [tool.migcheck] models = [\"app.models\"] so "
                       "rolling-deploy and drift rules can judge drops", env_path, env.line)
            self.app.unknown_names = True
        self.app.files = sorted(m.path for m in self.modules.values())
        self.app.alembic_before_1_12 = below_version(self.files, "alembic", (1, 12))
        self.app.sqlalchemy_before_1_4 = below_version(self.files, "sqlalchemy", (1, 4))
        self.app.judge = self
        return self.app

    def _note_refused(self) -> None:
        """A module file that is there but was not read may map any table: say so, and count every
        table's absence as unknown (a pull request must not hide a model by breaking its file)."""
        for rel, why in sorted(self.files.refused.items()):
            if rel.endswith(".py"):
                self._note(f"{PurePosixPath(rel).name} is not read ({why}): the tables it may map count as "
                           f"unknown", self.files.display(rel), 1)
                self.app.unknown_names = True

    def _load_closure(self, entries: list[str]) -> None:
        # a deque and a seen set: one module may import 100,000 names (a list's pop(0) made that
        # quadratic, 34 s for one 1.2 MB file)
        queue = deque(dict.fromkeys(entries))
        seen = set(queue)
        while queue and len(self.modules) < MAX_MODULES:
            dotted = queue.popleft()
            star = dotted.endswith(".*")  # ``from pkg import *``: pkg, then the submodules its __all__ names
            dotted = dotted.removesuffix(".*")
            parts = dotted.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ first
                name = ".".join(parts[:i])
                if name in self.modules:
                    continue
                parent = self.modules.get(".".join(parts[: i - 1]))
                if parent is not None and not parent.is_package:
                    break  # ``from models import Account``: a plain module has no submodules to look for
                found = self.finder.find(name)
                if found is None:
                    continue
                module = self._parse(name, *found)
                if module is None:
                    continue
                self.modules[name] = module
                self._bind_imports(module, all_levels=False)
                for item in [*(i for mod, attr in module.symbols.values()
                                 for i in ((mod, f"{mod}.{attr}") if attr else (mod,))), *_star_entries(module)]:
                    if item not in seen:
                        seen.add(item)
                        queue.append(item)
            package = self.modules.get(dotted) if star else None
            if package is not None and package.is_package:
                for item in (f"{dotted}.{name}" for name in _all_names(package)):
                    if item not in seen:
                        seen.add(item)
                        queue.append(item)
        if any(self._unread(item) for item in queue):
            self._note(f"the models import more than {MAX_MODULES} modules of this project: migcheck read the "
                       f"first {MAX_MODULES}, so the tables of the rest count as unknown",
                       self.files.display(self.env_rel) if self.env_rel else self.files.root, 1)
            self.app.unknown_names = True

    def _unread(self, dotted: str) -> bool:
        """``dotted`` (or a package above it) is a module of the project that was not read."""
        parts = dotted.removesuffix(".*").split(".")
        names = (".".join(parts[:i]) for i in range(1, len(parts) + 1))
        return any(name not in self.modules and self.finder.find(name) is not None for name in names)

    def _parse(self, name: str, rel: str, is_package: bool, *, quiet: bool = False) -> _Module | None:
        """The module parsed; a file that does not parse is noted (and makes every table's absence
        unknown) unless ``quiet``: the judge's late reads must not change what the rules already saw."""
        text = self.files.read(rel)
        path = self.files.display(rel)
        if text is None:
            return None
        try:
            tree = parse_module(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # MemoryError: ``X = ----...1``
            # a module that neither declares tables nor gathers a package's modules does not matter
            if not quiet and (_MAY_MAP.search(text) or is_package):
                line = getattr(exc, "lineno", None) or 1
                self._note(f"{PurePosixPath(rel).name} cannot be parsed by this Python (line {line}): the "
                           f"tables it may map count as unknown", path, line)
                self.app.unknown_names = True
            return None
        module = _Module(name, rel, path, tree, is_package, conventions="naming_convention" in text,
                         imperative="mapper" in text or "map_imperatively" in text)
        last_is_class: dict[str, bool] = {}  # the last module-level binding of each name is a class statement
        bound: Counter[str] = Counter()
        for node in _statements(tree.body):
            bound.update(_bound_names(node))
            if isinstance(node, ast.ClassDef):
                module.classes.setdefault(node.name, node)
                last_is_class[node.name] = True
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        module.assigns[target.id] = node.value
                        last_is_class[target.id] = False
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                module.assigns[node.target.id] = node.value
                last_is_class[node.target.id] = False
        module.shadowed = {n for n, is_class in last_is_class.items() if not is_class and n in module.classes}
        module.rebound = {n for n in module.assigns if bound[n] > 1}
        module.twice = {n for n, count in bound.items() if count > 1}
        return module

    def _bind_imports(self, module: _Module, *, all_levels: bool) -> None:
        nodes = ast.walk(module.tree) if all_levels else _statements(module.tree.body, functions=True)
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        module.symbols[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".")[0]
                        module.symbols.setdefault(top, (top, None))
                        module.symbols[f"\0{alias.name}"] = (alias.name, None)  # loads the submodule too
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(module, node.module or "", node.level)
                if base is None:
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        module.symbols[f"\0*{base}"] = (base, None)
                        continue
                    module.symbols[alias.asname or alias.name] = (base, alias.name)

    def _absolute(self, module: _Module, name: str, level: int) -> str | None:
        if module.name == "__alembic_env__":  # env.py: relative to where its file sits
            return absolute_module(self.finder.name_of(module.rel) or "", False, level, name)
        return absolute_module(module.name, module.is_package, level, name)


# --- small helpers ------------------------------------------------------------------------------


def _star_entries(module: _Module) -> list[str]:
    """``pkg.*`` for each ``from pkg import *`` of the module: the closure loads ``pkg`` and then the submodules
    its ``__all__`` names, which Python imports for a star import of a package (held-out-28 #85: mavedb's
    ``models/__init__.py`` is only ``__all__ = ["taxonomy", ...]``)."""
    return [f"{mod}.*" for key, (mod, _) in module.symbols.items() if key.startswith("\0*")]


def _all_names(module: _Module) -> list[str]:
    """The strings of the package's ``__all__`` (bound once to a literal list or tuple) that its ``__init__`` does
    not bind itself: Python imports those as submodules for ``from pkg import *``. A computed ``__all__`` names
    nothing migcheck can know; an entry that is no identifier (``""``, ``"a.b"``, ``"../x"``) is no submodule
    (``""`` read the package again as ``pkg.``, then ``pkg..``..., 3,000 times: attack28b)."""
    value = module.assigns.get("__all__")
    if "__all__" in module.rebound or not isinstance(value, ast.List | ast.Tuple):
        return []
    bound = {name for node in _statements(module.tree.body) for name in _bound_names(node)}
    return [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            and e.value.isidentifier() and e.value not in bound]
