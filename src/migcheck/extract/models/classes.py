"""Declarative classes: a ``class`` statement read into a ``_Class`` record.

Bases are resolved (project classes, outside names, ``declarative_base(cls=Mixin)``), and the
body gives ``__tablename__`` / ``__abstract__`` / ``__table__``, the columns, ``declared_attr``
directives and whether anything (loops, ``setattr``) makes columns migcheck cannot see.
Which table a class maps is decided later, over all classes (tables.py).
"""

from __future__ import annotations

import ast
import builtins

from migcheck.extract.models.columns import _Columns
from migcheck.extract.models.syntax import _Class, _const_bool, _is_none, _kw, _last, _Module, primary_key_names

#: Python's built-in classes (``object``, ``dict``, ``Exception``): a base the module does not bind by
#: one of these names is Python's own, which declares no column.
_BUILTIN_CLASSES = frozenset(name for name, value in vars(builtins).items() if isinstance(value, type))


def _module_string(module: _Module, value: ast.expr | None, cls: ast.ClassDef) -> str | None:
    """The string a class body's name (``__tablename__ = NOM``) certainly holds when the class is made: a name the
    module binds once, at its top level, to a string literal above the class statement, which neither the class
    body nor a ``global`` statement binds; None otherwise (a name that may hold anything at that point)."""
    if not isinstance(value, ast.Name) or value.id in module.rebound:
        return None
    bound = module.assigns.get(value.id)
    if not (isinstance(bound, ast.Constant) and isinstance(bound.value, str) and bound.lineno < cls.lineno):
        return None
    top = any(isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is bound for stmt in module.tree.body)
    in_class = any(isinstance(node, ast.Name) and node.id == value.id and isinstance(node.ctx, ast.Store)
                   for stmt in cls.body for node in ast.walk(stmt))
    declared_global = any(isinstance(node, ast.Global) and value.id in node.names for node in ast.walk(module.tree))
    return bound.value if top and not in_class and not declared_global else None


def uncast(expr: object) -> object:
    """``typing.cast(T, value)`` is ``value`` (``Base = t.cast(t.Any, declarative_base())``, held-out-22 #143)."""
    if isinstance(expr, ast.Call) and _last(expr.func) == "cast" and len(expr.args) == 2 and not expr.keywords:
        return expr.args[1]
    return expr


def own_metadata(expr: object) -> int | None:
    """id() of a ``declarative_base(...)`` call that makes a MetaData of its own (no ``metadata=``, or a fresh
    ``MetaData(...)``); None when it may share another base's (``metadata=Base.metadata``)."""
    call = uncast(expr)
    if not isinstance(call, ast.Call):
        return None
    shared = next((k.value for k in call.keywords if k.arg in {"metadata", None}), None)
    if shared is not None and not (isinstance(shared, ast.Call) and _last(shared.func) == "MetaData"):
        return None
    return id(call)


