"""What a project's ``env.py`` says about how revisions run, read from its AST.

Alembic's default runs every pending revision in ONE transaction; with
``transaction_per_migration=True`` each revision commits on its own. That
decides whether locks are held across revisions and whether a NOT VALID /
VALIDATE split across two revisions gains anything. ``env.py`` is never
imported.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migcheck.sources.envcompare import CompareOptions
from migcheck.guard.readfile import UnreadableFile, read_regular
from migcheck.sources.pgdriver import PG_DRIVER as _PG_DRIVER
from migcheck.sources.pgdriver import project_driver
from migcheck.sources.python2 import module_tree
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import bound_name

_LOCK_TIMEOUT = lazy_regex(r"\block_timeout\b", re.I)
_LOCK_WAIT_TIMEOUT = lazy_regex(r"\block_wait_timeout\b", re.I)  # MySQL / MariaDB


@dataclass
class EnvInfo:
    """What env.py says about how revisions run: transactions, lock_timeout."""

    path: Path | None = None
    #: True/False when ``context.configure(transaction_per_migration=...)`` says so; None when unknown.
    transaction_per_migration: bool | None = None
    #: Line of the ``context.configure(...)`` call, for findings about it.
    configure_line: int | None = None
    #: env.py sets ``lock_timeout`` (SET, options=-c lock_timeout=..., connect_args).
    sets_lock_timeout: bool = False
    transactional_ddl: bool | None = None
    #: Line where env.py begins a transaction on the connection it passes to the online configure()
    #: (``with engine.begin() as connection``, ``connection.begin()`` first): Alembic then runs every
    #: revision in that outer transaction, whatever transaction_per_migration says.
    external_transaction_line: int | None = None
    #: Line of a statement env.py executes on that connection before configure() and never commits
    #: (``connection.execute(text("SET search_path ..."))``): SQLAlchemy 2 begins a transaction there (autobegin),
    #: which Alembic then takes as an outer one, as above (held-out-11 #139).
    autobegin_line: int | None = None
    #: env.py sets MySQL's ``lock_wait_timeout`` (metadata-lock waits).
    sets_lock_wait_timeout: bool = False
    #: The PostgreSQL driver env.py's URLs name (``psycopg2``, ``psycopg``, ``asyncpg``); None when they name
    #: none or disagree. A bare ``postgresql://`` is psycopg2 before SQLAlchemy 2.1 and psycopg 3 from it.
    pg_driver: str | None = None
    #: Where :attr:`pg_driver` was read when env.py names none (alembic.ini, a requirements file), or why it is
    #: unknown; None when env.py's URLs decide. For the finding's message.
    pg_driver_source: str | None = None
    #: env.py runs its revisions through an async engine (async_engine_from_config, create_async_engine, run_sync).
    runs_async: bool = False
    #: ``script.py.mako`` beside env.py, when there is one: the template of every new revision.
    template: Path | None = None
    #: The template's plain import lines: (module, names, level, bound names) -> (line number, the line
    #: stripped); Mako lines are skipped.
    template_imports: dict[tuple[str, tuple[str, ...], int, tuple[str, ...]], tuple[int, str]] = field(
        default_factory=dict)
    #: The template's other plain lines, stripped (no Mako ``${...}``): the boilerplate it writes into every
    #: revision (``db = m.get_session_maker()()``), whose use of a template import is not the revision's own.
    template_lines: frozenset[str] = frozenset()
    #: The table Alembic records the applied revisions in: ``configure(version_table=...)`` (a string literal, or a
    #: module-level name bound once to one), ``"alembic_version"`` when no configure() sets it; None when env.py
    #: sets it in a way not read here, or when no env.py was read.
    version_table: str | None = None
    #: env.py's tree and the keywords of its deciding ``configure()``: kept for :attr:`compare`.
    _compare_source: tuple[ast.Module, list[ast.keyword]] | None = field(default=None, repr=False, compare=False)

    @property
    def compare_type_given(self) -> bool | None:
        """``configure(compare_type=...)`` in env.py: the literal as written, True for anything else (a custom
        comparison function, ``**options``: types may be compared), None when env.py does not pass it (Alembic's
        default then decides: True from 1.12, False before) or none was read. Reads no filter, unlike
        :attr:`compare`."""
        if self._compare_source is None:
            return None
        for kw in self._compare_source[1]:
            if kw.arg is None:
                return True
            if kw.arg == "compare_type":
                value = kw.value
                return value.value if isinstance(value, ast.Constant) and isinstance(value.value, bool) else True
        return None

    @cached_property
    def compare(self) -> CompareOptions:
        """What autogenerate compares (include_schemas, include_object, compare_type, ...).

        Only verify's ``--check-models`` asks: computed on first use, so lint never rebuilds an
        ``include_object`` filter from env.py (that rebuilds and runs a whitelisted function).
        """
        from migcheck.sources.envcompare import CompareOptions, compare_options

        if self._compare_source is None:
            return CompareOptions()
        return compare_options(*self._compare_source)


def read_env(path: Path | None, project: Path | None = None) -> EnvInfo:
    """What env.py says; nothing (the defaults) when it cannot be read: it is never the linted file.

    env.py is as untrusted as the revisions: not a regular file, too large, or nested too deeply
    for the parser all mean "nothing known", never a hang or a traceback.
    """
    if path is None:
        return EnvInfo()
    try:
        info = _read_env(path, module_tree(read_regular(path).decode("utf-8")))
    except (UnreadableFile, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        info = EnvInfo(path=path)
        _read_template(info)
        return info
    _read_template(info)
    if info.pg_driver is None:  # env.py names none: what the project installs says
        guess = project_driver(path, project, info.runs_async)
        info.pg_driver, info.pg_driver_source = guess.driver, guess.source
    return info


def _read_template(info: EnvInfo) -> None:
    """The import lines of ``script.py.mako`` beside env.py (Alembic's ``script_location``), read as text
    through the guarded reader and never rendered: each line that parses alone as an import statement."""
    assert info.path is not None
    template = info.path.parent / "script.py.mako"
    try:
        # never through a symlink: a link may lead out of the linted project (read_regular follows one)
        if template.is_symlink() or not template.is_file():
            return
        text = read_regular(template).decode("utf-8")
    except (OSError, UnreadableFile, UnicodeDecodeError):
        return
    info.template = template
    info.template_lines = frozenset(line.strip() for line in text.splitlines()
                                    if line.strip() and "${" not in line and not line.lstrip().startswith(("<%", "%")))
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped.startswith(("import ", "from ")) or "${" in stripped:
            continue
        try:
            tree = ast.parse(stripped)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    key = (alias.name, (), 0, (bound_name(alias, True),))
                    info.template_imports.setdefault(key, (number, stripped))
            elif isinstance(node, ast.ImportFrom):
                names = tuple(alias.name for alias in node.names)
                bound = tuple(bound_name(alias, False) for alias in node.names)
                info.template_imports.setdefault((node.module or "", names, node.level, bound), (number, stripped))


#: Calls that make env.py run its revisions on an async engine (then only an async driver serves it).
_ASYNC_CALLS = frozenset({"async_engine_from_config", "create_async_engine", "run_sync"})


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _read_env(path: Path, tree: ast.Module) -> EnvInfo:
    # Only string literals count (``SET lock_timeout``, ``-c lock_timeout=5s``, connect_args keys):
    # a comment that mentions lock_timeout sets nothing.
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    info = EnvInfo(path=path, sets_lock_timeout=any(_LOCK_TIMEOUT.search(s) for s in strings),
                   sets_lock_wait_timeout=any(_LOCK_WAIT_TIMEOUT.search(s) for s in strings))
    drivers = {m.group(1).lower() for s in strings for m in _PG_DRIVER.finditer(s)}
    info.pg_driver = drivers.pop() if len(drivers) == 1 else None
    per_migration: list[bool] = []
    online_seen = False
    #: (online, has an unreadable **options) for every configure() call without the setting.
    silent: list[tuple[bool, bool]] = []
    options = _option_dicts(tree)
    constants = _module_values(tree)
    deciding_keywords: list[ast.keyword] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) in _ASYNC_CALLS:
            info.runs_async = True
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "configure":
            continue
        # The online configure(connection=...) is what deploys run; report there when there is one.
        online = any(kw.arg == "connection" for kw in node.keywords)
        if info.configure_line is None or (online and not online_seen):
            info.configure_line = node.lineno
        online_seen = online_seen or online
        keywords: list[ast.keyword] = []
        unresolved = False
        for kw in node.keywords:
            if kw.arg is None:  # configure(**opts): the options of a dict written once in env.py
                spread = options.get(kw.value.id) if isinstance(kw.value, ast.Name) else None
                unresolved = unresolved or spread is None
                keywords.extend(spread or [kw])  # unread, it stays a ** entry: any option may be in it
            else:
                keywords.append(kw)
        if deciding_keywords is None or (online and info.configure_line == node.lineno):
            deciding_keywords = keywords
        if online and info.configure_line == node.lineno:
            info.external_transaction_line = _outer_begin(tree, node)
            info.autobegin_line = _autobegun(tree, node)
        if not any(kw.arg == "transaction_per_migration" for kw in keywords):
            silent.append((online, unresolved))
        for kw in keywords:
            if kw.arg == "transaction_per_migration":
                value = _resolved(kw.value, constants)
                per_migration.append(isinstance(value, ast.Constant) and value.value is True)
            elif kw.arg == "transactional_ddl" and isinstance(kw.value, ast.Constant):
                info.transactional_ddl = bool(kw.value.value)
    if per_migration:
        # Offline and online branches both call configure(); the online one is what deploys run.
        info.transaction_per_migration = all(per_migration) if len(set(per_migration)) == 1 else any(per_migration)
    elif info.configure_line is not None:
        # The online call decides when there is one; an unreadable **options there leaves it unknown.
        deciding = [unreadable for online, unreadable in silent if online] if online_seen \
            else [unreadable for _, unreadable in silent]
        info.transaction_per_migration = None if any(deciding) else False
    info._compare_source = (tree, deciding_keywords or [])
    info.version_table = _version_table(tree, info.configure_line is not None)
    return info


def _version_table(tree: ast.Module, configured: bool) -> str | None:
    """The version table every ``configure()`` of env.py names (Alembic's default when none names one), lower
    case; None when they disagree, a value is not a string known here, options are spread from a dict, or env.py
    calls no configure() at all."""
    if not configured:
        return None
    constants = _module_values(tree)
    names: set[str | None] = set()
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "configure"):
            continue
        if any(kw.arg is None for kw in call.keywords):
            return None
        value = next((kw.value for kw in call.keywords if kw.arg == "version_table"), None)
        if value is None:
            names.add("alembic_version")
            continue
        value = _resolved(value, constants)
        names.add(value.value.lower() if isinstance(value, ast.Constant) and isinstance(value.value, str) else None)
    return names.pop() if len(names) == 1 else None


#: Names through which a module rebinds its names without a binding statement (attack23): built-ins,
#: ``module.__dict__``, ``sys.modules[__name__]``.
_NAMESPACE_WRITERS = frozenset({"globals", "vars", "locals", "exec", "eval", "setattr", "__dict__", "modules"})


def _module_values(tree: ast.Module) -> dict[str, ast.expr]:
    """The value of each name env.py binds once, by a plain or annotated assignment at module level, and nowhere
    else (no other assignment, loop, ``global``, ``with ... as``, ``case`` pattern or ``except ... as`` stores to it,
    and no ``globals()``, ``vars()`` or ``exec`` anywhere, which rebind names unseen)."""
    values: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            values[node.target.id] = node.value
    stores: dict[str, int] = {}
    for walked in ast.walk(tree):
        bound: list[str] = []
        if isinstance(walked, ast.Name) and isinstance(walked.ctx, ast.Store | ast.Del):
            bound = [walked.id]
        elif isinstance(walked, ast.Global | ast.Nonlocal):
            bound = [*walked.names, *walked.names]  # rebound elsewhere: never read as the one value
        elif isinstance(walked, ast.alias):
            bound = [walked.asname or walked.name.split(".")[0]]
        elif isinstance(walked, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler
                        | ast.MatchAs | ast.MatchStar):
            bound = [walked.name] if walked.name else []  # ``case NAME:`` and ``except E as NAME`` bind too
        elif isinstance(walked, ast.MatchMapping) and walked.rest:
            bound = [walked.rest]
        elif (isinstance(walked, ast.Name) and walked.id in _NAMESPACE_WRITERS) \
                or (isinstance(walked, ast.Attribute) and walked.attr in _NAMESPACE_WRITERS):
            return {}  # ``globals()['X'] = False``, ``sys.modules[__name__].X = ...``: names rebound unseen
        for name in bound:
            stores[name] = stores.get(name, 0) + 1
    return {name: value for name, value in values.items() if stores.get(name) == 1}


def _resolved(value: ast.expr, constants: dict[str, ast.expr]) -> ast.expr:
    """``value``, or the value a name env.py binds once is bound to (``OPTION = True`` ... ``option=OPTION``)."""
    return constants.get(value.id, value) if isinstance(value, ast.Name) else value


def _outer_begin(tree: ast.Module, configure: ast.Call) -> int | None:
    """Line of a transaction begun on the connection before ``configure(connection=NAME)``, in the function
    that calls it: ``with engine.begin() as NAME`` around the call, or ``NAME.begin()`` before it (also
    ``trans = NAME.begin()``). Alembic's MigrationContext sees the connection already in a transaction and
    its begin_transaction() does nothing (Alembic 1.20, runtime/migration.py), so all revisions run, and
    commit, in that one transaction."""
    name = next((kw.value.id for kw in configure.keywords if kw.arg == "connection" and isinstance(kw.value, ast.Name)),
                None)
    if name is None:
        return None
    function = next((f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                     and any(n is configure for n in ast.walk(f))), None)
    for node in ast.walk(function or tree):
        if isinstance(node, ast.With | ast.AsyncWith):
            inside = any(n is configure for n in ast.walk(node))
            for item in node.items:
                call = item.context_expr
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "begin"):
                    continue
                bound = isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name
                on_name = isinstance(call.func.value, ast.Name) and call.func.value.id == name
                if inside and (bound or on_name):
                    return node.lineno
        elif isinstance(node, ast.Expr | ast.Assign) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "begin" \
                and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == name \
                and node.lineno < configure.lineno:  # NAME.begin(), or trans = NAME.begin() (committed later)
            return node.lineno
    return None


def _autobegun(tree: ast.Module, configure: ast.Call) -> int | None:
    """Line of the last ``NAME.execute(...)`` / ``NAME.exec_driver_sql(...)`` before ``configure(connection=NAME)``
    in the function that calls it, when no ``NAME.commit()`` / ``NAME.rollback()`` follows it before the call and
    it is not inside a ``with NAME.begin():`` block (which commits). SQLAlchemy 2 begins a transaction on the
    first statement (autobegin) and keeps it open, so Alembic finds the connection in a transaction, treats it
    as external and its begin_transaction() does nothing: every revision runs in that one transaction, whatever
    transaction_per_migration says (checked with Alembic 1.20 and SQLAlchemy 2.1 on PostgreSQL 15)."""
    name = next((kw.value.id for kw in configure.keywords if kw.arg == "connection" and isinstance(kw.value, ast.Name)),
                None)
    function = next((f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                     and any(n is configure for n in ast.walk(f))), None)
    if name is None or function is None:
        return None
    committed_blocks = [node for node in ast.walk(function) if isinstance(node, ast.With)
                        and any(_method_on(item.context_expr, name, {"begin"}) for item in node.items)]
    inside_begin = {id(n) for block in committed_blocks for n in ast.walk(block)}
    executed: int | None = None
    ended: int | None = None
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or node.lineno >= configure.lineno:
            continue
        if _method_on(node, name, {"execute", "exec_driver_sql"}) and id(node) not in inside_begin:
            executed = max(executed or 0, node.lineno)
        elif _method_on(node, name, {"commit", "rollback"}):
            ended = max(ended or 0, node.lineno)
    return executed if executed is not None and (ended is None or ended < executed) else None


def _method_on(node: ast.expr, name: str, methods: set[str]) -> bool:
    """``NAME.method(...)`` for one of ``methods``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods \
        and isinstance(node.func.value, ast.Name) and node.func.value.id == name


def _option_dicts(tree: ast.Module) -> dict[str, list[ast.keyword]]:
    """Names bound once, and never changed, to ``dict(key=...)`` or ``{"key": ...}``: their entries as
    keywords. A name assigned twice or updated in place (``opts.update(...)``, ``opts[k] = v``) is left
    out: what it holds at the configure() call cannot be read."""
    assigned: dict[str, list[ast.expr]] = {}
    changed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    changed.add(target.value.id)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(node.target, ast.Name):
            changed.add(node.target.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.attr in {"update", "setdefault", "pop"}:
            changed.add(node.func.value.id)
    options: dict[str, list[ast.keyword]] = {}
    for name, values in assigned.items():
        if len(values) != 1 or name in changed:
            continue
        value = values[0]
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict" \
                and not value.args and all(kw.arg for kw in value.keywords):
            options[name] = list(value.keywords)
        elif isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                                  for k in value.keys):
            options[name] = [ast.keyword(arg=str(k.value), value=v)
                             for k, v in zip(value.keys, value.values, strict=True) if isinstance(k, ast.Constant)]
    return options
