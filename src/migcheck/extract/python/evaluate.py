"""Static evaluation: what an expression certainly is, without running it.

``Scope`` is what the walker knows at one point of a function body (constants, bound names, the
batch table, whether the code runs in a transaction or only on one branch). ``Evaluator`` is the
base every part of the front end builds on: the revision module, its constants and the target
dialect, and the evaluation of literals, names, joined and formatted constants, and dialect tests
(``if op.get_bind().dialect.name == "postgresql"``, module helpers that return one) that decide
which branch the walker follows. It imports no other part; string expressions that build SQL are
evaluated by the SQL-strings part (``strings.SqlStrings._sql_text``), which overrides the hook here.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from migcheck.extract.python.deployment import in_production, reads_deployment
from migcheck.extract.python.nodes import _attr_chain, _call_name, _describe, _root_name, binding_counts
from migcheck.vocabulary.lazyregex import lazy_regex

PLACEHOLDER = "migcheck_param"
#: The name each item of a constant sequence is bound to when a join reads it (_format_value).
_ITEM = "migcheck item"
#: Stands for a table name the code itself defines (``{Model.__tablename__}``): unknown, but not data.
NAME_PLACEHOLDER = "migcheck_name"
#: Numbers for the blocks that may not run (Scope.blocks): unique in a process, compared within one revision only.
_BLOCK_NUMBERS = itertools.count(1)


_NUMBER = lazy_regex(r"-?\d+(?:\.\d+)?")
#: String methods that turn a constant into another constant.
#: IdentifierPreparer's methods that quote one name they are given.
_QUOTERS = frozenset({"quote", "quote_identifier", "quote_schema"})
_STR_METHODS = frozenset({"upper", "lower", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
                          "replace", "removeprefix", "removesuffix"})


@dataclass(eq=False, repr=False)
class Scope:
    """What the walker knows at one point of a function body."""

    phase: str
    env: dict[str, object]
    #: ``with op.batch_alter_table(table, schema=...) as name``: name -> (table, schema).
    batch: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: The names of ``batch`` opened with ``recreate="always"`` (Change.batch_rebuilt).
    rebuilt_batches: frozenset[str] = frozenset()
    binds: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    tables: dict[str, str] = field(default_factory=dict)
    #: Local names bound to ``sa.Table("t", metadata, ...)`` (a table SQLAlchemy can create): the call, read
    #: as ``op.create_table`` when ``name.create(bind)`` or ``metadata.create_all(bind, tables=[name])`` runs.
    table_defs: dict[str, ast.Call] = field(default_factory=dict)
    #: Local names bound to SQL text built at run time (``sql = f"..."``), as _sql_text returns them.
    dynamic_sql: dict[str, tuple[str, int, bool, bool]] = field(default_factory=dict)
    #: Local names bound to Core statements (``stmt = t.update().where(...)``): (action, table, has_where, clears_nulls).
    core: dict[str, tuple[str, str | None, bool, tuple[str, ...]]] = field(default_factory=dict)
    #: The expression each name of ``core`` holds, with the steps it was built in joined into one chain
    #: (``q = sa.update(t); q = q.where(...)`` holds ``sa.update(t).where(...)``: data.extend_statement).
    core_exprs: dict[str, ast.expr] = field(default_factory=dict)
    #: Local names bound to ``sa.Sequence("literal")`` (and helper parameters handed one): the sequence's name,
    #: so ``CreateSequence(seq)`` is read as the DDL it is.
    sequences: dict[str, str] = field(default_factory=dict)
    #: Local lists bound once to ``[]`` and only ever appended to (nodes.append_only_lists): the literal
    #: strings appended so far, shared by every copy of the scope (an append in a loop or a branch counts);
    #: None once something else is appended. A loop over such a list runs over a subset of them.
    collected: dict[tuple[int, str], list[str] | None] = field(default_factory=dict)
    in_transaction: bool = True
    #: Connections bound with ``.execution_options(isolation_level="AUTOCOMMIT")``: what they execute runs outside
    #: the migration's transaction, as in ``autocommit_block()`` (held-out-20 #38).
    autocommit_binds: frozenset[str] = frozenset()
    conditional: bool = False
    #: The blocks that may not run around this point (Change.blocks).
    blocks: tuple[int, ...] = ()
    depth: int = 0
    #: Parameters that hold the tables by name (``def upgrade(op, tables, tester)``: ``tables.users``).
    table_sets: frozenset[str] = frozenset()
    #: Inside a ``try`` whose handlers catch only errors a database does not raise (``except ValueError``):
    #: a call there is a check of a value (``Locale.parse(code)``), made for whether it raises.
    value_check: bool = False
    #: Local names bound to the dialect's name (``dialect = op.get_bind().dialect.name``): compared with
    #: "sqlite" they are a dialect test like the expression itself.
    dialect_names: frozenset[str] = frozenset()
    #: Names bound once to the deployment's name (``environment = os.environ["NOTIFY_ENVIRONMENT"]``, at module
    #: level or in the function walked): compared with "production" they are a deployment test
    #: (extract/python/deployment.py).
    deployment_names: frozenset[str] = frozenset()
    #: Local names bound once to a call of a helper imported from the application (``pg = is_postgresql(conn)``):
    #: (name, the call: appguards.Called), so ``if pg:`` is the test that call makes (extract/python/appguards.py).
    app_tests: tuple[tuple[str, tuple[str, str, int, tuple[str, ...]]], ...] = ()
    #: Walking a branch production never takes: a deployment test is decided for a database that is not
    #: production's (Change.off_in_production).
    off_production: bool = False
    #: The function being walked: only a name it binds exactly once (nodes.names_bound_once, asked for
    #: only when a dialect name is assigned) can be a dialect name, since a binding in a branch, a loop
    #: or a handler is lost with its child scope.
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    #: Local names bound to a call, an attribute or an integer nothing else claimed (``type = sa.TEXT(length=n)``,
    #: in the branch the target dialect takes): in a column's type position, the type they hold.
    types: dict[str, ast.expr] = field(default_factory=dict)
    #: Local names bound to a table the revision declares (``t = sa.Table("t", meta, sa.Column("id",
    #: sa.Integer()))``), and the rows of a loop over ``conn.execute(t.select())``: the columns declared integer
    #: or boolean, whose values (``{row.id}`` in an f-string) are numbers, not text that can carry SQL.
    number_columns: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Local names bound to what a SELECT of one column of a table returns (extract/python/fetched.py): the kind
    #: ("result", "row" or "value") and (table, column), so ``{x}`` in an f-string is that column's value.
    fetched: dict[str, tuple[str, tuple[str, str]]] = field(default_factory=dict)
    #: A helper's parameters handed a module-level ``sa.Enum(..., name="literal")`` (``replace_enum(..., old_enum)``):
    #: ``from_enum.name`` in its SQL is that literal. Kept apart from ``types``, which alter_column reads.
    enums: dict[str, ast.Call] = field(default_factory=dict)
    #: Local names bound to a SELECT from pg_enum that asks for one label (extract/python/catalog.py), or to a
    #: fetch of its rows: the label.
    enum_label_rows: dict[str, str] = field(default_factory=dict)
    #: The enum labels an enclosing ``if`` found missing in pg_enum (Change.absent_enum_labels).
    absent_enum_labels: tuple[str, ...] = ()
    #: Local names bound once to a dict literal the function never changes nor hands out (``old = {"k": ("t",
    #: ["a"])}``): a loop over ``old.items()`` is unrolled like one over a module-level dict.
    literal_dicts: dict[str, ast.Dict] = field(default_factory=dict)
    #: Local names bound (only ever) to a list or tuple literal the function never changes nor hands out
    #: (evaluate.literal_list_names): a loop over one is unrolled like one over a module-level list.
    literal_lists: dict[str, ast.List | ast.Tuple] = field(default_factory=dict)
    #: Local names bound to a conditional expression whose branches are all constant text (``d = "true" if
    #: flag else "false"``): one of these texts, whichever the test picks at run time (Evaluator.choices).
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Local names bound to text made of the revision's constants only, whose exact text is not known (``sql =
    #: "\n".join(parts)``, ``parts`` an append-only list of constant strings): no value from outside, no quote
    #: the code did not write (Evaluator.constant_text).
    constant_texts: frozenset[str] = frozenset()
    #: Local names bound once, never changed nor handed out, to a concatenation of constant lists of strings, some
    #: chosen by a conditional expression (``cols = COLS + (['"v"'] if has_v else [])``): the lists it may be, so a
    #: join of it is one of a few constant texts (held-out-20 #156; Evaluator.list_choices).
    list_choices: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    #: Lists appended to in the body of a loop around this point that is walked once for all its passes (not
    #: unrolled): a join of one there may read what a later pass appends, which one walk has not seen yet (review18).
    loop_appended: frozenset[str] = frozenset()
    #: Local names that hold rows a SELECT read (a Core ``select()`` statement, its result, a loop's row) or values
    #: made from them (``attrs = to_dict(rows)``, ``data.append(row)``): the tables read (data.read_tables).
    #: Shared by the child scopes of one function, as ``collected``: a list filled in a loop holds rows after it.
    row_tables: dict[str, frozenset[str]] = field(default_factory=dict)
    #: The entries copied into new scopes so far (child scopes, and the environments helpers are evaluated in),
    #: shared by every scope of one function: a copy costs what the scope holds (a module of 20,000 constants made
    #: each ``if`` of a helper called in a loop copy them all), so it counts against extract/limits.WORK_BUDGET.
    copied: list[int] = field(default_factory=lambda: [0])
    #: Local names bound to a function looked up by name (``fn = globals()["drop_tables"]``, ``fn = getattr(op,
    #: "drop_table")``, ``fn = helper``): what a call of the name calls (extract/python/dynamic.py).
    callees: dict[str, ast.expr] = field(default_factory=dict)
    #: Local names bound to a function defined inside the function walked (``def drop(batch_op_): ...`` in
    #: ``upgrade()``), or a loop's name bound to each function of a literal tuple in turn: what a call of the
    #: name runs, followed like a module-level helper (extract/python/localdefs.py).
    local_defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)

    def child(self, **kw: Any) -> Scope:
        if kw.get("conditional"):
            kw.setdefault("blocks", (*self.blocks, next(_BLOCK_NUMBERS)))  # Change.blocks: a block that may not run
        self.copied[0] += len(self.env) + len(self.batch) + len(self.binds) + len(self.sessions) + len(self.tables) \
            + len(self.table_defs) + len(self.dynamic_sql) + len(self.core) + len(self.core_exprs) + len(self.types) \
            + len(self.sequences) + len(self.number_columns) + len(self.fetched) + len(self.enums) \
            + len(self.enum_label_rows) + len(self.literal_dicts) + len(self.choices) + len(self.literal_lists) \
            + len(self.list_choices) + len(self.callees) + len(self.local_defs)
        return replace(
            self,
            env=dict(self.env),
            batch=dict(self.batch),
            binds=set(self.binds),
            sessions=set(self.sessions),
            tables=dict(self.tables),
            table_defs=dict(self.table_defs),
            dynamic_sql=dict(self.dynamic_sql),
            core=dict(self.core),
            core_exprs=dict(self.core_exprs),
            types=dict(self.types),
            sequences=dict(self.sequences),
            number_columns=dict(self.number_columns),
            fetched=dict(self.fetched),
            enums=dict(self.enums),
            enum_label_rows=dict(self.enum_label_rows),
            literal_dicts=dict(self.literal_dicts),
            choices=dict(self.choices),
            literal_lists=dict(self.literal_lists),
            list_choices=dict(self.list_choices),
            callees=dict(self.callees),
            local_defs=dict(self.local_defs),
            collected=self.collected,
            **kw,
        )


class Evaluator:
    """The revision module as the parts see it, and the static evaluation of its expressions.

    The parts of the front end are mixins over this class; ``walk.PythonExtractor`` joins them and
    sets these attributes.
    """

    tree: ast.Module
    consts: dict[str, object]
    dialect: str
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
    # The four readings of the module below are made on first use and kept: most revisions never format a
    # name into SQL nor loop over a module-level list, and reading them for every file was about 2.5 % of
    # a cold lint's instructions (docs/speed.md). Each depends on the module alone, which nothing changes.

    @functools.cached_property
    def dml_aliases(self) -> dict[str, str]:
        """Names the module imports SQLAlchemy's statement constructors under (``from sqlalchemy.dialects.postgresql
        import insert as pg_insert``): local name -> ``insert`` / ``update`` / ``delete`` / ``select``."""
        return {alias.asname: alias.name for node in self.tree.body if isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] == "sqlalchemy" and not node.level
                for alias in node.names if alias.asname and alias.name in {"insert", "update", "delete", "select"}}

    @functools.cached_property
    def numbers(self) -> dict[str, int | float]:
        """Module-level names bound to a number (``BATCH = 500``): constants, not data, in a formatted string."""
        return _module_numbers(self.tree)

    @functools.cached_property
    def sequences(self) -> dict[str, ast.List | ast.Tuple]:
        """Module-level lists/tuples bound once and never changed: loops over them are unrolled."""
        return _module_sequences(self.tree)

    @functools.cached_property
    def sequence_objects(self) -> dict[str, ast.Call]:
        """Module-level names bound once to ``Sequence(...)`` (held-out-19 #93: ``traffic_sequence =
        Sequence("repo_clones_data_id_seq", schema="augur_data")``), read where ``CreateSequence(name)`` runs."""
        found = {name: value for name, value in _bound_once(self.tree)
                 if isinstance(value, ast.Call) and _call_name(value) == "Sequence" and value.args}
        if not found:
            return found
        counts = binding_counts(self.tree)  # bound nowhere else: not in a branch, not by a function's local
        return {name: value for name, value in found.items() if counts.get(name) == 1}

    @functools.cached_property
    def class_constants(self) -> dict[str, dict[str, object]]:
        """Classes of the revision module with constant members (``class _State(IntEnum): done = 3``)."""
        return _class_constants(self.tree)

    @functools.cached_property
    def stdlib_dates(self) -> frozenset[str]:
        """``datetime`` / ``date`` when they are the standard library's (their .min/.max are constants)."""
        return _stdlib_dates(self.tree)

    @functools.cached_property
    def deployment_names(self) -> frozenset[str]:
        """Module-level names bound to the deployment's name and bound nowhere else in the module (a function's
        own ``environment = ...`` or parameter would shadow it)."""
        found: frozenset[str] = frozenset()
        for name, value in _module_assignments(self.tree):
            if reads_deployment(value, found) and name not in self._rebound():
                found |= {name}
        return found

    #: The helpers whose return value is being evaluated (_returned_literal), so none is entered twice.
    _helpers_evaluating: set[str]
    #: Names the module binds more than once anywhere (a parameter counts), computed when a helper's return
    #: value is first asked for: such a name may not be the module's function where it is called.
    _rebound_names: frozenset[str] | None = None

    def _rebound(self) -> frozenset[str]:
        if self._rebound_names is None:
            counts = binding_counts(self.tree)  # parameters included
            self._rebound_names = frozenset(name for name, count in counts.items() if count > 1)
        return self._rebound_names

    def _static_test(self, test: ast.expr, scope: Scope) -> bool | None:
        return _static_test_impl(self, test, scope)

    def _flag(self, node: ast.expr | None, scope: Scope) -> bool | None:
        """``nullable=False``, or a name bound to a known bool (``nullable=nullable``); None otherwise."""
        value = self._literal(node, scope)
        return value if isinstance(value, bool) else None

    def _common(self, scope: Scope) -> dict[str, Any]:
        return {"phase": scope.phase, "in_transaction": scope.in_transaction, "conditional": scope.conditional,
                "blocks": scope.blocks}

    def _literal(self, node: ast.expr | None, scope: Scope) -> object:
        """A str, a bool, or a tuple of str that ``node`` certainly evaluates to; None otherwise."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bool):
            return node.value
        if isinstance(node, ast.Name):
            return scope.env.get(node.id)
        if isinstance(node, ast.Attribute) and node.attr == "name" and isinstance(node.value, ast.Name) \
                and isinstance(bound := scope.types.get(node.value.id), ast.Call) \
                and _call_name(bound) in {"Enum", "ENUM"}:
            # from_enum.name, from_enum a helper's parameter bound to the caller's sa.Enum(..., name="x")
            named = next((k.value for k in bound.keywords if k.arg == "name"), None)
            return self._literal(named, scope) if named is not None else None
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = [self._literal(e, scope) for e in node.elts]
            return tuple(items) if all(isinstance(i, str) for i in items) else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            returned = self._returned_literal(node, scope)
            if returned is not None:
                return returned
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq):
            # nullable = column_name == "ended_at", in a pass of a loop over literals: a known flag
            left, right = self._literal(node.left, scope), self._literal(node.comparators[0], scope)
            if not (isinstance(left, str) and isinstance(right, str)):
                return None
            return (left == right) is isinstance(node.ops[0], ast.Eq)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _QUOTERS \
                and len(node.args) == 1 and not node.keywords and self._is_preparer(node.func.value, scope):
            # preparer.quote(TABLE_NAME), preparer.quote_schema(...): the identifier it names, quoted
            name = self._literal(node.args[0], scope)
            return self._quoted(name) if isinstance(name, str) and name else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS:
            # old_prefix.replace("_", "\\_") of a known string: the string it certainly gives
            # (create_sql.replace("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1): a literal count too)
            return _str_method(self._literal(node.func.value, scope), node.func.attr,
                               [_count(a) if _count(a) is not None else self._literal(a, scope) for a in node.args],
                               bool(node.keywords))
        text = self._sql_text(node, scope)
        if text is not None and not text[3] and NAME_PLACEHOLDER not in text[0]:
            return text[0]
        return None

    def _returned_literal(self, call: ast.Call, scope: Scope) -> str | None:
        """``quoted_name("t", quote=True)`` is the string "t" (a str subclass, formatted as itself); a call to a
        helper of the module whose whole body is ``return <expr>`` (a docstring aside), every argument a
        literal, is what ``<expr>`` gives with them: ``safe_table = _safe_identifier(table_name)`` of fides
        85ce2c1c9579. Anything else (a body that does more, a default, ``*args``) is not evaluated."""
        assert isinstance(call.func, ast.Name)
        if call.func.id == "quoted_name" and call.args and call.func.id not in self.functions:
            value = self._literal(call.args[0], scope)
            return value if isinstance(value, str) else None
        helper = self.functions.get(call.func.id)
        evaluating = self._helpers_evaluating
        if helper is None or helper.name in self._rebound() or helper.name in evaluating or len(evaluating) > 2 or call.keywords \
                or helper.args.vararg or helper.args.kwarg \
                or helper.args.kwonlyargs or helper.args.defaults:
            return None
        body = [stmt for stmt in helper.body
                if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))]
        params = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)]
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None \
                or len(call.args) != len(params):
            return None
        env: dict[str, object] = {k: v for k, v in self.consts.items() if k not in params}
        scope.copied[0] += len(env)
        for name, arg in zip(params, call.args, strict=True):
            value = self._literal(arg, scope)
            if not isinstance(value, str):
                return None
            env[name] = value
        evaluating.add(helper.name)  # a helper that calls itself is not evaluated again
        try:
            value = self._literal(body[0].value, Scope(phase=scope.phase, env=env, copied=scope.copied))
        finally:
            evaluating.discard(helper.name)
        return value if isinstance(value, str) else None

    def choices(self, node: ast.expr, scope: Scope, depth: int = 0) -> tuple[str, ...] | None:
        """The texts ``node`` may format to when it is a conditional expression whose branches are each
        constant (``"true" if env.flag else "false"``, nested too), or a name bound to one: a constant whichever
        branch runs, so it can neither hold a value from outside nor a quote the code did not write
        (held-out-11 #146). None for anything else."""
        if isinstance(node, ast.Name) and node.id in scope.choices:
            return scope.choices[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
                and len(node.args) == 1 and not node.keywords:
            # ", ".join(cols), cols = COLS + (["x"] if flag else []): one text per list it may be
            sep, lists = self._literal(node.func.value, scope), self.list_choices(node.args[0], scope)
            if not isinstance(sep, str) or isinstance(sep, bool) or lists is None:
                return None
            return tuple(dict.fromkeys(sep.join(items) for items in lists))
        if not isinstance(node, ast.IfExp) or depth > 8:
            return None
        texts: list[str] = []
        for branch in (node.body, node.orelse):
            text = self._format_value(branch, scope)
            found = (text,) if text is not None else self.choices(branch, scope, depth + 1)
            if found is None:
                return None
            texts.extend(t for t in found if t not in texts)
        return tuple(texts)

    def list_choices(self, node: ast.expr, scope: Scope, depth: int = 0) -> tuple[tuple[str, ...], ...] | None:
        """The lists of constant strings ``node`` may be: a list or tuple of them written out (``[]`` too), a
        module-level one never changed, a name bound to such a choice (Scope.list_choices), a conditional
        expression of them, and their concatenation with ``+``. At most 64 lists; None for anything else."""
        if depth > 8:
            return None
        if isinstance(node, ast.Name) and node.id in scope.list_choices:
            return scope.list_choices[node.id]
        if isinstance(node, ast.List | ast.Tuple | ast.Name):
            literal = self._literal(node, scope)
            if isinstance(literal, tuple):
                return (literal,)
            sequence = self.sequences.get(node.id) if isinstance(node, ast.Name) and node.id not in scope.env \
                else None
            items = [self._literal(e, scope) for e in sequence.elts] if sequence is not None else []
            texts = tuple(i for i in items if isinstance(i, str) and not isinstance(i, bool))
            return (texts,) if sequence is not None and len(texts) == len(items) else None
        if isinstance(node, ast.IfExp):
            verdict = self._static_test(node.test, scope)
            found: list[tuple[str, ...]] = []
            for branch in (node.body, node.orelse) if verdict is None else (node.body if verdict else node.orelse,):
                lists = self.list_choices(branch, scope, depth + 1)
                if lists is None:
                    return None
                found.extend(items for items in lists if items not in found)
            return tuple(found)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.list_choices(node.left, scope, depth + 1), self.list_choices(node.right, scope, depth + 1)
            if left is None or right is None or len(left) * len(right) > 64:
                return None
            return tuple(dict.fromkeys(a + b for a in left for b in right))
        return None

    def constant_text(self, node: ast.expr, scope: Scope) -> bool:
        """Whether ``node`` is text made of the revision's constants only, its exact text unknown: a name bound to
        one (Scope.constant_texts), or ``sep.join(parts)`` of a literal separator and an append-only list that was
        only ever given constant strings (Scope.collected; how many passes appended is not known). It can hold
        neither a value from outside nor a quote the code did not write (held-out-18 #126)."""
        if isinstance(node, ast.Name):
            return node.id in scope.constant_texts
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
                and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Name)
                and scope.function is not None):
            return False
        if node.args[0].id in scope.loop_appended:
            return False
        held = scope.collected.get((id(scope.function), node.args[0].id))
        return held is not None and isinstance(self._literal(node.func.value, scope), str)

    def comprehended_dict(self, node: ast.DictComp, scope: Scope) -> ast.Dict | None:
        """``{new: old for old, new in MAPPING.items()}`` over constant rows (_literal_rows), each key and value a
        string: the dict literal it makes, so loops over it unroll as over one written out. None otherwise."""
        if len(node.generators) != 1 or node.generators[0].ifs or node.generators[0].is_async:
            return None
        loop = node.generators[0]
        keys: list[ast.expr | None] = []
        values: list[ast.expr] = []
        for row in self._literal_rows(loop.iter, loop.target, scope):
            each = scope.child()
            each.env.update(row)
            key, value = self._literal(node.key, each), self._literal(node.value, each)
            if not isinstance(key, str) or not isinstance(value, str) or isinstance(value, bool):
                return None
            keys.append(ast.Constant(value=key))
            values.append(ast.Constant(value=value))
        return ast.Dict(keys=keys, values=values) if keys else None

    def _literal_rows(self, iterable: ast.expr, target: ast.expr, scope: Scope) -> list[dict[str, object]]:
        """``for a, b in [("x", 1), ("y", 2)]`` / ``for n in (1, 2)``: the names each pass binds, when the
        list is written out with constants only; [] otherwise."""
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and len(iterable.args) == 1 \
                and not iterable.keywords and iterable.func.id in {"reversed", "sorted", "list", "tuple"}:
            # for c in reversed(COLUMNS): the same passes, in the order the call gives
            ordered = self._literal_rows(iterable.args[0], target, scope)
            if iterable.func.id == "reversed":
                return ordered[::-1]
            if iterable.func.id == "sorted" and isinstance(target, ast.Name):
                values = [row[target.id] for row in ordered]
                if len({type(v) for v in values}) > 1:
                    return []
                return [{target.id: v} for v in sorted(values)]  # type: ignore[type-var]
            return ordered if iterable.func.id != "sorted" else []
        if isinstance(iterable, ast.Call) and not iterable.args and not iterable.keywords \
                and isinstance(iterable.func, ast.Attribute) and isinstance(iterable.func.value, ast.Name) \
                and iterable.func.attr in {"items", "keys", "values"}:
            # for old, new in MAPPING.items(): a module-level dict of constants (_module_sequences)
            owner = iterable.func.value.id
            view = self.sequences.get(f"{owner}.{iterable.func.attr}()")
            if owner in scope.literal_dicts:
                view = dict_views(owner, scope.literal_dicts[owner]).get(f"{owner}.{iterable.func.attr}()")
            elif owner in scope.env:
                return []
            if view is None:
                return []
            iterable = view
        if isinstance(iterable, ast.Name):
            # a module-level constant: a tuple of str in the scope, or a list of tuples of literals
            value = scope.env.get(iterable.id)
            if isinstance(target, ast.Name) and isinstance(value, tuple) and value \
                    and all(isinstance(v, str) for v in value):
                return [{target.id: v} for v in value]
            if iterable.id in scope.literal_lists:
                iterable = scope.literal_lists[iterable.id]  # a local list of literals, never changed
            elif iterable.id in scope.env or iterable.id not in self.sequences:
                return []
            else:
                iterable = self.sequences[iterable.id]
        if not isinstance(iterable, ast.List | ast.Tuple) or not iterable.elts or len(iterable.elts) > 200:
            return []
        rows: list[dict[str, object]] = []
        for element in iterable.elts:
            row: dict[str, object] = {}
            if not self._bind_row(target, element, scope, row):
                return []
            rows.append(row)
        return rows

    def _bind_row(self, target: ast.expr, item: ast.expr, scope: Scope, row: dict[str, object]) -> bool:
        """Bind ``target`` (a name, or a tuple of them, nested: ``name, (table, columns)``) to the literal
        ``item`` in ``row``: a str, a number, or (under a name) a list or tuple of str. False if not all literal."""
        if isinstance(target, ast.Tuple):
            if not isinstance(item, ast.Tuple | ast.List) or len(item.elts) != len(target.elts):
                return False
            return all(self._bind_row(t, e, scope, row) for t, e in zip(target.elts, item.elts, strict=True))
        if not isinstance(target, ast.Name):
            return False
        value = self._literal(item, scope)
        if not isinstance(value, str | tuple) and isinstance(item, ast.Constant) \
                and isinstance(item.value, int | float) and not isinstance(item.value, bool):
            value = item.value
        if isinstance(value, tuple) and not isinstance(item, ast.List | ast.Tuple):
            return False  # a name bound to a tuple elsewhere: only a list written out in the row counts
        if isinstance(item, ast.Constant) and isinstance(item.value, bool):
            row[target.id] = item.value  # {"saves": True}.items(): a flag each pass sets, read as a static test
            return True  # (held-out-22 #158: a row with one left the whole loop unknown)
        if not isinstance(value, str | int | float | tuple) or isinstance(value, bool):
            return False
        row[target.id] = value
        return True

    def _format_value(self, node: ast.expr, scope: Scope, depth: int = 0) -> str | None:
        """The text a value formatted into a string certainly has, when it comes from constants only:
        literals and constants (numbers too), ``KEY.upper()``, ``repr(K)``, ``", ".join(CONSTS)``."""
        literal = self._literal(node, scope)
        if isinstance(literal, str) and not isinstance(literal, bool):
            return literal
        if depth > 8:
            return None
        if isinstance(node, ast.IfExp):
            # "x" if dialect_test else "y": the branch a static test picks, or the one text both branches give
            verdict = self._static_test(node.test, scope)
            if verdict is not None:
                return self._format_value(node.body if verdict else node.orelse, scope, depth + 1)
            texts = self.choices(node, scope)
            return texts[0] if texts is not None and len(texts) == 1 else None
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            return str(node.value)
        if isinstance(node, ast.Name):
            value = scope.env.get(node.id, self.numbers.get(node.id) if node.id not in scope.env else None)
            bound = scope.types.get(node.id)
            if value is None and isinstance(bound, ast.Constant) and type(bound.value) is int:
                value = bound.value  # cli_user_id = 1 in the function (held-out-19 #123, #125): digits
            return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        if isinstance(node, ast.Attribute) and node.attr == "name" and isinstance(node.value, ast.Name) \
                and (enum_name := self._enum_type_name(node.value, scope)) is not None:
            return enum_name  # from_enum.name, from_enum a sa.Enum(..., name="entitytype") of the revision
        if isinstance(node, ast.Attribute):
            # _State.done / _State.done.value: a member of an enum or constants class of this revision
            member = node.value if node.attr == "value" and isinstance(node.value, ast.Attribute) else node
            if isinstance(member, ast.Attribute) and isinstance(member.value, ast.Name):
                value = self.class_constants.get(member.value.id, {}).get(member.attr)
                if value is None and member.value.id in self.stdlib_dates:
                    value = _STDLIB_CONSTANTS.get(ast.unparse(member))  # datetime.min
                return None if value is None else str(value)
            if _root_name(node) in self.stdlib_dates:
                return _STDLIB_CONSTANTS.get(ast.unparse(node))  # datetime.datetime.min
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
            # len(old_prefix) + 1: arithmetic on numbers the code states
            left, right = self._format_value(node.left, scope, depth + 1), self._format_value(node.right, scope, depth + 1)
            if left is None or right is None or not (left.isdigit() and right.isdigit()):
                return None
            a, b = int(left), int(right)
            return str(a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b)
        if not isinstance(node, ast.Call) or node.keywords:
            return None
        func = node.func
        if isinstance(func, ast.Name) and func.id == "len" and len(node.args) == 1 and func.id not in self.functions:
            sized = self._literal(node.args[0], scope)  # len(old_prefix) of a known string
            return str(len(sized)) if isinstance(sized, str | tuple) and not isinstance(sized, bool) else None
        if isinstance(func, ast.Name) and func.id in {"str", "repr", "int"} and len(node.args) == 1:
            inner = self._format_value(node.args[0], scope, depth + 1)
            if inner is None or (func.id == "int" and _NUMBER.fullmatch(inner) is None):
                return None
            text = isinstance(self._literal(node.args[0], scope), str) or isinstance(node.args[0], ast.Call)
            return repr(inner) if func.id == "repr" and text else inner
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr == "join" and len(node.args) == 1:
            sep = self._literal(func.value, scope)
            items = self._literal(node.args[0], scope)
            if isinstance(sep, str) and isinstance(items, tuple):
                return sep.join(items)
            arg = node.args[0]
            parts: list[str | None] | None = None
            if isinstance(arg, ast.List | ast.Tuple):
                parts = [self._format_value(e, scope, depth + 1) for e in arg.elts]
            elif isinstance(arg, ast.GeneratorExp | ast.ListComp) and len(arg.generators) == 1 \
                    and not arg.generators[0].ifs and not arg.generators[0].is_async:
                # ", ".join(repr(t) for t in TIERS): each item of a constant sequence, formatted
                loop = arg.generators[0]
                rows = self._literal_rows(loop.iter, loop.target, scope)
                if not rows and isinstance(loop.target, ast.Name) \
                        and isinstance(values := self._literal(loop.iter, scope), tuple):
                    rows = [{loop.target.id: v} for v in values]
                if rows:
                    parts = []
                    for row in rows:
                        each = scope.child()
                        each.env.update(row)
                        parts.append(self._format_value(arg.elt, each, depth + 1))
            if parts is None:
                # "', '".join(MAPPING.keys()) / .values(): the strings of a dict of constants (module level, or a
                # local one never changed), in its order
                rows = self._literal_rows(arg, ast.Name(id=_ITEM, ctx=ast.Store()), scope) \
                    if isinstance(arg, ast.Call) else []
                if rows and all(isinstance(row[_ITEM], str) for row in rows):
                    parts = [str(row[_ITEM]) for row in rows]
            if isinstance(sep, str) and parts is not None and all(p is not None for p in parts):
                return sep.join(p for p in parts if p is not None)
            return None
        if func.attr in _STR_METHODS:
            base = self._format_value(func.value, scope, depth + 1)
            args = [self._literal(a, scope) for a in node.args]
            if base is None or not all(isinstance(a, str) for a in args):
                return None
            try:
                result = getattr(base, func.attr)(*args)
            except (TypeError, ValueError):
                return None
            return result if isinstance(result, str) else None
        return None

    def module_enum(self, name: str) -> ast.Call | None:
        """``old_enum = sa.Enum(..., name="entitytype")`` at module level, the name bound nowhere else in the
        module (not even as a parameter): the type the name always is."""
        if name in self._rebound():
            return None
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and stmt.targets[0].id == name and _enum_call(stmt.value):
                assert isinstance(stmt.value, ast.Call)
                return stmt.value
        return None

    def _enum_type_name(self, node: ast.Name, scope: Scope) -> str | None:
        """The literal ``name=`` of the enum type a local name holds (a helper's parameter handed a module-level
        one, Scope.enums; a local bound to one, Scope.types), or of a module-level enum the walk has not shadowed."""
        held = scope.enums.get(node.id, scope.types.get(node.id))
        if held is None and node.id not in scope.env:
            held = self.module_enum(node.id)
        if not _enum_call(held):
            return None
        assert isinstance(held, ast.Call)
        value = next((k.value for k in held.keywords if k.arg == "name"), None)
        return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None

    def _is_preparer(self, node: ast.expr, scope: Scope) -> bool:
        """SQLAlchemy's identifier quoting: ``IdentifierPreparer(dialect)``, ``<dialect>.identifier_preparer``, or
        a local name bound to one of them."""
        if isinstance(node, ast.Name) and isinstance(bound := scope.types.get(node.id), ast.Call | ast.Attribute):
            node = bound
        return (isinstance(node, ast.Attribute) and node.attr == "identifier_preparer") or (
            isinstance(node, ast.Call) and _call_name(node) == "IdentifierPreparer")

    def _quoted(self, name: str) -> str:
        """``name`` quoted as an identifier: SQLAlchemy leaves plain lower-case names bare and quotes the rest
        (reserved words too, whose list migcheck does not carry: always quoting names the same object)."""
        if self.dialect == "mysql":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def _str(self, node: ast.expr | None, scope: Scope) -> str | None:
        if node is not None and isinstance(node, ast.Call) and _call_name(node) == "f" and node.args:
            node = node.args[0]  # op.f("ix_name"): the name as written
        value = self._literal(node, scope)
        return value if isinstance(value, str) else None

    def _strs(self, node: ast.expr | None, scope: Scope) -> list[str]:
        if node is None:
            return []
        value = self._literal(node, scope)
        if isinstance(value, tuple):
            return list(value)
        if isinstance(value, str):
            return [value]
        if isinstance(node, ast.List | ast.Tuple):
            return [self._str(e, scope) or _describe(e) for e in node.elts]
        return [_describe(node)]

    def _sql_text(self, node: ast.expr, scope: Scope) -> tuple[str, int, bool, bool] | None:
        """(text, line, line_is_exact, interpolated) for a SQL string expression: defined by the
        SQL-strings part (``strings.SqlStrings``); ``_literal`` needs it for strings built from constants."""
        raise NotImplementedError


