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
"""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from migcheck.extract.models.files import ProjectFiles, WorkingTree
from migcheck.extract.models.model import Application, MappedColumn, MappedTable, Note, TypeDecoratorInfo
from migcheck.extract.models.resolve import ModuleFinder, module_roots

MAX_MODULES = 3000
#: How deep a dotted name or a chain of definitions is followed; real models need a handful.
_MAX_DEPTH = 64
#: Text that a module declaring tables or columns contains.
_MAY_MAP = re.compile(r"__tablename__|__table__|\bTable\(|\bColumn\(|mapped_column\(|\bField\(")
_TYPE_PREFIX = re.compile(r"^(?:[A-Za-z_]\w*\.)+")
#: Base classes that bring no columns of their own.
_PLAIN_BASES = {
    "object", "DeclarativeBase", "DeclarativeBaseNoMeta", "MappedAsDataclass", "AsyncAttrs", "SQLModel",
    "Model", "Generic", "Protocol", "ABC", "DeclarativeMeta", "Base", "TypeDecorator", "UserDefinedType",
    "Enum", "IntEnum", "StrEnum", "dict", "BaseModel",
}
_NOT_COLUMNS = {"relationship", "relation", "backref", "synonym", "association_proxy", "composite",
                "dynamic_loader", "query_expression", "hybrid_property", "Relationship", "column_property"}
_CONSTRAINTS = {"PrimaryKeyConstraint", "UniqueConstraint", "ForeignKeyConstraint", "CheckConstraint", "Index",
                "ExcludeConstraint"}
_COLUMN_EXTRAS = {"ForeignKey", "Sequence", "Identity", "Computed", "CheckConstraint", "FetchedValue",
                  "DefaultClause"}
_PYTHON_TYPES = {
    "int": "Integer", "str": "String", "bool": "Boolean", "float": "Float", "Decimal": "Numeric",
    "datetime": "DateTime", "date": "Date", "time": "Time", "timedelta": "Interval", "UUID": "Uuid",
    "bytes": "LargeBinary",
}


def _last(node: ast.expr) -> str:
    """The last name of ``a.b.C`` / ``C`` / ``C(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        return _last(node.value)
    return ""


def _const_bool(node: ast.expr | None) -> bool | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, bool) else None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


@dataclass
class _Module:
    name: str
    rel: str
    path: Path
    tree: ast.Module
    is_package: bool
    #: local name -> (module, attribute or None for the module itself)
    symbols: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    assigns: dict[str, ast.expr] = field(default_factory=dict)
    #: The text mentions ``naming_convention`` (only then is the tree searched for one).
    conventions: bool = False


@dataclass
class _Class:
    module: _Module
    node: ast.ClassDef
    tablename: str | None = None
    #: True: the table name is computed in a way migcheck cannot follow.
    dynamic_name: bool = False
    abstract: bool = False
    #: A ``declared_attr`` ``__tablename__`` for subclasses: "lower" (``cls.__name__.lower()``) or "dynamic".
    directive: str | None = None
    columns: list[MappedColumn] = field(default_factory=list)
    readable: bool = True
    bases: list[_Class | str] = field(default_factory=list)
    table_object: ast.Call | None = None
    sqlmodel_table: bool = False
    type_decorator: bool = False
    #: Declares ``type_annotation_map``: Python annotations may map to other SQL types.
    annotation_map: bool = False


@dataclass
class _Env:
    target: ast.expr | None
    found: bool
    line: int = 1


def _read_env(text: str | None) -> tuple[_Env, ast.Module | None]:
    if text is None:
        return _Env(None, False), None
    try:
        tree = ast.parse(text)
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


