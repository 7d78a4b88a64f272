"""Dialect tests that decide which branch runs: ``op.get_bind().dialect.name == "postgresql"``, a
prefix or URL test, a module helper returning one, ``skip_if_<dialect>`` decorators, a connection's driver
(``conn.engine.driver == "psycopg2"``) and a dict of dialect names looked up by the dialect's name
(``{"mysql": "fk1"}.get(bind.engine.name)``).
"""

from __future__ import annotations

import ast
import functools
import re
from typing import TYPE_CHECKING

from migcheck.extract.python.deployment import in_production
from migcheck.extract.python.forged import reads_forged
from migcheck.extract.python.nodes import _attr_chain
from migcheck.extract.python.scope import Scope
from migcheck.vocabulary.lazyregex import lazy_regex

if TYPE_CHECKING:
    from migcheck.extract.python.evaluate import Evaluator  # the evaluator passes itself in


def reads_dialect_name(node: ast.expr) -> bool:
    """Certainly SQLAlchemy's dialect name: ``<...>.dialect.name`` / ``<...>.engine.name``, or a call with no
    arguments to a function named for it (``dialect_name()``, ``db.get_dialect_name()``)."""
    if isinstance(node, ast.Attribute) and node.attr == "name":
        return names_dialect(ast.unparse(node.value))
    if isinstance(node, ast.Call) and not node.args and not node.keywords and isinstance(node.func, ast.Attribute) \
            and node.func.attr in {"lower", "casefold"}:
        return reads_dialect_name(node.func.value)  # conn.dialect.name.lower(): the same name (held-out-27 #144)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
        return _getattr_dialect_name(node)
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name.lower().endswith("dialect_name")
    return False


def _getattr_read(node: ast.expr) -> tuple[ast.expr, str] | None:
    """``getattr(x, "attr")`` / ``getattr(x, "attr", default)``: ``x`` and the attribute's name."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
            and len(node.args) in (2, 3) and not node.keywords and isinstance(node.args[1], ast.Constant) \
            and isinstance(node.args[1].value, str):
        return node.args[0], node.args[1].value
    return None


def _getattr_dialect_name(node: ast.Call) -> bool:
    """``getattr(getattr(op.get_bind(), "dialect", None), "name", "")`` (held-out-27: airunner's helpers), or
    ``getattr(op.get_bind().dialect, "name", "")``: the migration's connection at the root, nothing else (a
    default stands in only for an attribute a real connection always has)."""
    read = _getattr_read(node)
    if read is None or read[1] != "name":
        return False
    owner = read[0]
    inner = _getattr_read(owner)
    if inner is not None and inner[1] in ("dialect", "engine"):
        root = inner[0]
    elif isinstance(owner, ast.Attribute) and owner.attr in ("dialect", "engine"):
        root = owner.value
    else:
        return False
    return isinstance(root, ast.Call) and not root.args and not root.keywords \
        and isinstance(root.func, ast.Attribute) and root.func.attr == "get_bind" \
        and isinstance(root.func.value, ast.Name) and root.func.value.id in ("op", "context")


def names_dialect(owner: str) -> bool:
    """``conn.dialect``, ``op.get_bind().dialect``, ``bind.engine``, ``context.get_context().dialect``: what a
    ``.name`` reads the dialect's name from."""
    return owner.endswith((".dialect", ".engine")) or owner in ("dialect", "engine")


def _static_test_dialect(node: ast.expr) -> bool:
    if reads_dialect_name(node):
        return True
    chain = _attr_chain(node) if isinstance(node, ast.Attribute) else []
    if chain and chain[-1] == "name":
        return True
    if isinstance(node, ast.Attribute) and node.attr == "name":
        text = ast.unparse(node)
        return "dialect" in text or "engine" in text or "get_bind" in text
    return False


def _is_connection(node: ast.expr, scope: Scope) -> bool:
    """``bind`` bound to ``op.get_bind()`` (Scope.binds), or the call itself: a connection, so true in a test."""
    if isinstance(node, ast.Name):
        return node.id in scope.binds
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_bind" \
        and not node.args and not node.keywords


