"""What the walker knows at one point of a function body: ``Scope`` (constants, bound names, the batch
table, whether the code runs in a transaction or only on one branch), and the stand-ins for run-time values.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from migcheck.vocabulary.changes import Change

PLACEHOLDER = "migcheck_param"


#: Stands for a table name the code itself defines (``{Model.__tablename__}``): unknown, but not data.
NAME_PLACEHOLDER = "migcheck_name"


#: Numbers for the blocks that may not run (Scope.blocks): unique in a process, compared within one revision only.
_BLOCK_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class Rows:
    """What a value read from the database may carry: the tables its rows come from (data.read_tables), and the
    (table, column) pairs, lower case, a Core ``select()`` feeding it names (``t.c.col``; data.read_columns)."""

    tables: frozenset[str] = frozenset()
    columns: frozenset[tuple[str, str]] = frozenset()


@dataclass(eq=False, repr=False)
class Scope:
    """What the walker knows at one point of a function body."""

    phase: str
    env: dict[str, object]
    #: ``with op.batch_alter_table(table, schema=...) as name``: name -> (table, schema).
    batch: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: The names of ``batch`` opened with ``recreate="always"`` (Change.batch_rebuilt).
    rebuilt_batches: frozenset[str] = frozenset()
    #: On SQLite, the names of ``batch`` opened with ``recreate="auto"`` (the default) -> the steps made through
    #: each so far: Alembic rebuilds the table when one of them is more than an added column or an index.
    batch_steps: dict[str, list[Change]] = field(default_factory=dict)
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
    #: The line of a bare ``bind.execution_options(isolation_level="AUTOCOMMIT")`` in effect (Change.isolation_switch).
    isolation_switch: int | None = None
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
    #: A helper's parameters handed an object the revision forged (``helper(fake)``, extract/python/forged.py):
    #: a dialect test reading one decides nothing.
    forged_params: frozenset[str] = frozenset()
    #: Local names bound once to a lookup of the dialect's name in a dict literal (``fkey = {"mysql": "fk1"}.get(
    #: bind.engine.name)``, dialecttests.dialect_lookup): (whether it is true on the target dialect, whether it is
    #: None), so ``if fkey:`` is a dialect test. Replaced, never changed in place, so copies may share it.
    lookups: dict[str, tuple[bool, bool]] = field(default_factory=dict)
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
    #: (constants.literal_list_names): a loop over one is unrolled like one over a module-level list.
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
    #: Local names bound once, never changed nor handed out, to a collection every item of which is one of these
    #: constant texts, which ones and in what order not known (``keys = sorted(k for k in COMMENTS if "." in k)``,
    #: held-out-25 #156; Bindings.member_texts): a loop over it binds its name to one of them.
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Lists appended to in the body of a loop around this point that is walked once for all its passes (not
    #: unrolled): a join of one there may read what a later pass appends, which one walk has not seen yet (review18).
    loop_appended: frozenset[str] = frozenset()
    #: Local names that hold rows a SELECT read (a Core ``select()`` statement, its result, a loop's row) or values
    #: made from them (``attrs = to_dict(rows)``, ``data.append(row)``): the tables read (data.read_tables).
    #: Shared by the child scopes of one function, as ``collected``: a list filled in a loop holds rows after it.
    row_tables: dict[str, frozenset[str]] = field(default_factory=dict)
    #: The same names' (table, column) pairs a Core select named (data.read_columns), shared the same way.
    row_columns: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    #: The loops around this point over every row of a table (blocks.py): (the loop's row name, the table, the
    #: local name the loop selects from, the calls its body makes once a pass, by ``id``), for a Core UPDATE
    #: matched to that row (DataChange.each_row). Replaced, never changed in place.
    every_row_of: tuple[tuple[str, str, str, frozenset[int]], ...] = ()
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

    def may_not_run(self) -> None:
        """What is walked from here on in this scope may not run (after an early exit: extract/python/exits.py):
        a block of its own, as ``child(conditional=True)`` opens, without copying the scope."""
        self.conditional = True
        self.blocks = (*self.blocks, next(_BLOCK_NUMBERS))

    def child(self, **kw: Any) -> Scope:
        if kw.get("conditional"):
            kw.setdefault("blocks", (*self.blocks, next(_BLOCK_NUMBERS)))  # Change.blocks: a block that may not run
        self.copied[0] += len(self.env) + len(self.batch) + len(self.batch_steps) + len(self.binds) + len(self.sessions) + len(self.tables) \
            + len(self.table_defs) + len(self.dynamic_sql) + len(self.core) + len(self.core_exprs) + len(self.types) \
            + len(self.sequences) + len(self.number_columns) + len(self.fetched) + len(self.enums) \
            + len(self.enum_label_rows) + len(self.literal_dicts) + len(self.choices) + len(self.literal_lists) \
            + len(self.list_choices) + len(self.members) + len(self.callees) + len(self.local_defs)
        return replace(
            self,
            env=dict(self.env),
            batch=dict(self.batch),
            batch_steps=dict(self.batch_steps),
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
            members=dict(self.members),
            callees=dict(self.callees),
            local_defs=dict(self.local_defs),
            collected=self.collected,
            **kw,
        )
