"""Code the revision imports and migcheck does not read.

Which names come from outside the standard library and the SQLAlchemy/Alembic family, whether a body
calls them (the body is then opaque), which of them are only loggers, and which kept results still
sound like schema changes (``t = helpers.create_table_if_not_exists(...)``). The walker reports such
calls instead of passing over them silently.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from migcheck.extract.python.nodes import _call_name, _root_name, unparse
from migcheck.vocabulary.astwalk import nodes_of
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import iter_statements, nested_fields

_DDL_VERBS = ("create_", "drop_", "add_", "alter_", "remove_", "rename_", "upgrade", "migrate")


#: Words that name what DDL makes or changes: ``create_table_if_not_exists`` says it, ``create_app`` (a Flask
#: factory) and ``create_queue`` do not.
_SCHEMA_WORDS = {"table", "tables", "column", "columns", "col", "index", "indexes", "indices", "idx", "constraint",
                 "constraints", "key", "keys", "fk", "pk", "unique", "check", "sequence", "sequences", "seq",
                 "schema", "schemas", "view", "views", "trigger", "triggers", "type", "types", "enum", "enums",
                 "function", "functions", "procedure", "extension", "partition", "partitions", "database", "db",
                 "ddl", "field", "fields", "default", "defaults", "nullable", "policy", "policies", "rule", "rules"}


#: Words that name things a ``create_``/``add_`` helper makes outside the database: ``create_app`` (a Flask
#: factory), ``create_queue``, ``create_client``.
_NOT_SCHEMA_WORDS = {"app", "apps", "application", "queue", "queues", "client", "clients", "logger", "parser",
                     "config", "settings", "context", "engine", "session", "handler", "worker", "cli"}


def _sounds_like_ddl(call: ast.Call) -> bool:
    """A call whose result is kept but whose name says it changes the schema (``create_table_if_not_exists``,
    ``upgrade_schema``); reads such as ``jsonutils.loads`` or ``generate_uuid`` whose result is assigned are not
    reported, nor a ``create_``/``add_``/... name whose every word names something outside the database
    (``create_app(config)``, _NOT_SCHEMA_WORDS)."""
    name = _call_name(call) or ""
    if name.startswith(("upgrade", "migrate")):
        return True
    if not name.startswith(_DDL_VERBS):
        return False
    words = [word for word in name.lower().split("_")[1:] if word]
    if words and words[-1] in _NOT_SCHEMA_WORDS:
        # create_database_engine(url), create_db_session(): the last word names what is made, the words before it
        # only say what kind (held-out-19 #96: an engine for the database, no CREATE DATABASE)
        return False
    if any(word in _SCHEMA_WORDS for word in words):
        return True
    # create_app(config), create_queue("default"): made of words that name no database object. A name of
    # words migcheck does not know (create_hypertable, drop_all) may well change the schema: still reported
    return not words or not all(word in _NOT_SCHEMA_WORDS for word in words)


#: Logging libraries, and the names projects give their loggers: calls to them write output, not SQL.
_LOGGING_MODULES = {"loguru", "structlog", "logging", "logzero", "eliot"}
_LOGGER_NAMES = {"logger", "log", "logging", "print", "LOG", "LOGGER", "_log", "_logger", "console"}


def _is_logging(root: str, origin: str) -> bool:
    """``logger`` from loguru or from the application's own logging module is still a logger."""
    top = origin.lstrip(".").split(".")[0]
    return top in _LOGGING_MODULES or root in _LOGGER_NAMES or origin.rsplit(".", 1)[-1] in _LOGGER_NAMES


#: Functions that mark a session changed for the transaction manager (``transaction.commit()`` then commits it
#: even though no ORM object changed) and run no SQL themselves.
MARKS_CHANGED = frozenset({"zope.sqlalchemy.mark_changed", "zope.sqlalchemy.datamanager.mark_changed"})


#: click's (and typer's, which re-exports them) terminal prompts and output: they read or write the terminal only
#: (held-out-25 #113: ``click.confirm("...", abort=True)`` before tables are dropped). Named by module and function,
#: so ``from app import click`` or ``import app.db as click`` is not one of them.
TERMINAL_IO = frozenset({f"{module}.{name}" for module in ("click", "typer")
                         for name in ("echo", "secho", "confirm", "prompt", "pause", "style", "clear")})

#: What ends an ORM session (SQLAlchemy's ``Session.close``/``expunge_all``, ``scoped_session.remove``): the session
#: gives its connection back, rolling back what it did not commit, and sends no statement of the revision's own.
_SESSION_ENDS = frozenset({"close", "remove", "expunge_all"})