def _class_constants(tree: ast.Module) -> dict[str, dict[str, object]]:
    """``class _State(IntEnum): new = 1``: each module-level class's members bound to an int or str
    literal. Formatted into SQL they are constants of the revision, not data."""
    found: dict[str, dict[str, object]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        members: dict[str, object] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, int | str) \
                    and not isinstance(stmt.value.value, bool):
                members[stmt.targets[0].id] = stmt.value.value
        if members:
            found[node.name] = members
    return found


#: The text of constants of the standard library that revisions format into SQL (``'%s' % datetime.min``).
_STDLIB_CONSTANTS = {
    "datetime.min": "0001-01-01 00:00:00", "datetime.max": "9999-12-31 23:59:59.999999",
    "datetime.datetime.min": "0001-01-01 00:00:00", "datetime.datetime.max": "9999-12-31 23:59:59.999999",
    "date.min": "0001-01-01", "date.max": "9999-12-31", "datetime.date.min": "0001-01-01",
    "datetime.date.max": "9999-12-31",
}

def _stdlib_dates(tree: ast.Module) -> frozenset[str]:
    """``datetime`` / ``date`` when they are the standard library's: imported from the datetime module
    (``import datetime``, ``from datetime import datetime, date``) and bound nowhere else in the module
    (not a local ``date = conn.execute(...).one()``, not a loop's target), so ``date.max`` is a constant."""
    imported = {alias.name for node in tree.body if isinstance(node, ast.ImportFrom) and node.module == "datetime"
                and node.level == 0 for alias in node.names if alias.asname is None and alias.name in {"datetime", "date"}}
    imported |= {"datetime" for node in tree.body if isinstance(node, ast.Import)
                 for alias in node.names if alias.name == "datetime" and alias.asname is None}
    if not imported:
        return frozenset()  # no walk of the module for the many revisions that import neither
    counts = binding_counts(tree)
    return frozenset(name for name in imported if counts.get(name) == 1)


