"""The AST vocabulary the application reader's parts share: the records of a parsed module and
of a class, and small pure helpers over nodes (``_last``, ``_kw``, ...).

Kept apart so every part of the reader (names, type decorators, columns, classes, tables) reads
the same records without importing each other; nothing here follows a name or reads a file.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from pathlib import Path

from migcheck.extract.models.model import MappedColumn
from migcheck.vocabulary.lazyregex import lazy_regex

_TYPE_PREFIX = lazy_regex(r"^(?:[A-Za-z_]\w*\.)+")


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


@dataclass(eq=False, repr=False)
class _Module:
    """One module of the application, parsed, with the names it binds."""

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
    #: The text mentions ``mapper`` or ``map_imperatively`` (the calls _IMPERATIVE_CALLS names): only then is the tree searched
    #: for imperative mappings (a walk of every module of a large application took seconds: cognee, 955 modules).
    imperative: bool = False
    #: Names a class statement binds and a later module-level assignment rebinds (mindsdb's ``class Base:
    #: ...`` then ``Base = declarative_base(cls=Base)``): the module's name is the assignment's value.
    shadowed: set[str] = field(default_factory=set)
    #: Names bound more than once at module level (assigned twice, or assigned and imported, defined...): which
    #: value a name has there depends on the run, so a type alias of one is unknown.
    rebound: set[str] = field(default_factory=set)
    #: Every name bound more than once at module level (``def f`` and ``if x: def f``, ``for f in ...``): which
    #: function such a name calls depends on the run, so no helper of that name is followed (attack28b).
    twice: set[str] = field(default_factory=set)


@dataclass(eq=False, repr=False)
class _Class:
    """One class statement of a module and what is known of its table."""

    module: _Module
    node: ast.ClassDef
    tablename: str | None = None
    #: The body assigns ``__tablename__`` (``None`` included) or defines it with ``declared_attr``.
    tablename_set: bool = False
    #: ``__tablename__`` is a ``declared_attr``: SQLAlchemy applies it to mapped subclasses too.
    tablename_declared: bool = False
    #: A primary-key column of its own is a ``ForeignKey`` (``id = Column(ForeignKey("parent.id"),
    #: primary_key=True)``): the shape of joined-table inheritance.
    foreign_primary_key: bool = False
    #: True: the table name is computed in a way migcheck cannot follow.
    dynamic_name: bool = False
    abstract: bool = False
    #: A ``declared_attr`` ``__tablename__``: "lower" (``cls.__name__.lower()``), "lower-unless-inherited"
    #: (``None`` when ``has_inherited_table(cls)``, else the lowered name) or "dynamic".
    directive: str | None = None
    #: That ``declared_attr`` ``__tablename__`` function (naming.py evaluates a name computed from the class's).
    name_function: ast.FunctionDef | None = None
    columns: list[MappedColumn] = field(default_factory=list)
    #: Columns (by name, or by attribute for a bare name) a ``PrimaryKeyConstraint`` of ``__table_args__`` names.
    key_names: set[str] = field(default_factory=set)
    readable: bool = True
    bases: list[_Class | str] = field(default_factory=list)
    table_object: ast.Call | None = None
    sqlmodel_table: bool = False
    type_decorator: bool = False
    #: Declares ``type_annotation_map`` (a class attribute, ``registry(type_annotation_map=...)``, a
    #: ``declarative_base(type_annotation_map=...)`` it derives from): a Python type's last name -> the SQL type
    #: it maps to (None: unknown); the key ``"*"`` (value None) when the map cannot be read. None: declares none.
    annotation_map: dict[str, str | None] | None = None
    #: A base named ``DeclarativeBase`` (or ``DeclarativeBaseNoMeta``) that is imported from outside the project
    #: or not bound at all (``class Base(DeclarativeBase)``): the class is the declarative base itself. A project
    #: name bound to ``declarative_base()`` or to a class is not (tracim's ``DeclarativeBase =
    #: declarative_base(...)`` and ``class User(DeclarativeBase)``: a model; held-out-7).
    subclasses_declarative_base: bool = False
    #: id() of the ``declarative_base(...)`` call a base of its own is bound to (``class User(Base)``, ``Base =
    #: declarative_base()``): which declarative base, and so which MetaData, maps it (tables._other_metadata).
    made_by: int | None = None
    #: Attributes set to ``None`` in the body (``id = None``): a column a base declares is not inherited.
    cleared: set[str] = field(default_factory=set)

def variant_dialects(call: ast.Call) -> set[str]:
    """The dialect names ``A.with_variant(B, "mysql", "postgresql")`` gives ``B`` for (SQLAlchemy 2 takes several)."""
    return {a.value for a in call.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)}


def primary_key_names(node: ast.expr | None) -> set[str]:
    """The columns a ``PrimaryKeyConstraint("a", b)`` among ``node`` (``__table_args__``' tuple, or one
    argument of ``Table(...)``) names: strings are column names, bare names the class's attributes."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"tuple", "list"} \
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Tuple | ast.List):
        node = node.args[0]  # __table_args__ = tuple([PrimaryKeyConstraint(id), ...]) (held-out-26, pulse-data)
    calls = node.elts if isinstance(node, ast.Tuple | ast.List) else [node] if node is not None else []
    names: set[str] = set()
    for call in calls:
        if isinstance(call, ast.Call) and _last(call.func) == "PrimaryKeyConstraint":
            names |= {a.value.lower() if isinstance(a, ast.Constant) and isinstance(a.value, str) else
                      a.id.lower() if isinstance(a, ast.Name) else "" for a in call.args} - {""}
    return names


def keyed(columns: list[MappedColumn], names: set[str]) -> list[MappedColumn]:
    """``columns`` as a ``PrimaryKeyConstraint`` naming ``names`` leaves them: part of the key, and NOT NULL
    unless ``nullable=`` is written (SQLAlchemy's ``PrimaryKeyConstraint._set_parent``)."""
    if not names:
        return columns
    return [replace(c, primary_key=True, nullable=c.nullable if c.nullable_given else False)
            if c.name.lower() in names or c.attribute.lower() in names else c for c in columns]


def _bound_names(node: ast.stmt) -> list[str]:
    """The module-level names one statement binds (not those of the statements under it)."""
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign) and (not isinstance(node, ast.AnnAssign) or node.value):
        targets = [node.target]
    elif isinstance(node, ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
        targets = [node.target] if isinstance(node, ast.For | ast.AsyncFor) else \
            [i.optional_vars for i in node.items if i.optional_vars is not None]
    elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":  # ``except* E as e`` (3.11)
        return [h.name for h in getattr(node, "handlers", []) if h.name]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


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