def ends_session(call: ast.Call) -> bool:
    """``db.session.close()`` (Flask-SQLAlchemy's session, held-out-25 #112): an attribute named ``session`` of an
    imported name, ended with no argument."""
    func = call.func
    return not call.args and not call.keywords and isinstance(func, ast.Attribute) and func.attr in _SESSION_ENDS \
        and isinstance(func.value, ast.Attribute) and func.value.attr == "session" \
        and isinstance(func.value.value, ast.Name)


#: What an ORM session does with what it holds: nothing, when it holds nothing (no statement of its own).
_SESSION_IDLE = frozenset({"flush", "commit", "rollback"})


def _idle_session_call(node: ast.AST) -> bool:
    """``db.session.flush()`` (or commit, rollback, an end) with no argument, on a plain name."""
    return isinstance(node, ast.Call) and not node.args and not node.keywords \
        and isinstance(func := node.func, ast.Attribute) and func.attr in _SESSION_IDLE | _SESSION_ENDS \
        and isinstance(func.value, ast.Attribute) and func.value.attr == "session" \
        and isinstance(func.value.value, ast.Name)


def on_idle_session(call: ast.Call) -> bool:
    """Whether the chain of ``call`` down to its root name (nodes._root_name's: attributes, calls, subscripts) holds
    an idle session call (``db.session.flush()``, ``db.session.commit().x()``): a call whose root is in idle_sessions
    always does, since there every use of that name is such a call's, so asking this first spares the others the
    walk of the whole module (the app-calls history: one per revision)."""
    node: ast.expr = call
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if _idle_session_call(node):
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def idle_sessions(tree: ast.Module) -> frozenset[str]:
    """Names (``db``) whose ``.session`` the module only flushes, commits, rolls back or ends, with no argument, and
    names nowhere else: the revision puts nothing in that session (no ``add``, no query, not handed to code), and
    reads no ORM object through any (no ``.query`` in the module, Flask-SQLAlchemy's ``Model.query``) nor imports other
    application code, so a flush has nothing to write and runs no SQL (held-out-28 #95: skylines' ``db.session.flush()``)."""
    idle: set[str] = set()
    others: set[str] = set()
    session_parents: set[int] = set()
    for node in nodes_of(tree):
        if isinstance(node, ast.Attribute) and node.attr == "query":
            return frozenset()
        if _idle_session_call(node):
            name = node.func.value.value  # type: ignore[attr-defined]
            idle.add(name.id)
            session_parents.add(id(name))
        elif isinstance(node, ast.Name) and id(node) not in session_parents:
            others.add(node.id)
    # a Name is met after the call that holds it (breadth first), so each idle use was marked before it is seen
    idle -= others
    if idle and _reads_other_application_code(tree, idle):
        return frozenset()
    return frozenset(idle)


#: Calls that import a module by a name computed or written as a string: what they return is not known.
_DYNAMIC_IMPORTS = frozenset({"import_module", "__import__"})