_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "sort", "reverse", "clear", "update",
                       "setdefault", "popitem"})


#: Calls that read a sequence they are handed and keep nothing of it: passing a constant list to them is
#: no escape (``", ".join(COLUMNS)``, ``sorted(KINDS)``).
_READERS = frozenset({"len", "sorted", "list", "tuple", "set", "frozenset", "enumerate", "zip", "reversed", "repr",
                      "str", "any", "all", "min", "max", "sum", "iter", "isinstance", "join", "format"})


@functools.lru_cache(maxsize=1)
def _changeable(tree: ast.Module) -> frozenset[str]:
    """changeable_names of the module, cached for the tree being read: both the module constants and the
    module sequences ask (two walks and a parent map each)."""
    return changeable_names(tree)


def changeable_names(tree: ast.AST) -> frozenset[str]:
    """Names (of a module or a function) whose value may change: stored more than once, changed in place
    (``.append``, ``M["k"] = v``), declared global/nonlocal, or handed out (aliased, passed to a function,
    returned, yielded): code elsewhere may then change the object through another name."""
    stores, changed = _stores_and_changes(tree)
    return frozenset(changed | {name for name, count in stores.items() if count != 1})


def literal_list_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Names a function binds only to list or tuple literals (``tables = [("a", "id"), ...]``, maybe in several
    branches) and never changes in place nor hands out: wherever one is read, it holds the literal its last
    binding on the walked path wrote, so a loop over it can be unrolled (held-out-11 #149)."""
    literal: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.List | ast.Tuple):
            literal[node.targets[0].id] = literal.get(node.targets[0].id, 0) + 1
    if not literal:
        return frozenset()
    stores, changed = _stores_and_changes(fn)
    return frozenset(name for name, count in literal.items() if name not in changed and stores.get(name) == count)