def connection_dialect_name(node: ast.expr, scope: Scope) -> ast.expr | None:
    """The dialect-name read of ``conn.dialect.name if hasattr(conn, "dialect") else None`` when ``conn`` is the
    migration's connection (``op.get_bind()``), which always has a dialect: the test is always true, so the value is
    always the name (held-out-27 #140). None for anything else (an object the revision made may have none)."""
    if not (isinstance(node, ast.IfExp) and reads_dialect_name(node.body) and isinstance(node.test, ast.Call)
            and isinstance(node.test.func, ast.Name) and node.test.func.id == "hasattr" and len(node.test.args) == 2
            and not node.test.keywords):
        return None
    owner, attr = node.test.args
    if not (isinstance(attr, ast.Constant) and attr.value in {"dialect", "engine"} and _is_connection(owner, scope)):
        return None
    read = node.body
    if isinstance(read, ast.Call) and isinstance(read.func, ast.Attribute):
        read = read.func.value  # .lower(), which reads_dialect_name saw takes no argument
    if not (isinstance(read, ast.Attribute) and read.attr == "name" and isinstance(read.value, ast.Attribute)):
        return None
    same = read.value.attr == attr.value and ast.dump(read.value.value) == ast.dump(owner)
    return node.body if same else None


def _bound_name(node: ast.expr, scope: Scope) -> bool:
    """A local name the walker saw bound to the dialect's name (Scope.dialect_names)."""
    return isinstance(node, ast.Name) and node.id in scope.dialect_names


def _names_the_backend(node: ast.expr) -> bool:
    """``str(bind.engine.url)``, ``bind.engine.url.drivername``, ``url.get_backend_name()``, ``dialect.name``:
    text that starts with the dialect's name."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in {"get_backend_name", "get_dialect"}:
        return True
    if _static_test_dialect(node) or _dialect_description(node):
        return True
    text = ast.unparse(node)
    return text.endswith(("url", "url.drivername")) and ("bind" in text or "engine" in text or "context" in text
                                                          or "connection" in text or "conn" in text)


def _dialect_description(node: ast.expr) -> bool:
    """``engine.dialect.dialect_description``: SQLAlchemy's "name+driver" (``postgresql+psycopg2``)."""
    return isinstance(node, ast.Attribute) and node.attr == "dialect_description" \
        and names_dialect(ast.unparse(node.value))


def _description_test(value: object, equal: bool, dialect: str) -> bool | None:
    """``dialect_description == "postgresql+psycopg2"`` (murano, held-out-17 #36): false on another dialect; on
    the target dialect true only when no driver is named (which driver runs is not known here)."""
    if not isinstance(value, str) or value.split("+")[0].lower() not in SQLALCHEMY_DIALECTS:
        return None
    name, _, driver = value.partition("+")  # SQLAlchemy's "postgresql+psycopg2": "PostgreSQL+psycopg2" never equals
    result = False if not _dialect_matches(name, dialect) else None if driver else True
    return result if equal or result is None else not result


def _prefix_matches(prefix: object, dialect: str) -> bool | None:
    """Whether text starting with the target dialect's name starts with ``prefix`` (or one of a tuple);
    None when a prefix names no dialect, so the test is not a dialect check."""
    prefixes = (prefix,) if isinstance(prefix, str) else prefix if isinstance(prefix, tuple) else ()
    if not prefixes:
        return None
    spellings = {"mysql": ("mysql", "mariadb"), "postgresql": ("postgresql",)}.get(dialect, (dialect,))
    result = False
    for item in prefixes:
        item = str(item)
        if not item or not any(name.startswith(item.lower()) for name in DIALECT_NAMES):
            return None
        result = result or any(name.startswith(item) for name in spellings)  # "POSTGRES" starts none (attack27b)
    return result


#: Names SQLAlchemy gives its dialects (``Dialect.name``; a ``postgres://`` URL is refused since 1.4, and
#: the dialect it loaded before was named "postgresql" too).
SQLALCHEMY_DIALECTS = frozenset({"postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle"})


#: The words that make a comparison a dialect check: a ``.name`` compared with anything else is not one
#: (``if column.name == "tenant_id"`` must not decide which branch runs). "postgres", the URL scheme and
#: the spelling of many configs, is no dialect's name: compared with what certainly is the dialect's name
#: (reads_dialect_name) it is never equal.
DIALECT_NAMES = SQLALCHEMY_DIALECTS | {"postgres"}


