"""Tables: which table each class maps, imperative ``Table(...)``, and ``MetaData`` conventions.

Over all classes read: a class's own table or its mapped parent's (single-table inheritance),
columns inherited from mixins and abstract bases, SQLModel and Flask-SQLAlchemy generated
names; ``Table(...)`` calls at module level (names from loop variables and f-strings too); and
the ``naming_convention`` of the MetaData env.py hands to Alembic. Tables and columns go into
the Application, incomplete (and noted) where some code could not be read.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

from migcheck.extract.models.classes import _Classes, own_metadata
from migcheck.extract.models.columns import python_type
from migcheck.extract.models.library import library_columns
from migcheck.extract.models.model import MappedColumn, MappedTable
from migcheck.extract.models.mro import c3_merge
from migcheck.extract.models.naming import computed_name
from migcheck.extract.models.syntax import _Class, _kw, _last, _Module, keyed, primary_key_names

#: Base classes that bring no columns of their own.
_PLAIN_BASES = {
    "object", "DeclarativeBase", "DeclarativeBaseNoMeta", "MappedAsDataclass", "AsyncAttrs", "SQLModel",
    "Model", "Generic", "Protocol", "ABC", "DeclarativeMeta", "Base", "TypeDecorator", "UserDefinedType",
    "Enum", "IntEnum", "StrEnum", "dict", "BaseModel",
}
#: Decorators that map a class (or make it a declarative base) without a declarative base class.
_MAPPING_DECORATORS = {"mapped", "mapped_as_dataclass", "as_declarative", "as_declarative_base"}
#: The most classes of a method resolution order migcheck works out (real models have a few dozen at most); past it
#: the list is cut short and the class's columns count as unknown.
MRO_LIMIT = 500
#: The most items the merges of one reading take in all (two seconds or so; real projects need a few thousand): a
#: class whose order is still to work out past it counts as cut short too.
MRO_WORK = 2_000_000
_CONSTRAINTS = {"PrimaryKeyConstraint", "UniqueConstraint", "ForeignKeyConstraint", "CheckConstraint", "Index",
                "ExcludeConstraint"}


class _Tables(_Classes):
    """The mapped tables from every class and ``Table(...)`` read, and the naming convention."""

    # --- tables ----------------------------------------------------------------------------

    def _all_columns(self, info: _Class, depth: int = 0) -> tuple[list[MappedColumn], bool]:
        """Own columns and those of unmapped bases (mixins, abstract classes); False when some base
        or body could not be read."""
        none: tuple[MappedColumn, ...] = ()
        columns, complete = self._once("columns", info, (none, False), lambda: self._inherited(info, depth))
        return list(columns), complete

    def _inherited(self, info: _Class, depth: int) -> tuple[tuple[MappedColumn, ...], bool]:
        columns = list(info.columns)
        complete = info.readable
        for base in info.bases:
            if isinstance(base, str):
                plain = base.split(".")[-1]
                known = library_columns(base, info.module.path, info.node.lineno)
                if known is not None:  # a library base whose columns are known (oslo.db's mixins)
                    names = {c.attribute for c in columns} | info.cleared
                    columns += [c for c in known if c.attribute not in names]
                elif base.startswith("?") or (plain not in _PLAIN_BASES and not _is_known_root(base)):
                    complete = False
                continue
            if self._own_table(base) is not None or depth > 30:
                continue  # a mapped parent: its columns live in its own table
            inherited, ok = self._all_columns(base, depth + 1)
            names = {c.attribute for c in columns} | info.cleared
            columns += [c for c in inherited if c.attribute not in names]
            complete = complete and ok
        return tuple(columns), complete

    def _annotated(self, info: _Class, columns: list[MappedColumn]) -> list[MappedColumn]:
        """Columns typed by their ``Mapped[...]`` annotation alone, typed by the ``type_annotation_map`` of the
        class that maps them (a mixin's ``Mapped[int]`` is BigInteger under a base that maps int so)."""
        if not any(c.annotation is not None for c in columns):
            return columns
        types = self._type_map(info)
        return [replace(c, type=python_type(c.annotation, types)) if c.annotation is not None else c
                for c in columns]

    def _type_map(self, info: _Class) -> dict[str, str | None] | None:
        """The ``type_annotation_map`` SQLAlchemy uses for ``info``: the declarative base's (``class
        Base(DeclarativeBase)``, looked up through its own bases); None when there is none. When the declarative
        base is none of the project's classes and some base comes from a package migcheck cannot read (it may be
        the declarative base, with any map), the map is unknown (``{"*": None}``; held-out-20 #100)."""
        mro = self._mro(info)
        root = next((k for k in mro if k.subclasses_declarative_base), None)
        for cls in self._mro(root) if root is not None else mro:
            if cls.annotation_map is not None:
                return cls.annotation_map
        if root is not None:
            return None
        outside = [b for cls in mro for b in cls.bases if isinstance(b, str)]
        if any(_declarative_name(b) for b in outside):
            return None  # ``declarative_base()``, Flask-SQLAlchemy's ``db.Model``: SQLAlchemy's own map
        if any(b.startswith("?") or ("." in b and not _is_library(b)) for b in outside):
            return {"*": None}
        return None

    def _hidden_columns(self, info: _Class, table: str) -> tuple[str, str, str]:
        """Why some columns of ``info`` may be hidden: the outside bases migcheck cannot read (by name), or
        a body that makes columns at class-creation time. The message, and for outside bases its subject and
        cause (``Note``), so that many classes of one unreadable base make one finding."""
        unknown: list[str] = []
        loops = False
        seen: set[int] = set()
        todo = [info]
        while todo:
            cls = todo.pop()
            if id(cls) in seen or len(seen) > 200:
                continue
            seen.add(id(cls))
            loops = loops or not cls.readable
            for base in cls.bases:
                if isinstance(base, _Class):
                    if base is info or self._own_table(base) is None:
                        todo.append(base)
                elif library_columns(base, cls.module.path, 1) is None \
                        and (base.startswith("?") or not _is_known_root(base)):
                    unknown.append(base.lstrip("?"))
        where = f"{info.node.name} ({table})"
        if self._mro_too_long(info):
            return (f"{where} has more classes in its method resolution order than migcheck follows (more than "
                    f"{MRO_LIMIT}, or too many to merge): columns its ancestors add count as unknown", "", "")
        if unknown:
            names = ", ".join(dict.fromkeys(unknown))
            cause = (f"{names}, which migcheck cannot read: columns "
                     f"{'it' if len(set(unknown)) == 1 else 'they'} may add count as unknown"
                     + (", and so do columns made in a loop or by setattr" if loops else ""))
            return f"{where} derives from {cause}", where, cause
        return (f"some columns of {where} are made in a loop or by setattr, which migcheck cannot follow: "
                f"they count as unknown", "", "")

    def _mro(self, info: _Class, depth: int = 0) -> list[_Class]:
        """The project classes of ``info``'s method resolution order, as Python's C3 orders them (left to
        right, first seen, when the bases cannot be linearised); outside bases are left out. At most
        ``MRO_LIMIT + 1`` classes: a longer list is cut short (``_mro_too_long``)."""
        return self._once("mro", info, [info], lambda: self._linearise(info, depth))

    def _linearise(self, info: _Class, depth: int) -> list[_Class]:
        parents = [b for b in info.bases if isinstance(b, _Class) and b is not info]
        if depth > 30 or not parents:
            return [info]
        seqs = [*(self._mro(b, depth + 1) for b in parents), parents]
        self.mro_work += sum(len(seq) for seq in seqs)
        if self.mro_work > MRO_WORK:
            self.memo[("mro-cut", id(info))] = True
            return c3_merge(info, [parents], MRO_LIMIT + 1)
        return c3_merge(info, seqs, MRO_LIMIT + 1)

    def _mro_too_long(self, info: _Class) -> bool:
        """More classes in ``info``'s method resolution order than migcheck follows (its list is cut short)."""
        return len(self._mro(info)) > MRO_LIMIT or ("mro-cut", id(info)) in self.memo

    def _declared_name(self, info: _Class) -> tuple[str, str | None]:
        """``__tablename__`` as SQLAlchemy's declarative scan finds it for ``info``: ("name", name), ("none",
        None), ("computed", None) (a name migcheck cannot compute), ("dynamic", None) (a ``declared_attr``
        migcheck cannot follow: a name or None) or ("unset", None).

        SQLAlchemy takes a ``__tablename__`` when some class of the MRO defines it and that class is
        ``info`` itself, is not mapped (a mixin, an abstract base, the declarative base) or defines it with
        ``declared_attr``; a plain ``__tablename__ = "x"`` of a mapped parent is not inherited. The value is
        then ordinary attribute lookup on ``info``: the first definition in the MRO, a ``declared_attr``
        called with ``info`` (so ``cls.__name__.lower()`` names the subclass's own table)."""
        mro = self._mro(info)
        if not any(k.tablename_set and (k is info or k.tablename_declared or not self._is_mapped(k)) for k in mro):
            # past the classes migcheck follows, some ancestor may name the table
            return ("dynamic", None) if self._mro_too_long(info) else ("unset", None)
        first = next(k for k in mro if k.tablename_set)
        if first.tablename is not None:
            return "name", first.tablename
        if first.directive == "lower":
            return "name", info.node.name.lower()
        if first.directive == "lower-unless-inherited":
            return ("none", None) if self._mapped_parent(info) is not None else ("name", info.node.name.lower())
        if first.dynamic_name:
            return "computed", None  # ``__tablename__ = PREFIX + "x"``: a name, which migcheck cannot compute
        if first.directive == "dynamic" and first.name_function is not None \
                and (computed := computed_name(first.name_function, info.node.name)) is not None:
            return "name", computed  # ``cls.__name__`` turned to snake case by re.sub (rootthebox; naming.py)
        if first.directive == "dynamic":
            return "dynamic", None  # a function migcheck cannot follow: a name, or None
        return "none", None

    def _is_mapped(self, info: _Class) -> bool:
        return self._own_table(info) is not None or self._mapped_parent(info) is not None

    def _mapped_parent(self, info: _Class, depth: int = 0) -> _Class | None:
        """The nearest ancestor that maps a table of its own (depth first, bases in order)."""
        return self._once("parent", info, None, lambda: self._find_mapped_parent(info, depth))

    def _find_mapped_parent(self, info: _Class, depth: int) -> _Class | None:
        for base in info.bases:
            if isinstance(base, _Class) and depth < 30 and base is not info:
                if self._own_table(base) is not None:
                    return base
                parent = self._mapped_parent(base, depth + 1)
                if parent is not None:
                    return parent
        return None

    def _own_table(self, info: _Class) -> str | None:
        """The table this class maps on its own ("" when its name cannot be read), or None (memoised:
        every class asks it of its ancestors)."""
        return self._once("table", info, None, lambda: self._find_own_table(info))

    def _find_own_table(self, info: _Class) -> str | None:
        if info.abstract or info.type_decorator or not self._may_be_declarative(info) \
                or _declarative_root(info):
            return None
        if info.table_object is not None:
            first = info.table_object.args[0] if info.table_object.args else None
            return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        kind, name = self._declared_name(info)
        if self._mapped_parent(info) is not None:
            if kind == "name":
                return name  # joined-table inheritance (the parent's own name: the same table, extended)
            if (kind == "computed" and (info.tablename_set or info.columns)) \
                    or (kind == "dynamic" and info.foreign_primary_key):
                return ""  # its own table (a primary key that references the parent says so), under a name unknown
            if kind == "unset" and self._flask_model(info) and any(c.primary_key for c in info.columns):
                return _snake(info.node.name)  # Flask-SQLAlchemy: a subclass with its own primary key is joined
            return None  # single-table inheritance: its columns go to the parent's table
        if kind == "name":
            return name
        if kind in ("computed", "dynamic"):
            return "" if info.tablename_set or info.columns else None
        if kind == "unset" and info.sqlmodel_table:
            return info.node.name.lower()
        if kind == "unset" and self._flask_model(info) and any(c.primary_key for c in self._all_columns(info)[0]):
            return _snake(info.node.name)
        return None

    def _may_be_declarative(self, info: _Class, depth: int = 0) -> bool:
        """Some base, however far up, comes from outside the classes read (a declarative base, a name
        migcheck cannot follow): a class whose every ancestor is a plain class of the project is a mixin
        (fides: ``class FidesBase:`` with a ``declared_attr`` ``__tablename__``, the ``cls=`` of
        ``declarative_base``), and maps nothing. A class decorated by a registry (``@reg.mapped``,
        ``@as_declarative()``) is declarative whatever its bases."""
        return self._once("declarative", info, False, lambda: self._declarative(info, depth))

    def _declarative(self, info: _Class, depth: int) -> bool:
        if any(_last(d) in _MAPPING_DECORATORS for d in info.node.decorator_list):
            return True
        for base in info.bases:
            if isinstance(base, str):
                if base != "object" and not base.startswith("builtins."):
                    return True
            elif depth < 30 and self._may_be_declarative(base, depth + 1):
                return True
        return False

    def _flask_model(self, info: _Class, depth: int = 0) -> bool:
        return self._once("flask", info, False, lambda: self._flask(info, depth))

    def _flask(self, info: _Class, depth: int) -> bool:
        for base in info.bases:
            if isinstance(base, str) and base.split(".")[-1] == "Model" and not base.startswith("?"):
                return True
            if isinstance(base, _Class) and depth < 30 and self._flask_model(base, depth + 1):
                return True
        return False

    def _collect(self) -> None:
        for module in list(self.modules.values()):
            self._factories(module)
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
        complete = complete and not self._mro_too_long(info)
        columns = keyed(self._annotated(info, columns), info.key_names)
        if own is None:
            assert parent is not None
            # single-table inheritance: the subclass's columns, and those of mixins it adds (SQLAlchemy copies
            # a mixin's column the parent does not have), live in the parent's table
            own = self._own_table(parent)
            if own is None:  # pragma: no cover - _mapped_parent returns a class with a table
                return
            if not columns and complete:
                return
        self.mapped.add(info.node.name)
        if self._other_metadata(info):
            return  # a model still, but of another declarative base: its table is not in target_metadata
        if own == "":
            self.app.unknown_names = True
            self._note(f"the table name of {info.node.name} is computed in a way migcheck cannot read: "
                       f"its columns count as unknown", info.module.path, info.node.lineno)
            return
        if not complete:
            message, subject, cause = self._hidden_columns(info, own)
            self._note(message, info.module.path, info.node.lineno, subject, cause)
        self._add(own, info.node.name, info.module.path, info.node.lineno, columns, complete)

    def _base_of(self, info: _Class) -> int | None:
        """Which declarative base maps ``info``: the id of its ``declarative_base()`` call or of its
        ``DeclarativeBase`` subclass, the first its method resolution order meets; None when not known."""
        for cls in self._mro(info):
            if cls.made_by is not None:
                return cls.made_by
            if cls.subclasses_declarative_base:  # unless its body may hand it a shared MetaData
                return None if any(isinstance(s, ast.Assign | ast.AnnAssign) and {"metadata", "registry"} & {
                    t.id for t in (s.targets if isinstance(s, ast.Assign) else [s.target]) if isinstance(t, ast.Name)}
                    for s in cls.node.body) else id(cls)
        return None

    def _other_metadata(self, info: _Class) -> bool:
        """Whether ``info`` is mapped on a declarative base other than the one whose metadata env.py hands to
        Alembic (held-out-22 #143: public_models' base imports a mixin from schema_models, which loads models
        mapped on schema_models' own base); False when either base is not known."""
        if self.target_base is None:
            return False
        base = self._base_of(info)
        return base is not None and base != self.target_base

    def _target_base_of(self, env: _Module, target: ast.expr | None) -> int | None:
        """The declarative base of ``target_metadata = Base.metadata`` (tables._base_of's id); None for a list,
        a MetaData of its own or anything not followed."""
        if not isinstance(target, ast.Attribute) or target.attr != "metadata":
            return None
        resolved = self._resolve(env, target.value)
        if resolved is None:
            return None
        kind, value = resolved
        if kind == "class" and isinstance(value, _Class):
            return self._base_of(value)
        if kind == "expr" and isinstance(value, tuple) and self._made_base(value) is not None:
            return own_metadata(value[1])
        return None

    def _map_table_call(self, module: _Module, call: ast.Call, owner: str, env: dict[str, str] | None = None) -> None:
        name = _string(module, call.args[0], env or {})
        if name is None:
            self.app.unknown_names = True
            self._note(f"Table(...) at line {call.lineno} has a name computed at run time: migcheck cannot tell "
                       f"which table it maps, so its columns count as unknown", module.path, call.lineno)
            return
        columns: list[MappedColumn] = []
        keys: set[str] = set()
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
                keys |= primary_key_names(arg)
            else:
                complete = False
        if not complete:
            self._note(f"some columns of table {name} are made by code migcheck cannot read (*columns, a helper "
                       f"call): they count as unknown", module.path, call.lineno)
        self._add(name, owner, module.path, call.lineno, keyed(columns, keys), complete)

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


def _declarative_root(info: _Class) -> bool:
    """The declarative base itself (``class Base(DeclarativeBase)``, ``@as_declarative()``): it gives its
    subclasses their metadata (and maybe a ``declared_attr`` ``__tablename__``) and maps nothing."""
    return any(_last(d) in {"as_declarative", "as_declarative_base"} for d in info.node.decorator_list) \
        or info.subclasses_declarative_base


def _declarative_name(base: str) -> bool:
    """A base that is SQLAlchemy's declarative machinery itself (not a package's class built on it)."""
    return base.split(".")[-1] in {"DeclarativeBase", "DeclarativeBaseNoMeta", "Model", "SQLModel"} \
        and ("." not in base or _is_library(base))


def _is_library(base: str) -> bool:
    """A dotted base from SQLAlchemy, from Python, or from a library whose classes make no declarative base (oslo.db's
    and the login mixins of library.py; not advanced_alchemy's, whose registry has a ``type_annotation_map``)."""
    return base.startswith(("sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.", "typing.", "enum.", "abc.",
                            "pydantic.", "builtins.", "oslo_db.", "flask_login.", "flask_security."))


def _is_known_root(base: str) -> bool:
    tail = base.split(".")[-1]
    return tail in _PLAIN_BASES or base.startswith(("sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.", "typing.",
                                                    "enum.", "abc.", "pydantic.", "builtins."))


def _snake(name: str) -> str:
    """Flask-SQLAlchemy's table name for a model without ``__tablename__``."""
    name = re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name)
    return name.lower().lstrip("_")


def _with_table(column: MappedColumn, table: str, owner: str) -> MappedColumn:
    return replace(column, table=table, owner=column.owner if column.owner != column.attribute else owner)