def _stores_and_changes(tree: ast.AST) -> tuple[dict[str, int], set[str]]:
    """How often each name is stored in ``tree``, and the names changed in place, declared global or
    nonlocal, or handed out (changeable_names)."""
    stores: dict[str, int] = {}
    changed: set[str] = set()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, ast.Name) and _escapes(node, parents.get(node)):
            changed.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in _MUTATORS and (root := _root_name(node.value)):
            changed.add(root)  # M.append(x), M[0].append(x)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            changed.update(node.names)
        elif isinstance(node, ast.Subscript | ast.Attribute) and not isinstance(node.ctx, ast.Load) \
                and (root := _root_name(node.value)):
            changed.add(root)  # MAPPING["k"] = v, del MAPPING["k"], M[0][0] = v (review15), M[0].x = v
    return stores, changed


def _escapes(name: ast.Name, parent: ast.AST | None) -> bool:
    """Whether reading ``name`` here hands its object on (``alias = M``, ``fill(M)``, ``return M``) rather
    than reading from it (``M.items()``, ``M["k"]``, ``for x in M``, ``k in M``, ``len(M)``, ``f"{M}"``)."""
    if isinstance(parent, ast.Attribute | ast.Subscript | ast.Compare | ast.FormattedValue | ast.BinOp
                  | ast.Starred | ast.comprehension | ast.For | ast.AsyncFor | ast.UnaryOp | ast.BoolOp):
        return False
    if isinstance(parent, ast.Call) and name is not parent.func:
        callee = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", None)
        return callee not in _READERS
    return not isinstance(parent, ast.Call | ast.Expr | ast.If | ast.While | ast.Assert)


