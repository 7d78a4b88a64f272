"""Steps a revision runs through a helper of the project's own package: ``from app.db import drop_column``, then
``drop_column(Model, "c")`` in ``upgrade()``.

Loading a revision records only the call (``RawSQL.called``, ``RawSQL.handed``: what it hands each parameter), so
the load cache stays keyed by the revision's text. After loading, the run stage hands each such call here with a
reader of the project's source (``extract/models/constants.AppConstants.helper``: the module's file inside the
project root, no symlink out of it, within the size limit, parsed and never imported, each module once per run);
the helper's body is walked as a same-module helper is (``calls.Calls._inline``), its parameters bound to what the
revision handed them, and its steps replace the call's note, at the call's line (the user can act only there), each
naming the helper (``Change.via``). A helper read anew on every run is never stale in the cache.

What cannot be read keeps the note: a module outside the project or missing, a name bound otherwise than by one
``def``, a call with ``*args`` / ``**kwargs``. A helper calling another helper of the project is followed
``MAX_HELPER_DEPTH`` deep, and one that runs a statement on something the walker cannot tell is the database
(``session = session or get_session(); session.execute(...)``) keeps the note too (a call of a helper being followed, recursion or a module importing itself, is not
followed again); past that, the inner call's note stays.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from typing import Protocol

from migcheck.extract.limits import MAX_STEPS
from migcheck.extract.python.imports import absolute_module
from migcheck.extract.python.nodes import rebinds_out_of_sight
from migcheck.extract.python.scope import Scope
from migcheck.extract.python.walk import PythonExtractor
from migcheck.vocabulary.astwalk import nodes_of
from migcheck.vocabulary.changes import Change, RawSQL
from migcheck.vocabulary.revision import Migration, module_constants

#: How deep helpers calling helpers of other modules are followed.
MAX_HELPER_DEPTH = 3
#: How many calls of imported helpers are followed per revision (each walks the helper's body anew).
MAX_HELPER_CALLS = 500

Function = ast.FunctionDef | ast.AsyncFunctionDef

#: Numbers for the blocks and ``try`` blocks of a helper's steps: negative, never those of a loaded revision.
_NUMBERS = itertools.count(1)


class HelperSource(Protocol):
    def helper(self, module: str, name: str) -> tuple[Function, ast.Module, str, bool] | None: ...


class ImportedHelpers:
    """Follows the calls of one run's revisions into the project's helpers; one extractor per helper module."""

    def __init__(self, source: HelperSource, dialect: str) -> None:
        self.source = source
        self.dialect = dialect
        self._extractors: dict[str, PythonExtractor] = {}
        self._followed = 0
        #: The helper modules whose statements this revision has walked once (extract/limits.py): a helper called
        #: again walks its body again, and that counts against the budgets, as a same-module helper's does.
        self._started: set[str] = set()
        #: What this revision's helper calls have spent of the walk budgets (``_unrolled``, ``_work``), shared by
        #: every helper module.
        self._budget: tuple[int | None, int] = (0, 0)
        #: Per helper, whether it is left unread however it is called (``_opaque``).
        self._unreadable: dict[tuple[str, str], bool] = {}
        #: Per helper module, what _opaque needs of it: walked once per run, however many of its helpers are called.
        self._modules: dict[str, _ModuleFacts] = {}

    def expand(self, migration: Migration) -> None:
        """Replace each call of a readable helper in ``migration`` by the steps the helper takes."""
        self._followed, self._started, self._budget = 0, set(), (0, 0)
        for changes in (migration.upgrade_changes, migration.downgrade_changes):
            if any(type(c) is RawSQL and c.handed is not None for c in changes):
                changes[:] = self._expanded(changes, 1, frozenset())

    def _expanded(self, changes: list[Change], depth: int, active: frozenset[tuple[str, str]]) -> list[Change]:
        out: list[Change] = []
        for change in changes:
            steps = self._follow(change, depth, active, len(out)) \
                if type(change) is RawSQL and change.handed is not None else None
            out.extend([change] if steps is None else steps)
        return out

    def _follow(self, raw: RawSQL, depth: int, active: frozenset[tuple[str, str]],
                before: int) -> list[Change] | None:
        """The steps of the helper ``raw`` calls, placed at the call; None when it is not read (the note stays)."""
        called = raw.called
        if called is None or depth > MAX_HELPER_DEPTH or called in active or self._followed >= MAX_HELPER_CALLS:
            return None
        found = self.source.helper(*called)
        if found is None:
            return None
        fn, tree, module, package = found
        if isinstance(fn, ast.AsyncFunctionDef) or fn.decorator_list:
            return None  # a coroutine's body runs when awaited; a decorator may replace the function
        if any(what[0] == "session" for _, what in raw.handed or ()):
            return None  # a session's pending ORM work (f.flush(), attack23) is not read in a helper: the note stays
        if called not in self._unreadable:  # once per helper and run, its module walked once per run (attack27e)
            if module not in self._modules:
                self._modules[module] = _module_facts(tree)
            # a helper calling what the walker cannot name (attack27e): the note stays
            self._unreadable[called] = _opaque(fn, self._modules[module])
        if self._unreadable[called]:
            return None
        self._followed += 1
        extractor = self._extractor(module, tree, package)
        if module not in self._started:
            self._started.add(module)
            extractor._walked = set()
        # one budget for all the helpers a revision calls, whatever their module (attack27e: ten modules each
        # spending a budget of their own took ten budgets' time per one-line revision)
        extractor._unrolled, extractor._work = self._budget
        walked = _walk_helper(extractor, fn, raw)
        self._budget = (extractor._unrolled, extractor._work)
        if walked is None:
            return None
        steps = self._expanded(walked, depth + 1, active | {called})
        if before + len(steps) > MAX_STEPS:
            return None  # the revision's own cap on steps: past it, the call's note, not a flood
        renumbered: dict[int, int] = {}
        for step in steps:
            _place(step, raw, called, renumbered)
        return steps

    def _extractor(self, module: str, tree: ast.Module, package: bool) -> PythonExtractor:
        if module not in self._extractors:
            extractor = PythonExtractor(tree, module_constants(tree), self.dialect)
            # relative imports (``from .column import add_column``) named from where they are written
            extractor.imported = {name: _absolute(origin, module, package)
                                  for name, origin in extractor.imported.items()}
            self._extractors[module] = extractor
        return self._extractors[module]


@dataclass(frozen=True)
class _ModuleFacts:
    """What _opaque needs of a helper's module, read once per module and run (attack27e: each helper of a module of
    many walked the whole module again)."""

    #: No helper of the module is read: it imports ``*`` or rebinds names through ``globals()`` and the like.
    unreadable: bool
    #: The module's functions by name.
    defs: dict[str, Function]
    #: The names the module binds by assignment (``D = op.drop_table``).
    assigned: frozenset[str]
    #: Its classes, objects made from them at module level, and decorated functions: any use runs what is not read.
    hidden: frozenset[str]


def _module_facts(tree: ast.Module) -> _ModuleFacts:
    """One walk of the module for every helper of it."""
    nodes = nodes_of(tree)
    unreadable = any(rebinds_out_of_sight(node) for node in nodes)
    defs = {stmt.name: stmt for stmt in tree.body if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)}
    assigned = frozenset(target.id for stmt in tree.body if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign)
                         for node in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                         for target in ast.walk(node) if isinstance(target, ast.Name))
    classes = {stmt.name for stmt in tree.body if isinstance(stmt, ast.ClassDef)}
    hidden = classes | {name for name, stmt in defs.items() if stmt.decorator_list} | {
        target.id for stmt in tree.body if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None
        and any(isinstance(n, ast.Name) and n.id in classes for n in ast.walk(stmt.value))
        for node in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        for target in ast.walk(node) if isinstance(target, ast.Name)}
    return _ModuleFacts(unreadable, defs, assigned, frozenset(hidden))


def _opaque(fn: Function, module: _ModuleFacts) -> bool:
    """Whether ``fn``, or a function of its module it names, may run what the walker cannot see, so that reading
    its steps would be quieter than the note (attack27e): the module imports ``*`` (``from tools.dbprint import *``
    may bind ``print`` to the project's DROP TABLE, attack23) or rebinds names through ``globals()`` and the like; a
    function is a generator (its body runs only when iterated) or has a default that is not a literal
    (``run=op.drop_table``); or it calls a parameter (a function the revision hands it), a name the function or
    the module binds by assignment (``D = op.drop_table``, ``s = Session()``), a subscript or a call's result; or
    it uses a class of its module, an object made from one, a decorated function, or ``match``."""
    if module.unreadable:
        return True
    seen: set[str] = set()
    todo: list[Function] = [fn]
    while todo:
        current = todo.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        if _opaque_function(current, module.assigned) or any(
                (isinstance(node, ast.Name) and node.id in module.hidden) or isinstance(node, ast.Match)
                for node in ast.walk(current)):
            return True  # ``match`` is not walked (walk.py): its cases' steps would be lost
        todo.extend(module.defs[node.id] for node in ast.walk(current)
                    if isinstance(node, ast.Name) and node.id in module.defs and node.id not in seen)
    return False


def _opaque_function(fn: Function, assigned: frozenset[str]) -> bool:
    """``_opaque`` for one function's own body (nested functions and lambdas included)."""
    params: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Yield | ast.YieldFrom | ast.Await):
            return True
        if isinstance(node, ast.arguments):
            if not all(_literal(d) for d in (*node.defaults, *node.kw_defaults) if d is not None):
                return True
            params.update(a.arg for a in (*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg)
                          if a is not None)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            params.add(node.id)  # a local name: whatever it holds is known only as the walker reads it
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Subscript | ast.Lambda) or (
                isinstance(func, ast.Call) and not (isinstance(func.func, ast.Name) and func.func.id == "getattr")):
            return True  # ``getattr(op, name)(...)`` is read by the walker (dynamic.py)
        if isinstance(func, ast.Name) and (func.id in params or func.id in assigned):
            return True
    return False