class _Classes(_Columns):
    """A class statement read once: its bases resolved, its body read into a _Class."""

    # --- classes ---------------------------------------------------------------------------

    def _class(self, module: _Module, node: ast.ClassDef) -> _Class:
        key = (module.rel, node.name)
        if key in self.classes:
            return self.classes[key]
        info = _Class(module, node)
        self.classes[key] = info  # before the bases: a cycle ends here
        for base in node.bases:
            resolved = self._resolve(module, base)
            if _last(base) in {"DeclarativeBase", "DeclarativeBaseNoMeta"} and (resolved is None
                                                                                or resolved[0] == "external"):
                info.subclasses_declarative_base = True  # not a project name bound to declarative_base()
            if resolved is not None and resolved[0] == "class":
                assert isinstance(resolved[1], _Class)
                info.bases.append(resolved[1])
            elif resolved is not None and resolved[0] == "external":
                info.bases.append(str(resolved[1]))
            elif resolved is not None and resolved[0] == "expr" and (made := self._made_base(resolved[1])):
                info.bases.append(made)
                info.made_by = own_metadata(resolved[1][1]) if isinstance(resolved[1], tuple) else None
                info.annotation_map = self._made_types(resolved[1]) or info.annotation_map
                if isinstance(made, _Class):
                    info.bases.append("DeclarativeBase")  # the cls= mixin, and a declarative base besides
            elif resolved is None and isinstance(base, ast.Name) and base.id in _BUILTIN_CLASSES:
                info.bases.append(f"builtins.{base.id}")  # ``class Mixin(object)``: Python's own, no column
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
        """``Base = declarative_base(cls=Mixin)`` -> the mixin class (its columns go to every model), or its
        dotted name when it comes from outside the project; ``Base = declarative_base()`` / ``registry().generate_base()`` -> a plain root."""
        module, expr = bound if isinstance(bound, tuple) else (None, None)
        expr = uncast(expr)
        if not isinstance(module, _Module) or not isinstance(expr, ast.Call):
            return None
        if _last(expr.func) not in {"declarative_base", "generate_base", "automap_base", "as_declarative_base"}:
            return None
        cls = _kw(expr, "cls")
        resolved = self._resolve(module, cls) if cls is not None else None
        if isinstance(cls, ast.Name) and cls.id in module.shadowed:
            # ``Base = declarative_base(cls=Base)``: the call sees the class statement the assignment rebinds
            resolved = "class", self._class(module, module.classes[cls.id])
        if resolved is not None and resolved[0] == "class" and isinstance(resolved[1], _Class):
            return resolved[1]
        if resolved is not None and resolved[0] == "external":
            return str(resolved[1])  # a library's class: known (library.py) or unknown by its dotted name
        return "DeclarativeBase" if cls is None else f"?{_last(cls)}"

    def _made_types(self, bound: object) -> dict[str, str | None] | None:
        """The ``type_annotation_map`` of ``Base = declarative_base(type_annotation_map=...)`` or of
        ``reg.generate_base()`` where ``reg = registry(type_annotation_map=...)``; None when it gives none."""
        module, expr = bound if isinstance(bound, tuple) else (None, None)
        if not isinstance(module, _Module) or not isinstance(expr, ast.Call):
            return None
        if _last(expr.func) == "declarative_base":
            given = _kw(expr, "type_annotation_map")
            return self._annotation_types(module, given) if given is not None else None
        if isinstance(expr.func, ast.Attribute) and expr.func.attr == "generate_base":
            return self._registry_types(module, expr.func.value)
        return None

    def _registry_types(self, module: _Module, node: ast.expr, hops: int = 0) -> dict[str, str | None] | None:
        """The ``type_annotation_map`` of ``registry(type_annotation_map=...)``, or of a name bound to one."""
        if isinstance(node, ast.Name) and hops < 4:
            resolved = self._resolve(module, node)
            if resolved is not None and resolved[0] == "expr" and isinstance(resolved[1], tuple):
                return self._registry_types(resolved[1][0], resolved[1][1], hops + 1)
            return None
        if isinstance(node, ast.Call) and _last(node.func) == "registry":
            given = _kw(node, "type_annotation_map")
            return self._annotation_types(module, given) if given is not None else None
        return None

    def _annotation_types(self, module: _Module, node: ast.expr) -> dict[str, str | None]:
        """A ``type_annotation_map`` read: Python type's last name -> the SQL type it maps to (None when that
        type cannot be read); ``{"*": None}`` when the map is not a dict literal (or a module name bound to one)."""
        if isinstance(node, ast.Name):
            resolved = self._resolve(module, node)
            if resolved is not None and resolved[0] == "expr" and isinstance(resolved[1], tuple):
                module, node = resolved[1]
        if not isinstance(node, ast.Dict) or any(key is None for key in node.keys):
            return {"*": None}
        types: dict[str, str | None] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None or not _last(key):
                return {"*": None}
            # ``int: BigInteger`` is read by the key's name; a generic key (``dict[str, Any]``) makes its name unknown
            types[_last(key)] = self._type_text(module, value) if isinstance(key, ast.Name | ast.Attribute) \
                else None
        return types

    def _read_body(self, info: _Class) -> None:
        module = info.module
        for stmt in info.node.body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if not names:
                    # ``lookup[v] = k``, ``a, b = ...``: a column only when it writes the class's namespace or
                    # makes a column (``locals()["x"] = Column(...)``)
                    info.readable = info.readable and not _may_make_columns(stmt, info.sqlmodel_table)
                    continue
                name = names[0]
                value = stmt.value
                annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
                if name == "__tablename__":
                    info.tablename_set = True
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        info.tablename = value.value
                    elif _is_none(value):
                        info.tablename = None
                    elif (constant := _module_string(module, value, info.node)) is not None:
                        info.tablename = constant  # NOM = "nom_analysis" above the class (held-out-27 #99)
                    else:
                        info.dynamic_name = True
                    continue
                if name == "__abstract__":
                    info.abstract = _const_bool(value) is True
                    continue
                if name == "__table__" and isinstance(value, ast.Call) and _last(value.func) == "Table":
                    info.table_object = value
                    continue
                if name == "__table_args__":
                    info.key_names = primary_key_names(value)
                    continue
                if name == "type_annotation_map" and value is not None:
                    info.annotation_map = self._annotation_types(module, value)
                    continue
                if name == "registry" and value is not None \
                        and (types := self._registry_types(module, value)) is not None:
                    info.annotation_map = types  # ``registry = registry(type_annotation_map={...})``
                    continue
                if name.startswith("__") or name == "metadata":
                    continue
                if _is_none(value) and annotation is None:
                    info.cleared.add(name)  # id = None: the base's column is not this table's
                    continue
                column = self._attribute_column(module, info, name, value, annotation, stmt.lineno)
                if column is not None:
                    info.columns.append(column)
                    info.foreign_primary_key |= column.primary_key and _names_foreign_key(value)
            elif isinstance(stmt, ast.FunctionDef):
                decorators = {_last(d) for d in stmt.decorator_list}
                if not decorators & {"declared_attr", "directive"}:
                    continue
                returned = [n.value for n in ast.walk(stmt) if isinstance(n, ast.Return) and n.value is not None]
                if stmt.name == "__tablename__":
                    info.tablename_set = info.tablename_declared = True
                    if len(returned) == 1 and isinstance(returned[0], ast.Constant) \
                            and isinstance(returned[0].value, str):
                        info.tablename = returned[0].value  # return "plus_control": a name like any other
                    else:
                        info.directive = _tablename_directive(stmt.body, returned)
                        info.name_function = stmt  # a name computed from the class's: naming.py may follow it
                    continue
                if len(returned) == 1 and isinstance(returned[0], ast.Call):
                    column = self._attribute_column(module, info, stmt.name, returned[0], stmt.returns,
                                                    stmt.lineno)
                    if column is not None:
                        info.columns.append(column)
                        info.foreign_primary_key |= column.primary_key and _names_foreign_key(returned[0])
            elif not isinstance(stmt, ast.AsyncFunctionDef | ast.ClassDef) \
                    and _may_make_columns(stmt, info.sqlmodel_table):
                info.readable = False  # columns made at class-creation time migcheck cannot follow