def mutable_constants(tree: ast.Module) -> set[str]:
    """Module-level lists, sets and dicts of literals whose content may change (``_changeable``): their
    items are not constants, whatever the first assignment wrote. The module is walked only when it
    binds such a collection at all."""
    collections = [name for name, value in _module_assignments(tree) if isinstance(value, ast.List | ast.Set | ast.Dict)]
    if not collections:
        return set()
    changeable = _changeable(tree)
    return {name for name in collections if name in changeable}


def _module_sequences(tree: ast.Module) -> dict[str, ast.List | ast.Tuple]:
    """Module-level ``NAME = [(...), ...]`` (or a dict) bound once and never rebound, changed in place nor
    handed out: loops over it can be unrolled like a list written in the ``for``.

    The walks of the whole module that prove "never changed" run only when some module-level name is
    bound to a list, tuple or dict (most revisions bind none: it was a tenth of a cold lint)."""
    candidates = [(name, value) for name, value in _module_assignments(tree)
                  if isinstance(value, ast.List | ast.Tuple | ast.Dict)]
    if not candidates:
        return {}
    changeable = _changeable(tree)
    found: dict[str, ast.List | ast.Tuple] = {}
    for name, value in candidates:
        if name in changeable:
            continue
        if isinstance(value, ast.List | ast.Tuple):
            found[name] = value
        elif isinstance(value, ast.Dict):
            found.update(dict_views(name, value))
    return found