class _Reader:
    def __init__(self, files: ProjectFiles, env_rel: str | None, models: list[str], dialect: str) -> None:
        self.files, self.env_rel, self.models, self.dialect = files, env_rel, models, dialect
        self.finder = ModuleFinder(files, module_roots(files, env_rel))
        self.modules: dict[str, _Module] = {}
        self.classes: dict[tuple[str, str], _Class] = {}
        self.app = Application(root=files.root)
        self._noted: set[tuple[str, int]] = set()

    # --- reading modules -------------------------------------------------------------------

    def run(self) -> Application | None:
        env, env_tree = _read_env(self.files.read(self.env_rel) if self.env_rel else None)
        if not self.models and (not env.found or _is_none(env.target)):
            return None
        entries: list[str] = list(self.models)
        env_path = self.files.display(self.env_rel) if self.env_rel else self.files.root
        env_module: _Module | None = None
        if env_tree is not None and self.env_rel:
            env_module = _Module("__alembic_env__", self.env_rel, env_path, env_tree, False)
            self._bind_imports(env_module, all_levels=True)
            entries += [mod for mod, _ in env_module.symbols.values()]
            entries += [f"{mod}.{attr}" for mod, attr in env_module.symbols.values() if attr]
        for name in self.models:
            if self.finder.find(name) is None:
                self._note(f"[tool.migcheck] models names {name!r}, which is not a module of this project",
                           env_path, 1)
        self._load_closure(entries)
        self._note_refused()
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
        return self.app

    def _note_refused(self) -> None:
        """A module file that is there but was not read may map any table: say so, and count every
        table's absence as unknown (a pull request must not hide a model by breaking its file)."""
        for rel, why in sorted(self.files.refused.items()):
            if rel.endswith(".py"):
                self._note(f"{PurePosixPath(rel).name} is not read ({why}): the tables it may map count as "
                           f"unknown", self.files.display(rel), 1)
                self.app.unknown_names = True

    def _note(self, message: str, path: Path, line: int) -> None:
        key = (str(path), line)
        if key not in self._noted:
            self._noted.add(key)
            self.app.notes.append(Note(message, path, line))

    def _load_closure(self, entries: list[str]) -> None:
        # a deque and a seen set: one module may import 100,000 names (a list's pop(0) made that
        # quadratic, 34 s for one 1.2 MB file)
        queue = deque(dict.fromkeys(entries))
        seen = set(queue)
        while queue and len(self.modules) < MAX_MODULES:
            dotted = queue.popleft()
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
                for mod, attr in module.symbols.values():
                    for item in (mod, f"{mod}.{attr}") if attr else (mod,):
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
        parts = dotted.split(".")
        names = (".".join(parts[:i]) for i in range(1, len(parts) + 1))
        return any(name not in self.modules and self.finder.find(name) is not None for name in names)

    def _parse(self, name: str, rel: str, is_package: bool) -> _Module | None:
        text = self.files.read(rel)
        path = self.files.display(rel)
        if text is None:
            return None
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # MemoryError: ``X = ----...1``
            # a module that neither declares tables nor gathers a package's modules does not matter
            if _MAY_MAP.search(text) or is_package:
                line = getattr(exc, "lineno", None) or 1
                self._note(f"{PurePosixPath(rel).name} cannot be parsed by this Python (line {line}): the "
                           f"tables it may map count as unknown", path, line)
                self.app.unknown_names = True
            return None
        module = _Module(name, rel, path, tree, is_package, conventions="naming_convention" in text)
        for node in _statements(tree.body):
            if isinstance(node, ast.ClassDef):
                module.classes.setdefault(node.name, node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        module.assigns[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                module.assigns[node.target.id] = node.value
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
        if level == 0:
            return name
        if module.name == "__alembic_env__":
            package_parts = (self.finder.name_of(module.rel) or "").split(".")[:-1]
        else:
            package_parts = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
        if level - 1 > len(package_parts):
            return None
        base = package_parts[: len(package_parts) - (level - 1)]
        return ".".join([*base, *([name] if name else [])]) or None

    # --- resolving names -------------------------------------------------------------------

    def _lookup(self, module: _Module, name: str, depth: int = 0) -> tuple[str, object] | None:
        """What ``name`` is in ``module``: ("class", _Class) | ("expr", (module, expr)) |
        ("module", _Module) | ("external", dotted) | None."""
        if depth > 12:
            return None
        if name in module.classes:
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
            return self._lookup(target, attr, depth + 1)
        for key, (mod, _) in module.symbols.items():
            if key.startswith("\0*") and (target := self.modules.get(mod)) is not None:
                found = self._lookup(target, name, depth + 1)
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
                return self._lookup(value, node.attr, depth + 1) or ("external", f"{value.name}.{node.attr}")
            if kind == "external":
                return "external", f"{value}.{node.attr}"
            return "attr", (inner, node.attr)
        if isinstance(node, ast.Subscript):
            return self._resolve(module, node.value, depth + 1)
        return None

    # --- classes ---------------------------------------------------------------------------

    def _class(self, module: _Module, node: ast.ClassDef) -> _Class:
        key = (module.rel, node.name)
        if key in self.classes:
            return self.classes[key]
        info = _Class(module, node)
        self.classes[key] = info  # before the bases: a cycle ends here
        for base in node.bases:
            resolved = self._resolve(module, base)
            if resolved is not None and resolved[0] == "class":
                assert isinstance(resolved[1], _Class)
                info.bases.append(resolved[1])
            elif resolved is not None and resolved[0] == "external":
                info.bases.append(str(resolved[1]))
            elif resolved is not None and resolved[0] == "expr" and (made := self._made_base(resolved[1])):
                info.bases.append(made)
            else:
                # a local name bound to a call (Base = declarative_base(), Model = db.Model), an attribute
                # of an object (db.Model), or something migcheck cannot see
                info.bases.append(_last(base) if resolved is not None or isinstance(base, ast.Attribute)
                                  else f"?{_last(base)}")
        info.sqlmodel_table = any(k.arg == "table" and _const_bool(k.value) is True for k in node.keywords)
        info.type_decorator = any((isinstance(b, str) and b.split(".")[-1] in {"TypeDecorator", "UserDefinedType"})
                                  or (isinstance(b, _Class) and b.type_decorator) for b in info.bases)
        self._read_body(info)
        return info

    def _made_base(self, bound: object) -> _Class | str | None:
        """``Base = declarative_base(cls=Mixin)`` -> the mixin class (its columns go to every model);
        ``Base = declarative_base()`` / ``registry().generate_base()`` -> a plain root."""
        module, expr = bound if isinstance(bound, tuple) else (None, None)
        if not isinstance(module, _Module) or not isinstance(expr, ast.Call):
            return None
        if _last(expr.func) not in {"declarative_base", "generate_base", "automap_base", "as_declarative_base"}:
            return None
        cls = _kw(expr, "cls")
        resolved = self._resolve(module, cls) if cls is not None else None
        if resolved is not None and resolved[0] == "class" and isinstance(resolved[1], _Class):
            return resolved[1]
        return "DeclarativeBase" if cls is None else f"?{_last(cls)}"

    def _read_body(self, info: _Class) -> None:
        module = info.module
        for stmt in info.node.body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if not names:
                    info.readable = False
                    continue
                name = names[0]
                value = stmt.value
                annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
                if name == "__tablename__":
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        info.tablename = value.value
                    elif _is_none(value):
                        info.tablename = None
                    else:
                        info.dynamic_name = True
                    continue
                if name == "__abstract__":
                    info.abstract = _const_bool(value) is True
                    continue
                if name == "__table__" and isinstance(value, ast.Call) and _last(value.func) == "Table":
                    info.table_object = value
                    continue
                if name == "type_annotation_map":
                    info.annotation_map = True
                    continue
                if name.startswith("__") or name == "metadata":
                    continue
                column = self._attribute_column(module, info, name, value, annotation, stmt.lineno)
                if column is not None:
                    info.columns.append(column)
            elif isinstance(stmt, ast.FunctionDef):
                decorators = {_last(d) for d in stmt.decorator_list}
                if not decorators & {"declared_attr", "directive"}:
                    continue
                returned = [n.value for n in ast.walk(stmt) if isinstance(n, ast.Return) and n.value is not None]
                if stmt.name == "__tablename__":
                    info.directive = _tablename_directive(returned)
                    continue
                if len(returned) == 1 and isinstance(returned[0], ast.Call):
                    column = self._attribute_column(module, info, stmt.name, returned[0], stmt.returns,
                                                    stmt.lineno)
                    if column is not None:
                        info.columns.append(column)
            elif isinstance(stmt, ast.For | ast.While | ast.With | ast.If | ast.Try):
                info.readable = False  # columns made at class-creation time migcheck cannot follow
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                    and _last(stmt.value.func) in {"setattr", "exec"}:
                info.readable = False

    def _attribute_column(self, module: _Module, info: _Class, attr: str, value: ast.expr | None,
                          annotation: ast.expr | None, line: int) -> MappedColumn | None:
        mapped_ann = annotation is not None and _last(annotation) == "Mapped"
        if annotation is not None and _last(annotation) == "ClassVar":
            return None
        call = value if isinstance(value, ast.Call) else None
        if call is not None and _last(call.func) in {"deferred", "column_property"}:
            inner = call.args[0] if call.args and isinstance(call.args[0], ast.Call) else None
            if inner is None or _last(inner.func) not in {"Column", "mapped_column"}:
                return None
            call = inner
        if call is not None and _last(call.func) in {"Column", "mapped_column"}:
            return self._column_call(module, info, attr, call, annotation if mapped_ann else None, line)
        if info.sqlmodel_table and annotation is not None and not mapped_ann:
            if call is not None and _last(call.func) in _NOT_COLUMNS:
                return None
            if call is not None and _last(call.func) == "Field":
                sa_column = _kw(call, "sa_column")
                if isinstance(sa_column, ast.Call) and _last(sa_column.func) == "Column":
                    return self._column_call(module, info, attr, sa_column, None, line)
                return self._sqlmodel_field(module, info, attr, call, annotation, line)
            return self._sqlmodel_field(module, info, attr, None, annotation, line)
        if mapped_ann and value is None:
            assert annotation is not None
            return self._column_call(module, info, attr, None, annotation, line)
        return None

    def _column_call(self, module: _Module, info: _Class | None, attr: str, call: ast.Call | None,
                     annotation: ast.expr | None, line: int) -> MappedColumn:
        name = attr
        type_node: ast.expr | None = None
        extras: set[str] = set()
        if call is not None:
            args = list(call.args)
            first = args[0] if args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                name = first.value
                args.pop(0)
            for arg in args:
                last = _last(arg)
                if last in _COLUMN_EXTRAS:
                    extras.add(last)
                elif type_node is None and not isinstance(arg, ast.Constant | ast.JoinedStr):
                    type_node = arg
            name_kw = _kw(call, "name")
            if isinstance(name_kw, ast.Constant) and isinstance(name_kw.value, str):
                name = name_kw.value
            type_node = _kw(call, "type_") or type_node
        optional, ann_type = _annotation(annotation)
        type_text = self._type_text(module, type_node) if type_node is not None else None
        if type_text is None and type_node is None and ann_type is not None \
                and not (info is not None and self._annotation_map(info)):
            type_text = _PYTHON_TYPES.get(ann_type)
        primary_key = call is not None and _const_bool(_kw(call, "primary_key")) is True
        nullable = _const_bool(_kw(call, "nullable")) if call is not None else None
        if nullable is None:
            if primary_key:
                nullable = False
            elif annotation is not None:
                nullable = optional
            elif call is not None and _kw(call, "nullable") is None:
                nullable = True
        server_default = (call is not None and any(
            k.arg in {"server_default"} and not _is_none(k.value) for k in call.keywords)) or "Computed" in extras
        insert_default = call is not None and any(
            k.arg in {"default", "insert_default"} and not _is_none(k.value) for k in call.keywords)
        insert_default = insert_default or bool(extras & {"Identity", "Sequence"})
        if primary_key and call is not None and _const_bool(_kw(call, "autoincrement")) is not False \
                and (type_text or "").split("(")[0] in {"Integer", "BigInteger", "SmallInteger", "INTEGER",
                                                         "BIGINT", "SMALLINT", "INT"}:
            insert_default = True
        owner = info.node.name if info is not None else attr
        return MappedColumn(table="", name=name, attribute=attr, owner=owner, path=module.path, line=line,
                            type=type_text, nullable=nullable, primary_key=primary_key,
                            server_default=server_default, insert_default=insert_default)

    def _sqlmodel_field(self, module: _Module, info: _Class, attr: str, call: ast.Call | None,
                        annotation: ast.expr, line: int) -> MappedColumn:
        optional, ann_type = _annotation(annotation)
        primary_key = call is not None and _const_bool(_kw(call, "primary_key")) is True
        nullable = _const_bool(_kw(call, "nullable")) if call is not None else None
        if nullable is None:
            nullable = False if primary_key else optional
        sa_type = _kw(call, "sa_type") if call is not None else None
        type_text = self._type_text(module, sa_type) if sa_type is not None else _PYTHON_TYPES.get(ann_type or "")
        has_default = call is not None and any(k.arg in {"default", "default_factory"} for k in call.keywords)
        return MappedColumn(table="", name=attr, attribute=attr, owner=info.node.name, path=module.path, line=line,
                            type=type_text, nullable=nullable,
                            primary_key=primary_key,
                            server_default=call is not None and _kw(call, "sa_column_kwargs") is not None,
                            insert_default=has_default or (primary_key and ann_type == "int"))

    def _annotation_map(self, info: _Class, depth: int = 0) -> bool:
        if info.annotation_map:
            return True
        return depth < 20 and any(isinstance(b, _Class) and self._annotation_map(b, depth + 1) for b in info.bases)

    def _type_text(self, module: _Module, node: ast.expr) -> str | None:
        """The column type as written without module prefixes; a TypeDecorator gives its stored type."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_variant":
            for_dialect = node.args[1] if len(node.args) > 1 else None
            if isinstance(for_dialect, ast.Constant) and for_dialect.value == self.dialect and node.args:
                return self._type_text(module, node.args[0])
            return self._type_text(module, node.func.value)
        head = node.func if isinstance(node, ast.Call) else node
        resolved = self._resolve(module, head) if isinstance(head, ast.Name | ast.Attribute) else None
        if resolved is not None and resolved[0] == "class":
            decorator = self._decorator(resolved[1]) if isinstance(resolved[1], _Class) else None
            return decorator.impl_for(self.dialect) if decorator else None
        try:
            return _TYPE_PREFIX.sub("", ast.unparse(node))
        except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
            return None

    def _decorator(self, info: _Class) -> TypeDecoratorInfo | None:
        if not info.type_decorator:
            return None
        key = info.node.name
        known = self.app.type_decorators.get(key)
        if known is not None and known.path == info.module.path:
            return known
        impl: str | None = None
        by_dialect: dict[str, str] = {}
        for stmt in info.node.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "impl" for t in stmt.targets):
                impl = self._plain_type(info.module, stmt.value, by_dialect)
            elif isinstance(stmt, ast.FunctionDef) and stmt.name == "load_dialect_impl":
                self._dialect_impls(info.module, stmt.body, by_dialect)
        if impl is None:
            parent = next((b for b in info.bases if isinstance(b, _Class) and b.type_decorator), None)
            inherited = self._decorator(parent) if parent else None
            if inherited is not None:
                impl = inherited.impl
                by_dialect = {**inherited.dialect_impls, **by_dialect}
        found = TypeDecoratorInfo(key, info.module.path, info.node.lineno, impl, by_dialect)
        self.app.type_decorators[key] = found
        return found

    def _plain_type(self, module: _Module, node: ast.expr, by_dialect: dict[str, str]) -> str | None:
        """``impl = JSON`` / ``sa.JSON()`` / ``JSON().with_variant(JSONB(), "postgresql")``."""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_variant":
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                by_dialect.setdefault(node.args[1].value, _TYPE_PREFIX.sub("", ast.unparse(node.args[0])))
            node = node.func.value
        if isinstance(node, ast.Constant):
            return None
        return _TYPE_PREFIX.sub("", ast.unparse(node))

    def _dialect_impls(self, module: _Module, body: list[ast.stmt], by_dialect: dict[str, str]) -> None:
        """``if dialect.name == "postgresql": return dialect.type_descriptor(JSONB())`` and the fallback."""
        for stmt in body:
            if isinstance(stmt, ast.If):
                names = _dialect_names(stmt.test)
                returned = _returned_type(stmt.body)
                for name in names:
                    if returned:
                        by_dialect.setdefault(name, returned)
                self._dialect_impls(module, stmt.orelse, by_dialect)
            elif isinstance(stmt, ast.Return):
                returned = _returned_type([stmt])
                if returned:
                    by_dialect.setdefault("*", returned)

    # --- tables ----------------------------------------------------------------------------

    def _all_columns(self, info: _Class, depth: int = 0) -> tuple[list[MappedColumn], bool]:
        """Own columns and those of unmapped bases (mixins, abstract classes); False when some base
        or body could not be read."""
        columns = list(info.columns)
        complete = info.readable
        for base in info.bases:
            if isinstance(base, str):
                plain = base.split(".")[-1]
                if base.startswith("?") or (plain not in _PLAIN_BASES and not _is_known_root(base)):
                    complete = False
                continue
            if self._own_table(base) is not None or depth > 30:
                continue  # a mapped parent: its columns live in its own table
            inherited, ok = self._all_columns(base, depth + 1)
            names = {c.attribute for c in columns}
            columns += [c for c in inherited if c.attribute not in names]
            complete = complete and ok
        return columns, complete

    def _tablename(self, info: _Class, depth: int = 0) -> tuple[str | None, bool]:
        """The table name from the class or an unmapped base (a mixin's declared_attr)."""
        if info.tablename is not None or info.dynamic_name:
            return info.tablename, info.dynamic_name
        for base in info.bases:
            if isinstance(base, _Class) and depth < 30 and self._own_table(base) is None:
                if base.directive == "lower":
                    return info.node.name.lower(), False
                if base.directive == "dynamic":
                    return None, True
                name, dynamic = self._tablename(base, depth + 1)
                if name is not None or dynamic:
                    return name, dynamic
        return None, False

    def _mapped_parent(self, info: _Class, depth: int = 0) -> _Class | None:
        for base in info.bases:
            if isinstance(base, _Class) and depth < 30:
                if self._own_table(base) is not None:
                    return base
                parent = self._mapped_parent(base, depth + 1)
                if parent is not None:
                    return parent
        return None

    def _own_table(self, info: _Class) -> str | None:
        """The table this class maps on its own ("" when its name cannot be read), or None."""
        if info.abstract or info.type_decorator:
            return None
        if info.table_object is not None:
            first = info.table_object.args[0] if info.table_object.args else None
            return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        if info.tablename is not None or info.dynamic_name:
            return info.tablename or ""
        if info.sqlmodel_table:
            return info.node.name.lower()
        if self._mapped_parent(info) is not None:
            return None
        name, dynamic = self._tablename(info)
        if name is not None or (dynamic and info.columns):
            return name or ""
        if self._flask_model(info) and any(c.primary_key for c in self._all_columns(info)[0]):
            return _snake(info.node.name)
        return None

    def _flask_model(self, info: _Class, depth: int = 0) -> bool:
        for base in info.bases:
            if isinstance(base, str) and base.split(".")[-1] == "Model" and not base.startswith("?"):
                return True
            if isinstance(base, _Class) and depth < 30 and self._flask_model(base, depth + 1):
                return True
        return False

    def _collect(self) -> None:
        for module in list(self.modules.values()):
            for node in module.classes.values():
                info = self._class(module, node)
                if info.type_decorator:
                    self._decorator(info)
        for info in list(self.classes.values()):
            if info.module.name not in self.modules or info.module.classes.get(info.node.name) is not info.node:
                continue
            self._map_class(info)
        for module in self.modules.values():
            for stmt, env in _module_statements(module, module.tree.body, {}):
                value = stmt.value if isinstance(stmt, ast.Assign | ast.Expr) else None
                if isinstance(value, ast.Call) and _last(value.func) == "Table" and len(value.args) >= 2:
                    owner = next((t.id for t in stmt.targets if isinstance(t, ast.Name)), "Table") \
                        if isinstance(stmt, ast.Assign) else "Table"
                    self._map_table_call(module, value, owner, env)

    def _map_class(self, info: _Class) -> None:
        if info.table_object is not None:
            self._map_table_call(info.module, info.table_object, info.node.name)
            return
        own = self._own_table(info)
        parent = self._mapped_parent(info) if own is None else None
        if own is None and parent is None:
            return
        columns, complete = self._all_columns(info)
        if own is None:
            assert parent is not None
            # single-table inheritance: the subclass's columns live in the parent's table
            own = self._own_table(parent)
            if own is None:  # pragma: no cover - _mapped_parent returns a class with a table
                return
            columns = list(info.columns)
            complete = info.readable
            if not columns and complete:
                return
        if own == "":
            self.app.unknown_names = True
            self._note(f"the table name of {info.node.name} is computed in a way migcheck cannot read: "
                       f"its columns count as unknown", info.module.path, info.node.lineno)
            return
        if not complete:
            self._note(f"some columns of {info.node.name} ({own}) come from code migcheck cannot read (a base "
                       f"class outside the project, or columns made in a loop): they count as unknown",
                       info.module.path, info.node.lineno)
        self._add(own, info.node.name, info.module.path, info.node.lineno, columns, complete)

    def _map_table_call(self, module: _Module, call: ast.Call, owner: str, env: dict[str, str] | None = None) -> None:
        name = _string(module, call.args[0], env or {})
        if name is None:
            self.app.unknown_names = True
            self._note(f"Table(...) at line {call.lineno} has a name computed at run time: migcheck cannot tell "
                       f"which table it maps, so its columns count as unknown", module.path, call.lineno)
            return
        columns: list[MappedColumn] = []
        complete = not any(k.arg in {"autoload_with", "autoload"} for k in call.keywords)
        for arg in call.args[2:]:
            if isinstance(arg, ast.Call) and _last(arg.func) in {"Column", "mapped_column"}:
                attr = _string(module, arg.args[0], env or {}) if arg.args else None
                if attr is None:
                    complete = False
                    continue
                column = self._column_call(module, None, attr, arg, None, arg.lineno)
                columns.append(replace(column, name=attr) if column.name != attr else column)
            elif isinstance(arg, ast.Call) and _last(arg.func) in _CONSTRAINTS:
                continue
            else:
                complete = False
        if not complete:
            self._note(f"some columns of table {name} are made by code migcheck cannot read (*columns, a helper "
                       f"call): they count as unknown", module.path, call.lineno)
        self._add(name, owner, module.path, call.lineno, columns, complete)

    def _add(self, name: str, owner: str, path: Path, line: int, columns: list[MappedColumn],
             complete: bool) -> None:
        table = self.app.tables.get(name.lower())
        if table is None:
            table = self.app.tables[name.lower()] = MappedTable(name, owner, path, line, complete=complete)
        else:
            table.complete = table.complete and complete
        for column in columns:
            table.columns.setdefault(column.name.lower(), _with_table(column, name, owner))

    # --- naming convention -----------------------------------------------------------------

    def _all_conventions(self) -> list[dict[str, str]]:
        found = []
        for module in self.modules.values():
            for node in ast.walk(module.tree) if module.conventions else ():
                if isinstance(node, ast.Call) and _last(node.func) == "MetaData":
                    convention = self._convention_of(module, node)
                    if convention is not None:
                        found.append(convention)
        return found

    def _convention_of(self, module: _Module, call: ast.Call) -> dict[str, str] | None:
        value = _kw(call, "naming_convention")
        if isinstance(value, ast.Name):
            resolved = self._lookup(module, value.id)
            if resolved is not None and resolved[0] == "expr":
                module, value = resolved[1]  # type: ignore[misc]
        if not isinstance(value, ast.Dict):
            return None
        out: dict[str, str] = {}
        for key, item in zip(value.keys, value.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(item, ast.Constant) and isinstance(item.value, str):
                out[str(key.value)] = item.value
        return out or None

    def _target_convention(self, env: _Module, target: ast.expr | None) -> dict[str, str] | None:
        """The convention of the MetaData env.py hands to Alembic (the first, for a list)."""
        if isinstance(target, ast.List | ast.Tuple) and target.elts:
            target = target.elts[0]
        if target is None:
            return None
        node = target.value if isinstance(target, ast.Attribute) and target.attr == "metadata" else target
        resolved = self._resolve(env, node)
        for _ in range(8):
            if resolved is None:
                return None
            kind, value = resolved
            if kind == "class":
                assert isinstance(value, _Class)
                for stmt in value.node.body:
                    if isinstance(stmt, ast.Assign | ast.AnnAssign) and isinstance(stmt.value, ast.Call) \
                            and _last(stmt.value.func) == "MetaData":
                        return self._convention_of(value.module, stmt.value)
                parent = next((b for b in value.bases if isinstance(b, _Class)), None)
                resolved = ("class", parent) if parent else None
                continue
            if kind == "expr":
                assert isinstance(value, tuple)
                module: _Module = value[0]
                expr: ast.expr = value[1]
                if isinstance(expr, ast.Call):
                    if _last(expr.func) == "MetaData":
                        return self._convention_of(module, expr)
                    meta = _kw(expr, "metadata")
                    if isinstance(meta, ast.Call):
                        return self._convention_of(module, meta)
                    if isinstance(meta, ast.Name | ast.Attribute):
                        resolved = self._resolve(module, meta)
                        continue
                    return None
                resolved = self._resolve(module, expr) if isinstance(expr, ast.Name | ast.Attribute) else None
                continue
            return None
        return None


# --- small helpers ------------------------------------------------------------------------------


def _statements(body: list[ast.stmt], *, functions: bool = False) -> list[ast.stmt]:
    """Module-level statements, including those under if/try/with (not inside classes; inside
    functions only when asked)."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not functions:
            continue
        if isinstance(node, ast.ClassDef):
            continue
        for name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, name, None)
            if inner:
                out += _statements(inner, functions=functions)
    return out


def _module_statements(module: _Module, body: list[ast.stmt],
                       env: dict[str, str]) -> list[tuple[ast.stmt, dict[str, str]]]:
    """Module-level statements with the loop variables in effect: ``for entity in ("user", "group"):
    Table(f"{entity}_role_map", ...)`` is read once per value."""
    out: list[tuple[ast.stmt, dict[str, str]]] = []
    for node in body:
        out.append((node, env))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            values = _strings(module, node.iter)
            if values is not None:
                for value in values:
                    out += _module_statements(module, node.body, {**env, node.target.id: value})
                continue
        for name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, name, None)
            if inner:
                out += _module_statements(module, inner, env)
    return out


def _strings(module: _Module, node: ast.expr) -> list[str] | None:
    """A literal tuple/list of strings, or a module-level name bound to one."""
    if isinstance(node, ast.Name):
        bound = module.assigns.get(node.id)
        node = bound if bound is not None else node
    if isinstance(node, ast.Tuple | ast.List) and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                                                      for e in node.elts):
        return [str(e.value) for e in node.elts if isinstance(e, ast.Constant)]
    return None


def _string(module: _Module, node: ast.expr, env: dict[str, str]) -> str | None:
    """A table name: a literal, a loop variable, a module constant, or an f-string of those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        bound = module.assigns.get(node.id)
        return bound.value if isinstance(bound, ast.Constant) and isinstance(bound.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.format_spec is not None or part.conversion != -1:
                    return None
                value = _string(module, part.value, env)
            else:
                value = _string(module, part, env)
            if value is None:
                return None
            parts.append(value)
        return "".join(parts)
    return None


def _annotation(node: ast.expr | None) -> tuple[bool, str | None]:
    """``Mapped[Optional[int]]`` -> (nullable, "int"); the Python type's last name."""
    if node is None:
        return False, None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return False, None
    if isinstance(node, ast.Subscript) and _last(node.value) == "Mapped":
        node = node.slice
    optional = False
    while True:
        if isinstance(node, ast.Subscript) and _last(node.value) == "Optional":
            optional, node = True, node.slice
        elif isinstance(node, ast.Subscript) and _last(node.value) == "Union" and isinstance(node.slice, ast.Tuple):
            rest = [e for e in node.slice.elts if not _is_none(e)]
            optional = optional or len(rest) < len(node.slice.elts)
            if len(rest) != 1:
                return optional, None
            node = rest[0]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            if _is_none(node.right):
                optional, node = True, node.left
            elif _is_none(node.left):
                optional, node = True, node.right
            else:
                return optional, None
        elif isinstance(node, ast.Subscript) and _last(node.value) == "Annotated":
            return optional, None  # the SQL type comes from the registry's type_annotation_map
        else:
            break
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return optional, node.value
    return optional, _last(node) or None


def _tablename_directive(returned: list[ast.expr]) -> str:
    """``return cls.__name__.lower()`` is followed ("lower"); anything else is "dynamic"."""
    if len(returned) == 1 and isinstance(returned[0], ast.Call) and not returned[0].args \
            and isinstance(returned[0].func, ast.Attribute) and returned[0].func.attr == "lower":
        inner = returned[0].func.value
        if isinstance(inner, ast.Attribute) and inner.attr == "__name__" and isinstance(inner.value, ast.Name):
            return "lower"
    return "dynamic"


def _is_known_root(base: str) -> bool:
    tail = base.split(".")[-1]
    return tail in _PLAIN_BASES or base.startswith(("sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.", "typing.",
                                                    "enum.", "abc.", "pydantic."))


def _snake(name: str) -> str:
    """Flask-SQLAlchemy's table name for a model without ``__tablename__``."""
    name = re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name)
    return name.lower().lstrip("_")


def _dialect_names(test: ast.expr) -> list[str]:
    """``dialect.name == "postgresql"`` / ``dialect.name in ("a", "b")``."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return []
    left, right = test.left, test.comparators[0]
    if not (isinstance(left, ast.Attribute) and left.attr == "name"):
        return []
    if isinstance(test.ops[0], ast.Eq) and isinstance(right, ast.Constant) and isinstance(right.value, str):
        return [right.value]
    if isinstance(test.ops[0], ast.In) and isinstance(right, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in right.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _returned_type(body: list[ast.stmt]) -> str | None:
    for stmt in body:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            node = stmt.value
            if isinstance(node, ast.Call) and _last(node.func) == "type_descriptor" and node.args:
                node = node.args[0]
            return _TYPE_PREFIX.sub("", ast.unparse(node))
    return None


def _with_table(column: MappedColumn, table: str, owner: str) -> MappedColumn:
    return replace(column, table=table, owner=column.owner if column.owner != column.attribute else owner)