def _dialect_matches(value: str, dialect: str) -> bool:
    """Whether ``value`` equals a name the target dialect has, compared as Python compares: SQLAlchemy's names are
    lower case, so "SQLITE" is none of them (a literal in capitals never equals ``dialect.name``, attack27b)."""
    aliases = {"mysql": {"mysql", "mariadb"}, "postgresql": {"postgresql"}, "sqlite": {"sqlite"}}
    return value in aliases.get(dialect, {dialect})


def _lower_case_name(node: ast.expr) -> bool:
    """``conn.dialect.name`` / ``bind.engine.name``, or any ``.lower()`` / ``.casefold()``: text that is certainly
    lower case, so a literal with capitals compared with it is never equal. A helper's result
    (``dialect_name()``), a local name or a URL may be spelled any way: such a comparison is not known."""
    if isinstance(node, ast.Attribute) and node.attr == "name":
        return names_dialect(ast.unparse(node.value))
    return isinstance(node, ast.Call) and not node.args and not node.keywords \
        and isinstance(node.func, ast.Attribute) and node.func.attr in {"lower", "casefold"}


def _case_known(names: tuple[object, ...], compared: ast.expr) -> bool:
    """Whether comparing ``compared`` with ``names`` can be judged here: every name lower case (as SQLAlchemy
    spells every dialect), or ``compared`` certainly lower case (_lower_case_name)."""
    return all(str(name) == str(name).lower() for name in names) or _lower_case_name(compared)


#: ``@skip_if_sqlite``, ``@utils.skip_on_postgres``: a decorator that runs nothing on the dialect it names.
_SKIP_DECORATOR = lazy_regex(r"_?skip_(?:if|on|for)_(sqlite|mysql|mariadb|postgres|postgresql)", re.IGNORECASE)


def skipped_on(fn: ast.FunctionDef | ast.AsyncFunctionDef, dialect: str) -> bool:
    """Whether a decorator of ``fn`` says it does not run on the target dialect: its last name is
    ``skip_if_<dialect>`` / ``skip_on_<dialect>`` / ``skip_for_<dialect>`` (``@utils.skip_if_sqlite``, or
    called with no arguments), the dialect named as a dialect test would compare it."""
    for decorator in fn.decorator_list:
        if isinstance(decorator, ast.Call) and not decorator.args and not decorator.keywords:
            decorator = decorator.func
        name = decorator.attr if isinstance(decorator, ast.Attribute) else \
            decorator.id if isinstance(decorator, ast.Name) else ""
        if (found := _SKIP_DECORATOR.fullmatch(name)) is not None:
            named = found.group(1).lower()
            if _dialect_matches("postgresql" if named == "postgres" else named, dialect):
                return True
    return False