def _count(node: ast.expr) -> int | None:
    """A literal int written as an argument (``str.replace``'s count); None for anything else, a bool too."""
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _str_method(base: object, method: str, args: list[object], keywords: bool) -> str | None:
    """``base.method(*args)`` for a str method of _STR_METHODS, every operand a known str (or a literal int, as
    ``replace``'s count); None otherwise."""
    if not isinstance(base, str) or isinstance(base, bool) or keywords \
            or not all(isinstance(a, str) or type(a) is int for a in args):
        return None
    try:
        result = getattr(base, method)(*args)
    except (TypeError, ValueError):
        return None
    return result if isinstance(result, str) else None


def dict_views(name: str, value: ast.Dict) -> dict[str, ast.List]:
    """``for old, new in MAPPING.items()``: the pairs of a dict literal as a list written out; ``.keys()``,
    ``.values()`` and the dict itself likewise. Empty for a dict with ``**`` in it."""
    if not value.keys or any(k is None for k in value.keys):
        return {}
    keys = [k for k in value.keys if k is not None]
    items = ast.List(elts=[ast.Tuple(elts=[k, v], ctx=ast.Load()) for k, v in zip(keys, value.values, strict=True)],
                     ctx=ast.Load())
    names = ast.List(elts=keys, ctx=ast.Load())
    return {f"{name}.items()": items, f"{name}.keys()": names, name: names,
            f"{name}.values()": ast.List(elts=list(value.values), ctx=ast.Load())}