def _literal(node: ast.expr) -> bool:
    """Whether a default is a plain literal (``("email",)``, ``None``): it can hold no function."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _absolute(origin: str, module: str, package: bool) -> str:
    """``..db.column.f`` imported in ``module``, made absolute (imports.absolute_module); unchanged when absolute
    or climbing above the top."""
    rest = origin.lstrip(".")
    return absolute_module(module, package, len(origin) - len(rest), rest or None) or origin


def _walk_helper(extractor: PythonExtractor, fn: ast.FunctionDef, raw: RawSQL) -> list[Change] | None:
    """``fn``'s body walked as an inlined helper is, its parameters bound to what the call handed them; None when
    it runs a statement on a receiver the walker cannot place."""
    scope = Scope(phase=raw.phase, env=dict(extractor.consts), tables=dict(extractor.module_tables), function=fn,
                  deployment_names=extractor.deployment_names, depth=1)
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    named = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    for param in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs, fn.args.vararg, fn.args.kwarg):
        if param is not None:
            scope.env.pop(param.arg, None)  # a parameter is not the module's constant of the same name
            scope.tables.pop(param.arg, None)
    for key, what in raw.handed or ():
        name = params[key] if isinstance(key, int) and key < len(params) else key if key in named else None
        if not isinstance(name, str):
            continue  # into *args or **kwargs: unknown there
        if what[0] == "literal":
            scope.env[name] = what[1]
        elif what[0] == "bind":
            scope.binds.add(name)
        elif what[0] == "session":
            scope.sessions.add(name)
        elif what[0] == "batch" and isinstance(what[1], str) and (what[2] is None or isinstance(what[2], str)):
            scope.batch[name] = (what[1], what[2])
    out: list[Change] = []
    extractor.unplaced_runs = []
    try:
        extractor._walk(fn.body, scope, out, {fn.name})
        unplaced = extractor.unplaced_runs
    finally:
        extractor.unplaced_runs = None
    # a statement run on what may be a session (``session = session or get_session()``): a followed helper is
    # never quieter than the note it replaces
    return None if unplaced else out


def _place(step: Change, raw: RawSQL, called: tuple[str, str], renumbered: dict[int, int]) -> None:
    """A helper's step as the revision runs it: at the call's line, inside the call's blocks, loop, ``try``
    blocks and branches; the blocks and tries numbered in the helper's walk (positive) numbered apart from the
    revision's (a loaded revision's are positive too), consistently for the steps of one call."""

    def fresh(number: int) -> int:
        if number < 0:
            return number  # numbered apart already, by an inner helper's call
        if number not in renumbered:
            renumbered[number] = -next(_NUMBERS)
        return renumbered[number]

    step.line, step.via = raw.line, called  # the outermost helper: the one the revision calls
    step.loop = raw.loop if raw.loop is not None else raw.line if step.loop is not None else None
    step.isolation_switch = raw.isolation_switch if raw.isolation_switch is not None \
        else raw.line if step.isolation_switch is not None else None
    step.phase = raw.phase
    step.in_transaction = step.in_transaction and raw.in_transaction
    step.conditional = step.conditional or raw.conditional
    step.blocks = (*raw.blocks, *(fresh(b) for b in step.blocks))
    step.guarded = (*raw.guarded, *(fresh(g) for g in step.guarded))
    step.not_implemented_caught = step.not_implemented_caught or raw.not_implemented_caught
    step.operational_caught = step.operational_caught or raw.operational_caught
    step.off_in_production = step.off_in_production or raw.off_in_production
    step.app_dialect_guards = (*raw.app_dialect_guards, *step.app_dialect_guards)
    step.absent_enum_labels = (*raw.absent_enum_labels, *step.absent_enum_labels)
    if step.engine is None:
        step.engine = raw.engine