def _reads_other_application_code(tree: ast.Module, idle: set[str]) -> bool:
    """Whether the module imports application code besides the idle names (anywhere, a function's body too), or
    imports a module at run time: a model's own finder (``User.all_admins()``), a helper that adds to the session
    or a saved object fill the session without naming ``db`` or ``.query``, and the flush writes them (attack28c)."""
    import sys

    for node in nodes_of(tree):
        if isinstance(node, ast.Call) and _call_name(node) in _DYNAMIC_IMPORTS:
            return True
        if isinstance(node, ast.Attribute) and node.attr == "modules" and _root_name(node) == "sys":
            return True
        if isinstance(node, ast.Import):
            names = [(alias.asname or alias.name.split(".")[0], alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [(alias.asname or alias.name, "." * node.level + (node.module or "")) for alias in node.names]
        else:
            continue
        for local, module in names:
            top = module.split(".")[0]
            if local not in idle and (module.startswith(".") or (top not in _LIBRARIES
                                      and top not in sys.stdlib_module_names)):
                return True
    return False


def imported_function(func: ast.expr, root: str, origin: str) -> tuple[str, str] | None:
    """(module, function) an imported callable names, absolute imports only: ``from a.b import f; f()`` is
    ("a.b", "f"), ``import a.b as m; m.f()`` and ``import a.b; a.b.f()`` are ("a.b", "f"); None otherwise."""
    chain: list[str] = []
    while isinstance(func, ast.Attribute):
        chain.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id != root or origin.startswith("."):
        return None
    chain.reverse()
    parts = origin.split(".")
    if parts[0] == root and len(parts) > 1 and chain[:len(parts) - 1] == parts[1:]:
        dotted = [root, *chain]  # import a.b; a.b.f(): the chain spells the module itself
    else:
        dotted = [*parts, *chain]
    return (".".join(dotted[:-1]), dotted[-1]) if len(dotted) > 1 else None


#: (``(?<!\w)``: a search does not retry from inside a name, quadratic time.)
_EXCEPTION_CLASS = lazy_regex(r"(?<!\w)[A-Z]\w*(?:Exception|Error|Warning)")


def builds_exception(call: ast.Call) -> bool:
    """``PackitException(f"...")``, ``errors.MigrationError(...)``: a class named as an exception, by Python's
    convention; a statement that only builds one (and never raises it) runs no SQL."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return _EXCEPTION_CLASS.fullmatch(name) is not None


_LIBRARIES = {"alembic", "sqlalchemy", "sqlmodel", "sqlalchemy_utils", "geoalchemy2", "typing_extensions"}


_IMPORT_SCOPES = ("body", "orelse", "finalbody", "handlers")


def _import_statements(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Import statements at any depth, found through statement bodies only (no expression walk)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for name in nested_fields(node, _IMPORT_SCOPES):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                found.extend(_import_statements(inner))
    return found


#: The modules whose import statements were found last, with them: the extractor asks for a module's imports from
#: two places (imported_names, dynamic.ModuleNames), each a walk of its statement bodies.
_FOUND: list[tuple[ast.Module, tuple[ast.Import | ast.ImportFrom, ...]]] = []


def module_import_statements(tree: ast.Module) -> tuple[ast.Import | ast.ImportFrom, ...]:
    """``_import_statements(tree.body)``, found once per tree (the last few are remembered, each held until
    pushed out, so an id is never reused while kept)."""
    for module, found in _FOUND:
        if module is tree:
            return found
    statements = tuple(_import_statements(tree.body))
    _FOUND.insert(0, (tree, statements))
    del _FOUND[4:]
    return statements


def absolute_module(module: str, package: bool, level: int, name: str | None) -> str | None:
    """The module ``from <level dots><name> import ...`` names when written in ``module`` (a package's
    ``__init__`` when ``package``), made absolute; None when it climbs above the top. The one reading of a
    relative import, for the revision's helpers (imported.py) and the application reader alike."""
    if level == 0:
        return name
    parts = module.split(".") if package else module.split(".")[:-1]
    if level - 1 > len(parts):
        return None
    base = parts[:len(parts) - (level - 1)]
    return ".".join([*base, *([name] if name else [])]) or None


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin (``app.db.helpers``) for every import of code outside the stdlib and
    the SQLAlchemy family."""
    import sys

    names: dict[str, str] = {}
    for node in module_import_statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top not in _LIBRARIES and top not in sys.stdlib_module_names:
                    names[alias.asname or top] = alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            top = module.split(".")[0]
            if node.level == 0 and (top in _LIBRARIES or top in sys.stdlib_module_names):
                continue
            shown = "." * node.level + module
            for alias in node.names:
                names[alias.asname or alias.name] = f"{shown}.{alias.name}" if module else shown + alias.name
    return names


def calls_imported_code(fn: ast.FunctionDef | ast.AsyncFunctionDef, tree: ast.Module,
                        module_names: set[str] | None = None) -> bool:
    """True when ``fn`` calls a function imported from the application (``from app.db import drop_views``):
    it may change the schema in ways migcheck cannot see. ``module_names``: ``application_imports(tree.body)``
    when the caller already has it (one reading per module, not one per function)."""
    if module_names is None:
        module_names = application_imports(tree.body)
    imported = module_names | application_imports(iter_statements(fn.body))  # the module's imports and fn's own
    if not imported:
        return False
    # a call made as a statement of its own (``helpers.touch(op)``) answers without walking every node of fn
    if any(isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _root_name(stmt.value.func) in imported
           for stmt in iter_statements(fn.body)):
        return True
    return any(isinstance(node, ast.Call) and _root_name(node.func) in imported for node in nodes_of(fn))


def application_imports(statements: Iterable[ast.stmt]) -> set[str]:
    """Local names that the import statements among ``statements`` bind to code outside the standard
    library and the SQLAlchemy family."""
    import sys

    imported: set[str] = set()
    for node in statements:
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                top = (module or alias.name).split(".")[0]
                if isinstance(node, ast.ImportFrom) and node.level > 0:
                    top = "."
                if top not in _LIBRARIES and top not in sys.stdlib_module_names:
                    imported.add(alias.asname or alias.name.split(".")[0])
    return imported


#: Exceptions a database call can raise, by name: the DB-API's, SQLAlchemy's, Alembic's and the drivers'.
_DATABASE_ERRORS = {
    "Error", "DatabaseError", "OperationalError", "ProgrammingError", "IntegrityError", "DataError",
    "InternalError", "NotSupportedError", "InterfaceError", "DBAPIError", "SQLAlchemyError", "StatementError",
    "NoSuchTableError", "CommandError", "DBError",
}
_DATABASE_MODULES = {"sqlalchemy", "sa", "exc", "alembic", "psycopg", "psycopg2", "pymysql", "MySQLdb", "sqlite3",
                     "oslo_db", "db_exc", "asyncpg", "errors"}


def _catches_value_errors_only(handler: ast.ExceptHandler) -> bool:
    """``except (ValueError, UnknownLocaleError):``: no database error and no catch-all, so the guarded call
    is a check of a value; ``except Exception`` / a bare ``except`` / ``except sa.exc.ProgrammingError`` is not."""
    if handler.type is None:
        return False
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for node in names:
        dotted = ast.unparse(node).split(".")
        leaf = dotted[-1]
        if leaf in {"Exception", "BaseException"} or leaf in _DATABASE_ERRORS or "Database" in leaf:
            return False
        if any(part in _DATABASE_MODULES for part in dotted[:-1]):
            return False
    return True


def swallows_database_errors(handler: ast.ExceptHandler) -> bool:
    """``except Exception: print(exx)``: the handler catches what a failing statement raises (a catch-all or a
    database error) and can end without raising, so the revision goes on after the failure. A handler with
    a ``raise`` at its top level passes the error on; one that raises only in some branch (``if "already
    exists" in str(e): print(...) else: raise``) swallows the errors it expects."""
    if _catches_value_errors_only(handler):
        return False
    return _can_end_without_raising(handler)


#: SQLAlchemy's OperationalError (what it raises for a statement the database refuses: SQLite's ALTER COLUMN) and the
#: classes above it, and oslo.db's DBError (its filters wrap every DBAPIError in one): a handler of any catches it.
_OPERATIONAL_CATCHERS = frozenset({"OperationalError", "DatabaseError", "DBAPIError", "StatementError",
                                   "SQLAlchemyError", "DBError", "Exception", "BaseException"})
#: Modules of the DB-API drivers: their exception classes are the driver's own, which SQLAlchemy wraps in its own
#: (``except sqlite3.OperationalError`` does not catch what ``op.alter_column`` raises).
_DRIVER_MODULES = frozenset({"sqlite3", "psycopg", "psycopg2", "pymysql", "MySQLdb", "asyncpg", "errors"})


def swallows_operational_error(handler: ast.ExceptHandler) -> bool:
    """``except Exception: pass``, ``except sa.exc.OperationalError: pass``: the handler catches the error SQLAlchemy
    raises for a statement the database refuses, and can end without raising (attack29a: ``except IntegrityError``,
    a database error too, let SQLite's OperationalError through, yet hid sqlite-alter-outside-batch)."""
    if handler.type is not None:
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if not any((dotted := ast.unparse(node).split("."))[-1] in _OPERATIONAL_CATCHERS
                   and not any(part in _DRIVER_MODULES for part in dotted[:-1]) for node in names):
            return False
    return _can_end_without_raising(handler)


#: NotImplementedError and the classes above it: a handler of any of them catches it.
_NOT_IMPLEMENTED_CATCHERS = frozenset({"NotImplementedError", "RuntimeError", "Exception", "BaseException"})


def swallows_not_implemented(handler: ast.ExceptHandler) -> bool:
    """``except NotImplementedError as e: if "No support for ALTER" in str(e): print(...) else: raise``: the
    handler catches what Alembic raises, before any SQL is sent, for an operation the dialect cannot do (a
    constraint added or dropped on SQLite), and can end without raising, so the operation is skipped there."""
    if handler.type is not None:
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if not any(ast.unparse(node).split(".")[-1] in _NOT_IMPLEMENTED_CATCHERS for node in names):
            return False
    return _can_end_without_raising(handler)


def _can_end_without_raising(handler: ast.ExceptHandler) -> bool:
    """No ``raise`` at the handler's top level (one in a branch passes on only the errors it does not expect)."""
    return not any(isinstance(stmt, ast.Raise) for stmt in handler.body)


#: Modules whose calls are no application code, for application_calls_of (``sa`` and ``op`` by the names they bind).
_CALL_LIBRARIES = {"alembic", "sqlalchemy", "sqlmodel", "typing_extensions", "sa", "op"}


def application_calls_of(tree: ast.Module) -> list[str]:
    """The statement-level calls of the module's ``upgrade()`` into the application's own code, as text
    (rules/built.application_calls)."""
    import sys

    imported: set[str] = set()
    for node in iter_statements(tree.body):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                top = (module or alias.name).split(".")[0]
                local = isinstance(node, ast.ImportFrom) and node.level > 0
                if local or (top not in _CALL_LIBRARIES and top not in sys.stdlib_module_names):
                    imported.add(alias.asname or alias.name.split(".")[0])
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
    if upgrade is None:
        return []
    texts = []
    for stmt in iter_statements(upgrade.body):
        value = getattr(stmt, "value", None)
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call) and _call_root(value.func) in imported:
            texts.append(unparse(value))
    return texts


def _call_root(node: ast.expr) -> str | None:
    """The name a call's target starts from, through attributes and calls (``a.b().c`` -> ``a``)."""
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else None