def _module_assignments(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """``(name, value)`` of each module-level ``NAME = value`` / ``NAME: T = value``, in order."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            yield node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            yield node.target.id, node.value


def module_text_constants(tree: ast.Module, consts: dict[str, object]) -> dict[str, str]:
    """Module-level ``QUERY = sa.text("SELECT ...")`` (or ``text(...)``) of a literal or a string constant,
    bound once: the SQL text it holds, so ``connection.execute(QUERY, params)`` is read like a module-level
    string (held-out-11 #108). Only a plain call, one argument, no keywords nor methods chained on it."""
    found: dict[str, str] = {}
    for name, value in _bound_once(tree):
        if isinstance(value, ast.Call) and _call_name(value) == "text" and len(value.args) == 1 \
                and not value.keywords:
            arg = value.args[0]
            text = arg.value if isinstance(arg, ast.Constant) else consts.get(arg.id) if isinstance(arg, ast.Name) \
                else None
            if isinstance(text, str):
                found[name] = text
    return found


def _bound_once(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """Module-level ``NAME = value`` of the names the module assigns exactly once."""
    assignments = list(_module_assignments(tree))
    counts = Counter(name for name, _ in assignments)
    return ((name, value) for name, value in assignments if counts[name] == 1)


def _module_numbers(tree: ast.Module) -> dict[str, int | float]:
    """Module-level ``NAME = 500``, assigned once."""
    numbers: dict[str, int | float] = {}
    for name, value in _bound_once(tree):
        if isinstance(value, ast.Constant) and isinstance(value.value, int | float) \
                and not isinstance(value.value, bool):
            numbers[name] = value.value
    return numbers


# -- dialect tests ------------------------------------------------------------------------------


def _enum_call(node: ast.expr | None) -> bool:
    """``sa.Enum(...)`` / ``postgresql.ENUM(...)``."""
    return isinstance(node, ast.Call) and _call_name(node) in {"Enum", "ENUM"}


def reads_dialect_name(node: ast.expr) -> bool:
    """Certainly SQLAlchemy's dialect name: ``<...>.dialect.name`` / ``<...>.engine.name``, or a call with no
    arguments to a function named for it (``dialect_name()``, ``db.get_dialect_name()``)."""
    if isinstance(node, ast.Attribute) and node.attr == "name":
        return names_dialect(ast.unparse(node.value))
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name.lower().endswith("dialect_name")
    return False


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
    name, _, driver = value.lower().partition("+")
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
        item = str(item).lower()
        if not item or not any(name.startswith(item) for name in DIALECT_NAMES):
            return None
        result = result or any(name.startswith(item) for name in spellings)
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
    aliases = {"mysql": {"mysql", "mariadb"}, "postgresql": {"postgresql"}, "sqlite": {"sqlite"}}
    return value.lower() in aliases.get(dialect, {dialect})


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


def _static_test_impl(self: Evaluator, test: ast.expr, scope: Scope, depth: int = 0) -> bool | None:
    """Whether a dialect check is true for the target dialect, and a deployment check on production's database
    (extract/python/deployment.py); None when it is neither."""
    if isinstance(test, ast.Name) and isinstance(scope.env.get(test.id), bool):
        return bool(scope.env[test.id])
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
            and len(test.args) == 1 and (_names_the_backend(test.func.value) or _bound_name(test.func.value, scope)):
        # str(op.get_bind().engine.url).startswith("mysql"), bind.dialect.name.startswith("postgres")
        return _prefix_matches(self._literal(test.args[0], scope), self.dialect)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and depth < 3:
        # `if is_postgres():` / `if on_mysql(bind):` -- a module helper that returns a dialect check
        # (its arguments can only be the bind or the context the test reads the name from)
        helper = self.functions.get(test.func.id)
        returned = _returned_test(helper)
        if returned is None or helper is None:
            return None
        params = {a.arg for a in [*helper.args.posonlyargs, *helper.args.args, *helper.args.kwonlyargs]}
        env = {k: v for k, v in self.consts.items() if k not in params}
        scope.copied[0] += len(env)
        return _static_test_impl(self, returned, Scope(phase=scope.phase, env=env, copied=scope.copied), depth + 1)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _static_test_impl(self, test.operand, scope, depth)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        # `if bind and bind.engine.name == "mysql":` -- a connection is truthy, and one operand decides: a
        # false one an `and`, a true one an `or`, whatever the others are (gnocchi's guards, held-out-7)
        values = [True if _is_connection(v, scope) else _static_test_impl(self, v, scope, depth)
                  for v in test.values]
        deciding = isinstance(test.op, ast.Or)
        if deciding in values:
            return deciding
        return None if None in values else not deciding
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    if (production := in_production(test, scope.deployment_names)) is not None:
        # environment not in ["live", "production"]: what it is on production's database, or on any other
        return production != scope.off_production
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq | ast.NotEq) and (_dialect_description(left) or _dialect_description(right)):
        return _description_test(self._literal(right if _dialect_description(left) else left, scope),
                                 isinstance(op, ast.Eq), self.dialect)
    left_names = _static_test_dialect(left) or _bound_name(left, scope)
    if not left_names and not _static_test_dialect(right) and not _bound_name(right, scope):
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