def _returned_test(fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> ast.expr | None:
    """The expression a helper such as ``def is_postgres(): return op.get_bind().dialect.name == ...``
    returns, when its body is only assignments, a docstring and one return. Its parameters can only
    be what the test reads the dialect from (``def on_mysql(bind): return bind.engine.name == ...``):
    a parameter compared with the name is unknown, so such a helper is no dialect check."""
    if fn is None or fn.args.vararg or fn.args.kwarg:
        return None
    returns = [stmt for stmt in fn.body if isinstance(stmt, ast.Return)]
    others_plain = all(
        isinstance(stmt, ast.Return | ast.Assign | ast.AnnAssign)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        for stmt in fn.body
    )
    if len(returns) != 1 or not others_plain or returns[0].value is None:
        return None
    return returns[0].value


#: SQLAlchemy's driver names (``Dialect.driver``, what ``conn.engine.driver`` reads) that one family of dialects
#: alone uses: a connection through one of them is that family's (pyodbc, MySQL's and SQL Server's, is not here).
DRIVER_DIALECTS = {
    "psycopg2": "postgresql", "psycopg2cffi": "postgresql", "psycopg": "postgresql", "psycopg_async": "postgresql",
    "asyncpg": "postgresql", "pg8000": "postgresql",
    "mysqldb": "mysql", "pymysql": "mysql", "mysqlconnector": "mysql", "aiomysql": "mysql", "asyncmy": "mysql",
    "mariadbconnector": "mysql", "cymysql": "mysql",
    "pysqlite": "sqlite", "aiosqlite": "sqlite", "pysqlcipher": "sqlite",
}


def _reads_driver(node: ast.expr, scope: Scope) -> bool:
    """``conn.engine.driver``, ``conn.dialect.driver``, ``conn.engine.dialect.driver`` of a connection the
    revision got from ``op.get_bind()`` (a name bound to it, or the call): the driver's name. Any other
    object's ``.driver`` may be anything."""
    if not (isinstance(node, ast.Attribute) and node.attr == "driver"):
        return False
    owner = node.value
    if isinstance(owner, ast.Attribute) and owner.attr == "dialect" and isinstance(owner.value, ast.Attribute) \
            and owner.value.attr == "engine":
        owner = owner.value
    return isinstance(owner, ast.Attribute) and owner.attr in {"engine", "dialect"} \
        and _is_connection(owner.value, scope)


def _driver_test(value: object, op: ast.cmpop, dialect: str) -> bool | None:
    """``driver == "psycopg2"`` (held-out-24 #36, #142): false on a dialect outside the driver's family; on the
    target's own family not known (another of its drivers may be in use). ``in``/``not in`` a tuple likewise."""
    names = (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ()
    families = [DRIVER_DIALECTS.get(str(name)) for name in names]
    if not families or None in families or any(_dialect_matches(str(f), dialect) for f in families):
        return None
    single = isinstance(value, str)
    if isinstance(op, ast.Eq | ast.Is if single else ast.In):
        return False
    if isinstance(op, ast.NotEq | ast.IsNot if single else ast.NotIn):
        return True
    return None


def target_names(dialect: str) -> frozenset[str]:
    """The names SQLAlchemy may give the target dialect (``Dialect.name``): MySQL's is "mariadb" through a
    ``mariadb://`` URL."""
    return frozenset({"mysql", "mariadb"} if dialect == "mysql" else {dialect})


def _truth(node: ast.expr) -> tuple[bool, bool] | None:
    """(whether ``node`` is true, whether it is None) for a constant or a literal container without ``*``/``**``;
    None for anything else (an object's truth is its own: a SQLAlchemy clause raises on ``bool()``)."""
    if isinstance(node, ast.Constant):
        return bool(node.value), node.value is None
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and not any(isinstance(e, ast.Starred) for e in node.elts):
        return bool(node.elts), False
    if isinstance(node, ast.Dict) and None not in node.keys:
        return bool(node.keys), False
    return None


def dialect_lookup(node: ast.expr, scope: Scope, dialect: str) -> tuple[bool, bool, str | None] | None:
    """``{"mysql": "fk1", "postgresql": "fk2"}.get(bind.engine.name)`` (or a local dict bound once to such a
    literal and never changed, ``Scope.literal_dicts``; a constant default may follow): (whether the value is true
    on the target dialect, whether it is None, the string it is when certain). None when the dict's keys are not
    all constant strings, the key is not certainly the dialect's name, or a value the target may get is neither a
    constant nor a literal container (held-out-24 #140, #141: None on SQLite, so ``if fkey:`` never runs there)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and 1 <= len(node.args) <= 2 and not node.keywords
            and not any(isinstance(a, ast.Starred) for a in node.args)):
        return None
    key = node.args[0]
    if not (reads_dialect_name(key) or _bound_name(key, scope)):
        return None
    table = node.func.value
    if isinstance(table, ast.Name):
        if scope.function is None or not _only_looked_up(table.id, scope.function):
            return None
        table = scope.literal_dicts.get(table.id)  # type: ignore[assignment]
    if not isinstance(table, ast.Dict) or not all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                                  for k in table.keys):
        return None
    values = {k.value: v for k, v in zip(table.keys, table.values, strict=True)
              if isinstance(k, ast.Constant)}
    default = node.args[1] if len(node.args) == 2 else ast.Constant(value=None)
    got = [values.get(name, default) for name in sorted(target_names(dialect))]
    truths = {_truth(value) for value in got}
    if len(truths) != 1 or None in truths:
        return None
    truth = truths.pop()
    assert truth is not None
    texts = {value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
             for value in got}
    return truth[0], truth[1], texts.pop() if len(texts) == 1 else None


#: Calls that reach a function's locals by name, around every use of the name (attack24).
_FRAME_READERS = frozenset({"locals", "vars", "globals", "exec", "eval", "_getframe", "currentframe", "f_locals"})


@functools.lru_cache(maxsize=256)  # asked at each lookup of the name; the node itself is the key, kept alive here
def _only_looked_up(name: str, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether every read of the dict ``name`` in ``fn`` is a ``name.get(...)`` / ``.items()`` / ``.keys()`` /
    ``.values()`` / ``name[...]`` / ``in name``, and nothing reaches it by name (``locals()["name"]``): passed to
    any function (even one named ``len``, or a ``join`` method of the revision's own class), it may be changed
    (``Scope.literal_dicts`` trusts ``constants._READERS`` by their names, attack24)."""
    parents = {child: node for node in ast.walk(fn) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(fn):
        if (isinstance(node, ast.Name) and node.id in _FRAME_READERS) \
                or (isinstance(node, ast.Attribute) and node.attr in _FRAME_READERS):
            return False
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.attr in {"get", "items", "keys", "values"} \
                and isinstance(parents.get(parent), ast.Call) and parents[parent].func is parent:  # type: ignore[attr-defined]
            continue
        if (isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Load)) \
                or (isinstance(parent, ast.Compare) and node in parent.comparators):
            continue
        return False
    return True


def _lookup_test(test: ast.expr, scope: Scope, dialect: str) -> bool | None:
    """``if fkey:`` / ``if fkey is None:`` of a name bound once to a dialect lookup (Scope.lookups), or the
    lookup itself: its truth on the target dialect."""
    if isinstance(test, ast.Name) and test.id in scope.lookups:
        return scope.lookups[test.id][0]
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is | ast.IsNot) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        left = test.left
        found = scope.lookups.get(left.id) if isinstance(left, ast.Name) else None
        if found is None and (looked := dialect_lookup(left, scope, dialect)) is not None:
            found = looked[:2]
        if found is None:
            return None
        return found[1] if isinstance(test.ops[0], ast.Is) else not found[1]
    looked = dialect_lookup(test, scope, dialect)
    return None if looked is None else looked[0]


def _forged_param(arg: ast.expr, scope: Scope) -> bool:
    return isinstance(arg, ast.Name) and arg.id in scope.forged_params


def _static_test_impl(self: Evaluator, test: ast.expr, scope: Scope, depth: int = 0) -> bool | None:
    """Whether a dialect check is true for the target dialect, and a deployment check on production's database
    (extract/python/deployment.py); None when it is neither."""
    if isinstance(test, ast.Name) and isinstance(scope.env.get(test.id), bool):
        return bool(scope.env[test.id])
    if isinstance(test, ast.Compare):
        return _compare_test(self, test, scope)  # the module's forgeries asked only where they decide
    if isinstance(test, ast.UnaryOp):
        # `not x` reads what x reads: x's own question of forgeries is the same
        inner = _static_test_impl(self, test.operand, scope, depth) if isinstance(test.op, ast.Not) else None
        return None if inner is None else not inner
    if isinstance(test, ast.Call):
        return _call_test(self, test, scope, depth)
    if reads_forged(lambda: self.forgeries, test, scope.forged_params):
        return None  # class fake: class dialect: name = "sqlite" (attack24): the revision's own object
    if scope.lookups and (looked := _lookup_test(test, scope, self.dialect)) is not None:
        return looked
    if isinstance(test, ast.BoolOp):
        # `if bind and bind.engine.name == "mysql":` -- a connection is truthy, and one operand decides: a
        # false one an `and`, a true one an `or`, whatever the others are (gnocchi's guards, held-out-7)
        values = [True if _is_connection(v, scope) else _static_test_impl(self, v, scope, depth)
                  for v in test.values]
        deciding = isinstance(test.op, ast.Or)
        if deciding in values:
            return deciding
        return None if None in values else not deciding
    return None


def _call_test(self: Evaluator, test: ast.Call, scope: Scope, depth: int) -> bool | None:
    """_static_test_impl of a call: a dialect lookup, a ``startswith`` of the backend's name, or a module helper that
    returns a dialect test. As in _compare_test, reads_forged is asked only of a call of one of these shapes
    (``not sa.inspect(op.get_bind()).has_table("t")`` is none)."""
    def forged() -> bool:
        # class fake: class dialect: name = "sqlite" (attack24): the revision's own object
        return reads_forged(lambda: self.forgeries, test, scope.forged_params)

    if (looked := dialect_lookup(test, scope, self.dialect)) is not None:
        return None if forged() else looked[0]
    if isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
            and len(test.args) == 1 and (_names_the_backend(test.func.value) or _bound_name(test.func.value, scope)):
        # str(op.get_bind().engine.url).startswith("mysql"), bind.dialect.name.startswith("postgres")
        if forged():
            return None
        prefix = self._literal(test.args[0], scope)
        prefixes = prefix if isinstance(prefix, tuple) else (prefix,)
        if not _case_known(prefixes, test.func.value):
            return None  # url.startswith("MySQL"): how the URL is spelled is not known here
        return _prefix_matches(prefix, self.dialect)
    if isinstance(test.func, ast.Name) and depth < 3:
        # `if is_postgres():` / `if on_mysql(bind):` -- a module helper that returns a dialect check
        # (its arguments can only be the bind or the context the test reads the name from)
        helper = self.functions.get(test.func.id)
        returned = _returned_test(helper)
        if returned is None or helper is None or forged() \
                or not all(self.forgeries.handed(a) and not _forged_param(a, scope) for a in test.args) \
                or not all(self.forgeries.handed(k.value) and not _forged_param(k.value, scope)
                           for k in test.keywords):
            return None  # on_sqlite(fake) (attack24): the helper reads the revision's own object
        params = {a.arg for a in [*helper.args.posonlyargs, *helper.args.args, *helper.args.kwonlyargs]}
        env = {k: v for k, v in self.consts.items() if k not in params}
        scope.copied[0] += len(env)
        return _static_test_impl(self, returned, Scope(phase=scope.phase, env=env, copied=scope.copied), depth + 1)
    return None


def _compare_test(self: Evaluator, test: ast.Compare, scope: Scope) -> bool | None:
    """_static_test_impl of a comparison. The shape is read first (each check here looks at the test alone), and
    whether it reads a forged object (``reads_forged``, which costs the module's forgeries: a few walks of it) is
    asked only of a test that would decide: ``"c" not in [c["name"] for c in sa.inspect(op.get_bind())...]``, an
    existence guard, reads ``op.get_bind()`` yet is no dialect test."""
    def forged() -> bool:
        return reads_forged(lambda: self.forgeries, test, scope.forged_params)

    if (looked := _lookup_test(test, scope, self.dialect)) is not None:
        return None if forged() else looked
    if len(test.ops) != 1:
        return None
    if (production := in_production(test, scope.deployment_names)) is not None:
        # environment not in ["live", "production"]: what it is on production's database, or on any other
        return None if forged() else production != scope.off_production
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if _reads_driver(left, scope):
        return None if forged() else _driver_test(self._literal(right, scope), op, self.dialect)
    if isinstance(op, ast.Eq | ast.NotEq) and (_dialect_description(left) or _dialect_description(right)):
        return None if forged() else _description_test(
            self._literal(right if _dialect_description(left) else left, scope), isinstance(op, ast.Eq), self.dialect)
    left_names = _static_test_dialect(left) or _bound_name(left, scope)
    if (not left_names and not _static_test_dialect(right) and not _bound_name(right, scope)) or forged():
        return None
    other = right if left_names else left
    value = self._literal(other, scope)
    names = (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ()
    if not names or not all(name.lower() in DIALECT_NAMES for name in names):
        return None
    if not all(name.lower() in SQLALCHEMY_DIALECTS for name in names) \
            and not (reads_dialect_name(left) or reads_dialect_name(right) or _bound_name(left, scope)
                     or _bound_name(right, scope)):
        return None  # config.db.name == "postgres": a setting's spelling, maybe; not a dialect check
    if not _case_known(names, left if left_names else right):
        return None  # dialect_name() == "SQLite": the helper's spelling is its own
    if isinstance(value, str):
        if isinstance(op, ast.Eq | ast.Is):
            return _dialect_matches(value, self.dialect)
        if isinstance(op, ast.NotEq | ast.IsNot):
            return not _dialect_matches(value, self.dialect)
    if isinstance(value, tuple):
        hit = any(_dialect_matches(v, self.dialect) for v in value)
        if isinstance(op, ast.In):
            return hit
        if isinstance(op, ast.NotIn):
            return not hit
    return None