#: Calls that make a column (``Field`` only in a SQLModel table) or write the class's namespace (``locals()[name] =``,
#: ``vars().update(...)``, ``setattr``, ``exec``), or make a ``declared_attr`` directive.
_COLUMN_CALLS = frozenset({"Column", "mapped_column", "declared_attr"})
_NAMESPACE_CALLS = frozenset({"locals", "vars", "setattr", "exec"})


def _may_make_columns(stmt: ast.stmt, sqlmodel: bool) -> bool:
    """A class-body statement other than ``name = value`` (a loop, an ``if``, ``with``, ``try``, a call, an
    assignment to a subscript) that may give the class columns migcheck cannot follow: it makes a column, writes
    the class's namespace, annotates a name ``Mapped[...]`` (any name, in a SQLModel table) or defines a
    ``declared_attr``. The body of ``if TYPE_CHECKING:`` never runs (held-out-23 #87). A loop that only fills a plain dict or set (``lookup[v] = k``, ``known.add(...)``) or binds
    plain values makes none (held-out-21 #91, #92): a column is what the same statement outside it would make."""
    calls = _COLUMN_CALLS | _NAMESPACE_CALLS | ({"Field"} if sqlmodel else set())
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(_last(d) in {"declared_attr", "directive", "cascading"} for d in node.decorator_list):
                return True
            todo += [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]
            continue  # a method's body runs later, on instances or the class: it makes no class attribute
        if isinstance(node, ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name | ast.Attribute) \
                and _last(node.test) == "TYPE_CHECKING":
            todo.extend(node.orelse)  # ``if TYPE_CHECKING: x: Mapped[bool]``: for type checkers, never run
            continue
        if isinstance(node, ast.Call) and _last(node.func) in calls:
            return True
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and (sqlmodel or _last(node.annotation) == "Mapped"):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


def _tablename_directive(body: list[ast.stmt], returned: list[ast.expr]) -> str:
    """``return cls.__name__.lower()`` is followed ("lower"), and so is SQLAlchemy's documented
    ``if has_inherited_table(cls): return None`` before it ("lower-unless-inherited": single-table
    subclasses); anything else is "dynamic"."""
    if len(returned) == 1 and _lowered_name(returned[0]):
        return "lower"
    code = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(code) == 2 and isinstance(code[0], ast.If) and not code[0].orelse and len(code[0].body) == 1 \
            and isinstance(code[0].test, ast.Call) and _last(code[0].test) == "has_inherited_table" \
            and isinstance(code[0].body[0], ast.Return) and _is_none(code[0].body[0].value) \
            and isinstance(code[1], ast.Return) and code[1].value is not None and _lowered_name(code[1].value):
        return "lower-unless-inherited"
    return "dynamic"


def _lowered_name(node: ast.expr) -> bool:
    """``cls.__name__.lower()``."""
    if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "lower":
        inner = node.func.value
        return isinstance(inner, ast.Attribute) and inner.attr == "__name__" and isinstance(inner.value, ast.Name)
    return False


def _names_foreign_key(value: ast.expr | None) -> bool:
    """The column's call names a ``ForeignKey(...)`` (``Column(ForeignKey("event.id"), primary_key=True)``)."""
    return value is not None and any(isinstance(n, ast.Call) and _last(n) == "ForeignKey" for n in ast.walk(value))
