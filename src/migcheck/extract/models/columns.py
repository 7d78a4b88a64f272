"""Columns: a class attribute or ``Column(...)`` call read into a ``MappedColumn``.

Covers ``Column``, ``mapped_column`` (with a database name under another attribute),
``Mapped[...]`` annotations with and without a call (``Optional``/``| None`` give nullability,
the Python type a SQL type, which the declarative base's ``type_annotation_map`` may change: tables.py), ``deferred`` /
``column_property`` and SQLModel ``Field(...)`` (pydantic's fields only: a private attribute, named
``_x`` or ``PrivateAttr(...)``, is never a column). The SQL type is the text as written, without
module prefixes; the application's names in it are followed (typeref.py).
"""

from __future__ import annotations

import ast
from dataclasses import replace

from migcheck.extract.models.model import MappedColumn
from migcheck.extract.models.pins import below_major
from migcheck.extract.models.syntax import (
    _Class,
    _const_bool,
    _is_none,
    _kw,
    _last,
    _Module,
)
from migcheck.extract.models.typeref import _single_return, _TypeRefs

_NOT_COLUMNS = {"relationship", "relation", "backref", "synonym", "association_proxy", "composite",
                "dynamic_loader", "query_expression", "hybrid_property", "Relationship", "column_property"}
_COLUMN_EXTRAS = {"ForeignKey", "Sequence", "Identity", "Computed", "CheckConstraint", "FetchedValue",
                  "DefaultClause"}
_PYTHON_TYPES = {
    "int": "Integer", "str": "String", "bool": "Boolean", "float": "Float", "Decimal": "Numeric",
    "datetime": "DateTime", "date": "Date", "time": "Time", "timedelta": "Interval", "UUID": "Uuid",
    "bytes": "LargeBinary",
}


class _Columns(_TypeRefs):
    """One class attribute -> one MappedColumn: name, type, nullability, defaults."""

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
        pydantic_field = info.sqlmodel_table and annotation is not None and not mapped_ann
        # a SQLModel field's column is SQLModel's, made from the annotation: a Column as its default is only a default
        made = self._made_column(module, info, call) if call is not None and not pydantic_field else None
        if made is not None:  # ``created = created_column()``: the column the application's helper returns
            return replace(self._column_call(made[0], info, attr, made[1], annotation if mapped_ann else None, line),
                           path=module.path)
        if pydantic_field and annotation is not None:
            if call is not None and _last(call.func) in _NOT_COLUMNS:
                return None
            if attr.startswith("_") or (call is not None and _last(call.func) == "PrivateAttr"):
                return None  # SQLModel maps pydantic's fields only; pydantic never makes one of these (private)
            if call is not None and _last(call.func) == "Field":
                sa_column = _kw(call, "sa_column")
                if isinstance(sa_column, ast.Call) and _last(sa_column.func) == "Column":
                    return self._column_call(module, info, attr, sa_column, None, line)
                if sa_column is not None and not _is_none(sa_column):
                    return self._given_column(module, info, attr, sa_column, line)
                return self._sqlmodel_field(module, info, attr, call, annotation, line)
            return self._sqlmodel_field(module, info, attr, None, annotation, line, none_default=_is_none(value))
        if mapped_ann and value is None:
            assert annotation is not None
            return self._column_call(module, info, attr, None, annotation, line)
        return None

    def _made_column(self, module: _Module, info: _Class, call: ast.Call) -> tuple[_Module, ast.Call] | None:
        """The ``Column(...)`` / ``mapped_column(...)`` call a call of the application's helper returns: a function
        (or static / class method) called without arguments whose body is one ``return Column(...)`` naming none
        of its parameters, with the helper's module (where the names in it are bound); None otherwise, and when
        the class body binds the name called (the class body's, not the module's: attack28b)."""
        if call.args or call.keywords or not isinstance(call.func, ast.Name | ast.Attribute):
            return None
        root: ast.expr = call.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in self._class_bindings(info):
            return None
        resolved = self._resolve(module, call.func)
        if resolved is not None and resolved[0] in {"class", "expr"}:
            return None  # a class made, or a name bound to a value: not a helper's call
        helper = self._helper(module, call.func, resolved)
        if helper is None:
            return None
        where, function, params = helper
        if params is None:
            return None
        returned = _single_return(function)
        if not isinstance(returned, ast.Call) or _last(returned.func) not in {"Column", "mapped_column"} \
                or any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(returned)):
            return None
        return where, returned

    def _given_column(self, module: _Module, info: _Class, attr: str, given: ast.expr, line: int) -> MappedColumn:
        """SQLModel's ``Field(sa_column=...)``: that column is the one mapped, whatever the annotation says. A helper
        that returns one (``sa_column=created_column()``) is followed; any other expression leaves the column's
        type and nullability unknown, and its INSERT value too (held-out-28 #78-#82: ``TIMESTAMP(timezone=True)``
        from a helper was read as the annotation's ``DateTime``)."""
        made = self._made_column(module, info, given) if isinstance(given, ast.Call) else None
        if made is not None:
            return replace(self._column_call(made[0], info, attr, made[1], None, line), path=module.path)
        return MappedColumn(table="", name=attr, attribute=attr, owner=info.node.name, path=module.path, line=line,
                            insert_default=True)

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
        # mapped_column(ForeignKey("t.id")) with no type takes the referenced column's type, whatever Mapped[...]
        # says (SQLAlchemy: the annotation types only a column without a foreign key; held-out-19 #80): unknown here
        annotated = ann_type if type_node is None and "ForeignKey" not in extras else None
        if annotated is not None:
            type_text = python_type(annotated)  # SQLAlchemy's own map; the mapped class's base may change it
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
        default = _kw(call, "default") if call is not None else None
        insert_default_false = isinstance(default, ast.Constant) and isinstance(default.value, bool | int) \
            and not default.value
        insert_default_empty = isinstance(default, ast.Constant) and default.value == ""
        insert_default = insert_default or bool(extras & {"Identity", "Sequence"})
        if primary_key and call is not None and _const_bool(_kw(call, "autoincrement")) is not False \
                and (type_text or "").split("(")[0] in {"Integer", "BigInteger", "SmallInteger", "INTEGER",
                                                         "BIGINT", "SMALLINT", "INT"}:
            insert_default = True
        owner = info.node.name if info is not None else attr
        return MappedColumn(table="", name=name, attribute=attr, owner=owner, path=module.path, line=line,
                            type=type_text, nullable=nullable, primary_key=primary_key,
                            nullable_given=call is not None and _kw(call, "nullable") is not None,
                            server_default=server_default, insert_default=insert_default,
                            insert_default_false=insert_default_false, insert_default_empty=insert_default_empty,
                            annotation=annotated)

    def _sqlmodel_field(self, module: _Module, info: _Class, attr: str, call: ast.Call | None,
                        annotation: ast.expr, line: int, none_default: bool = False) -> MappedColumn:
        """A SQLModel field. ``x: str = None`` (or ``Field(default=None)``) is a nullable column under pydantic 1
        (the None default makes the field allow None) and NOT NULL under pydantic 2: its nullability is the
        project's pinned pydantic's, unknown when no requirement says which (held-out-8 #96, #97: keep pins
        ``pydantic = "^1.10.4"``)."""
        optional, ann_type = _annotation(annotation)
        primary_key = call is not None and _const_bool(_kw(call, "primary_key")) is True
        nullable = _const_bool(_kw(call, "nullable")) if call is not None else None
        if call is not None and _last(call.func) == "Field":
            default = _kw(call, "default") or (call.args[0] if call.args else None)
            none_default = default is not None and _is_none(default)
        if nullable is None:
            if primary_key or optional:
                nullable = not primary_key
            else:
                nullable = self._pydantic_v1() if none_default else False
        sa_type = _kw(call, "sa_type") if call is not None else None
        type_text = self._type_text(module, sa_type) if sa_type is not None else _PYTHON_TYPES.get(ann_type or "")
        has_default = call is not None and any(k.arg in {"default", "default_factory"} for k in call.keywords)
        return MappedColumn(table="", name=attr, attribute=attr, owner=info.node.name, path=module.path, line=line,
                            type=type_text, nullable=nullable,
                            primary_key=primary_key,
                            server_default=call is not None and _kw(call, "sa_column_kwargs") is not None,
                            insert_default=has_default or (primary_key and ann_type == "int"))

    def _pydantic_v1(self) -> bool | None:
        """Whether the project installs pydantic 1 (its requirements allow no release from 2 on); None if unknown."""
        if "pydantic" not in self.pins:
            self.pins["pydantic"] = below_major(self.files, "pydantic", 2)
        return self.pins["pydantic"]


def python_type(name: str, types: dict[str, str | None] | None = None) -> str | None:
    """The SQL type a ``Mapped[name]`` column gets under a ``type_annotation_map`` (``types``; None: none
    declared): the map's entry, else SQLAlchemy's default for the Python type; None when unknown."""
    if types is not None and "*" in types:
        return None  # a map migcheck cannot read may map any type
    if types is not None and name in types:
        return types[name]
    return _PYTHON_TYPES.get(name)


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
