"""SQL built in Python: ``op.execute(...)`` / ``connection.execute(...)`` and the text they run.

String constants, ``sa.text(...)``, ``.format(...)``, ``%`` and ``+`` on strings, f-strings and
``CreateSchema``/``DropSchema`` become SQL text; what is only known at run time keeps its shape with a
placeholder (``migcheck_param``, or ``migcheck_name`` for a table name the code defines), so the SQL
front end (``extract/sql/``) still reads the statement and rules can tell interpolated SQL. A Core
statement executed instead of text is asked of the data part. Imports evaluation and data.
"""

from __future__ import annotations

import ast
import functools
import re
import string

from migcheck.extract.python.appvalues import AppRef, app_reference, module_aliases, module_imports
from migcheck.extract.python.constants import _STR_METHODS
from migcheck.extract.python.data import (
    _core_dml,
    _core_statement,
    _is_session_factory,
    app_model_target,
    carried,
    core_assigns,
    each_row_key,
    extend_statement,
    func_names,
    read_columns,
    read_tables,
    unknown_functions,
)
from migcheck.extract.python.dates import date_text, formatted_date, makes_date
from migcheck.extract.python.evaluate import Evaluator
from migcheck.extract.python.fetched import fetched_rows, fetched_value
from migcheck.extract.python.nodes import _arg, _bool, _call_name, _root_name, _short, binding_counts, names_bound_once
from migcheck.extract.python.numeric import NumberReader, code_defined, plain_bindings, rewrites_out_of_sight
from migcheck.extract.python.scope import NAME_PLACEHOLDER, PLACEHOLDER, Rows, Scope
from migcheck.extract.sql import changes_from_sql, leading_keyword, null_tests, unbounded_where
from migcheck.vocabulary.changes import UNKNOWN_FUNCTION, Change, DataChange, RawSQL
from migcheck.vocabulary.lazyregex import lazy_regex

_FORMAT_FIELD = lazy_regex(r"\{[^{}]*\}")
_PERCENT_FIELD = lazy_regex(r"%(?:\([^)]*\))?[sdifr]")
#: A SELECT written in SQL, and the tables it reads (executed from Python: _rows_read).
#: (Each leading ``(?<!...)`` here: a search does not retry from inside a run of blanks, quadratic time.)
_SELECT = lazy_regex(r"(?<![\s(])\s*(?:\(\s*)*(?:select|with)\b", re.I)
#: A SELECT whose columns are only counts (``count(*)``, ``count(DISTINCT x) AS n``), ``1`` or an EXISTS test.
_COUNTS_ONLY = lazy_regex(r"(?<!\s)\s*select\s+(?:(?:not\s+)?exists\b|(?:(?:count\s*\(\s*(?:distinct\s+)?[\w.*\"]+\s*\)|1)"
                          r"(?:\s+(?:as\s+)?\w+)?\s*(?:,\s*|(?=from\b)))+from\b)", re.I)
_FROM = lazy_regex(r"\b(?:from|join)\s+(?:\w+\.)?\"?(\w+)\"?", re.I)
#: A run-time value (scope.PLACEHOLDER), or the stand-in of an application import's (``migcheck_param_app000001``).
_APP_STAND_IN = lazy_regex(PLACEHOLDER + r"(?:_app\d{6})?")
#: A text that is one SQL value wherever it stands: a number, or TRUE / FALSE / NULL.
_SQL_VALUE = lazy_regex(r"(?i)(?<!\s)\s*(?:-?\d+(?:\.\d+)?|true|false|null)\s*")


class SqlStrings(Evaluator):
    """Executed SQL: the text of a string expression, and the changes the SQL front end reads in it."""

    #: The names ``op`` is bound to (ops.py, a later layer of the walker).
    op_names: set[str]
    #: The stand-ins put in SQL text for f-string fields of a known kind -> the field as written (``{row.id}``).
    stand_ins: dict[str, str]
    #: The stand-ins of values a SELECT of one column read (extract/python/fetched.py) -> (table, column).
    fetched_stand_ins: dict[str, tuple[str, str]]
    #: The stand-ins of names imported from the application (extract/python/appvalues.py) -> (module, path).
    app_stand_ins: dict[str, AppRef]

    @functools.cached_property
    def _code_names(self) -> frozenset[str]:
        """Names whose ``__name__`` is one the code gave (held-out-25 #152): an import, or a ``def`` or ``class``
        with no decorator nor metaclass, each bound once in the module, in a module that never writes an attribute
        of it nor a ``__name__`` (``box.__name__ = os.environ[...]``, ``setattr``, ``vars``: attack25). A row of a
        SELECT, or any other object, answers ``.__name__`` with what it holds (SQLAlchemy's Row: the column so
        labelled), so its ``__name__`` is not a constant."""
        written: set[str] = set()
        given: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
                if node.attr == "__name__":
                    return frozenset()
                written.add(_chain_root(node) or "")
            elif (isinstance(node, ast.Name) and node.id in {"setattr", "vars", "__builtins__"}) \
                    or (isinstance(node, ast.Attribute) and node.attr in {"__dict__", "__setattr__"}):
                return frozenset()  # a write out of sight
            elif isinstance(node, ast.Import | ast.ImportFrom):
                given.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not node.decorator_list \
                    and not (isinstance(node, ast.ClassDef) and node.keywords):
                given.add(node.name)
        counts = binding_counts(self.tree)
        return frozenset(name for name in given - written if counts.get(name) == 1)

    def _code_identifier(self, node: ast.expr) -> bool:
        """``_code_identifier``, with ``x.__name__`` only where ``x`` is a def, class or import of the code."""
        if isinstance(node, ast.Attribute) and node.attr == "__name__":
            root = _chain_root(node.value)
            return root is not None and root in self._code_names
        return _code_identifier(node)

    @functools.cached_property
    def _func_names(self) -> tuple[frozenset[str], dict[str, ast.expr]]:
        """The module's names for SQLAlchemy's ``func`` and its functions (data.func_names), read once."""
        return func_names(self.tree)

    @functools.cached_property
    def _app_imports(self) -> tuple[dict[str, AppRef], dict[str, ast.expr]]:
        """The module's application imports and its aliases of them, read when a field is first formatted."""
        return module_imports(self.tree), module_aliases(self.tree)

    def _execute(self, call: ast.Call, scope: Scope, out: list[Change], via_bind: bool) -> None:
        """``op.execute(...)`` or ``connection.execute(...)``: SQL text, a Core statement, or unknown."""
        if scope.in_transaction and (self.autocommit_connection(call.func.value, scope) if via_bind
                                     and isinstance(call.func, ast.Attribute)
                                     else _autocommit_options(self, _arg(call, 1, "execution_options"), scope)):
            scope = scope.child(in_transaction=False)  # isolation_level AUTOCOMMIT: as in autocommit_block()
        common = self._common(scope)
        node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in {"sqltext", "statement"}), None)
        if node is None:
            return
        text = self._sql_text(node, scope)
        if text is not None:
            sql, base_line, exact, interpolated = text
            changes = changes_from_sql(sql, base_line if exact else call.lineno, dialect=self.dialect,
                                       phase=scope.phase, origin="python", in_transaction=scope.in_transaction,
                                       conditional=scope.conditional)
            for change in changes:
                change.absent_enum_labels = (*scope.absent_enum_labels, *change.absent_enum_labels)  # and a DO's
                change.blocks = scope.blocks
                change.isolation_switch = scope.isolation_switch
                if not exact:
                    change.line = call.lineno
                statement = change.sql or ""  # before the stand-ins are shown as written
                unknown = PLACEHOLDER in sql or NAME_PLACEHOLDER in sql
                if unknown or any(k in sql for k in self.stand_ins):
                    _show_placeholders(change, self.stand_ins)
                    if unknown and isinstance(change, DataChange) and change.has_where and change.sql:
                        change.unbounded_where = unbounded_where(change.sql, self.dialect)  # of the SQL shown
                        change.null_tests = null_tests(change.sql, self.dialect)
                # held-out-19 #124: of several statements in one string, only those that hold a formatted value
                own = statement or sql
                change.interpolated = interpolated and (
                    PLACEHOLDER in own or any(s in own for s in self.fetched_stand_ins))
                if isinstance(change, DataChange) and change.pinned and _many_parameter_sets(call):
                    change.pinned = ()  # executemany: one statement per parameter set, as many rows as the list holds
                if isinstance(change, DataChange) and change.action in {"insert", "update"} and len(call.args) > 1:
                    # conn.execute(text("INSERT INTO t2 (...) VALUES (:a, ...)"), {"a": row["a"], ...}) in a loop over
                    # rows a SELECT read: the bound values carry those rows (held-out-29 #62)
                    bound = self._rows_read(ast.Tuple(elts=call.args[1:]), scope)
                    change.read_tables = tuple(sorted(bound.tables))
                    change.read_columns = tuple(sorted(bound.columns))
                apps = tuple(ref for s, ref in self.app_stand_ins.items() if s in own)
                rest = own
                for stand_in in self.app_stand_ins:
                    rest = rest.replace(stand_in, "")
                if change.interpolated and PLACEHOLDER not in rest:
                    change.fetched_columns = tuple(c for s, c in self.fetched_stand_ins.items() if s in own)
                    change.app_values = apps
            out.extend(changes)
            return
        dml = scope.core.get(node.id) if isinstance(node, ast.Name) \
            else _core_dml(extend_statement(node, scope), self, scope)  # conn.execute(q.where(...))
        if dml is not None:
            action, table, has_where, clears = dml
            query = scope.core_exprs.get(node.id) if isinstance(node, ast.Name) else node
            if action == "select" and query is not None and (called := unknown_functions(query, *self._func_names)):
                # a SELECT of the project's own function (sa.select(sa.func.f())) runs whatever f does: not read
                out.append(RawSQL(text=None, keyword="SELECT", understood=False, line=call.lineno, reason=(
                    f"`{_short(ast.unparse(node))}` calls {called[0]}(), {UNKNOWN_FUNCTION}: what "
                    f"it does in the database is not read"), **common))
            elif action != "select":
                reads = self._rows_read(ast.Tuple(elts=[*call.args, *(k.value for k in call.keywords)]), scope)
                update = action == "update"
                model = app_model_target(query, lambda n: app_reference(n, *self._app_imports, scope.env)) \
                    if table is None and query is not None and action in {"update", "delete"} else None
                out.append(DataChange(action=action, table=table, has_where=has_where,
                                      clears_nulls=model[1] if model is not None else clears,
                                      read_tables=tuple(sorted(reads.tables)),
                                      read_columns=tuple(sorted(reads.columns)), line=call.lineno,
                                      assigns=core_assigns(query) if update and query is not None else (),
                                      each_row=each_row_key(query, table, self, scope, call)
                                      if update and query is not None else None,
                                      app_table=model[0] if model is not None else None, **common))
            return
        if (ddl := self._helper_ddl(node)) is not None:
            # conn.execute(sa.text(_set_table_ddl(...))): a helper of the revision that builds its SQL at run time,
            # but every text it returns starts with the same DDL (held-out-20 #99): a schema statement, not rows
            keyword, helper = ddl
            out.append(RawSQL(text=None, keyword=keyword, understood=False, line=call.lineno, reason=(
                f"the SQL `{helper}()` returns is built at run time; it is {keyword}"), **common))
        elif self._helper_select(node, scope):
            return  # conn.execute(helper(...)) of a helper of the revision that builds a Core SELECT: rows read
        elif via_bind:
            out.append(DataChange(action="execute", line=call.lineno, **common))
        else:
            out.append(RawSQL(text=None, keyword="", understood=False, line=call.lineno,
                              reason=f"the SQL of `{_short(ast.unparse(node))}` is only known at run time", **common))

    def _helper_ddl(self, node: ast.expr) -> tuple[str, str] | None:
        """The statement kind (``ALTER PUBLICATION``), and the helper's name, every ``return`` of the revision's helper called in ``node``
        (``sa.text(helper(...))``) starts with, when that is DDL written as a literal: the text after it is built at
        run time, but what kind of statement runs is known. None otherwise."""
        while isinstance(node, ast.Call) and _call_name(node) in {"text", "dedent", "strip"}:
            if node.args:
                node = node.args[0]
            elif isinstance(node.func, ast.Attribute):
                node = node.func.value  # helper(...).strip()
            else:
                return None
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) \
                or (helper := self.functions.get(node.func.id)) is None:
            return None
        returns = list(_returns(helper))
        kinds = {_ddl_kind(r.value) if r.value is not None else None for r in returns}
        if len(kinds) != 1 or None in kinds:
            return None
        return str(kinds.pop()), helper.name

    def _helper_select(self, node: ast.expr, scope: Scope) -> bool:
        """Whether ``node`` calls a helper of the revision every ``return`` of which is a Core ``select(...)``
        chain (held-out-26 #113), and which runs nothing itself: no ``execute``-like call, no ``op``. Executed, it
        reads rows and changes nothing; an ``insert(...).from_select(...)`` is no SELECT."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.func.id in scope.env \
                or (helper := self.functions.get(node.func.id)) is None:
            return False
        if not self._builds_only(helper, frozenset({node.func.id})):
            return False
        returns = _returns(helper)
        return bool(returns) and all(
            r.value is not None and (dml := _core_statement(r.value, self, scope)) is not None and dml[0] == "select"
            for r in returns)

    def _builds_only(self, helper: ast.FunctionDef | ast.AsyncFunctionDef, seen: frozenset[str]) -> bool:
        """Whether calling ``helper`` runs no SQL: no decorator, no ``execute``-like call, no ``op``, and every call
        built from SQLAlchemy's names or of another helper of the module that runs nothing either (a query built
        from a sub-query helper, conbench 1fed559406c5), at most four helpers deep. ``wipe(conn)`` of a helper that
        executes, ``getattr(conn, "exec" + "ute")(...)``: a call that may run SQL (attack26e)."""
        if helper.decorator_list or len(seen) > 4:
            return False  # the decorator may hand back anything in the helper's place (attack26e)
        built = _built_from(helper, _sqlalchemy_names(self.tree))
        bound = {a.arg for a in ast.walk(helper.args) if isinstance(a, ast.arg)}
        for sub in ast.walk(helper):
            if (isinstance(sub, ast.Attribute) and sub.attr in _RUNS) or (
                    isinstance(sub, ast.Name) and sub.id in self.op_names):
                return False
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
                bound.add(sub.id)
        for sub in ast.walk(helper):
            if isinstance(sub, ast.Call) and _column_operator(sub.func):
                continue
            if isinstance(sub, ast.Call) and (root := _root_name(sub.func)) not in built:
                callee = self.functions.get(root) if root is not None and root not in bound | seen else None
                if callee is None or root is None or not self._builds_only(callee, seen | {root}):
                    return False
        return True

    def _rows_read(self, node: ast.AST, scope: Scope) -> Rows:
        """The tables whose rows ``node`` may carry (data.read_tables), and those a SELECT written in SQL that it
        executes reads (``conn.execute(sa.text("SELECT id, name FROM old"))``: the tables after FROM and JOIN), unless
        it only counts them or checks that one exists (``SELECT count(*) FROM old``, ``SELECT EXISTS (...)``); with
        the columns its Core selects name (data.read_columns)."""
        found = set(read_tables(node, self, scope))
        for sub in carried(node, self):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr in {"execute", "exec_driver_sql"} and sub.args \
                    and not any(isinstance(n, ast.JoinedStr) for n in ast.walk(sub.args[0])) \
                    and (text := self._sql_text(sub.args[0], scope)) is not None and _SELECT.match(text[0]) \
                    and not _COUNTS_ONLY.match(text[0]):
                found.update(t.lower() for t in _FROM.findall(text[0]))
        return Rows(frozenset(found), read_columns(node, self, scope) if found else frozenset())

    def _sequence_name(self, node: ast.expr, scope: Scope) -> str | None:
        """The name of the sequence ``node`` is: ``sa.Sequence("literal", schema="s")``, or a local name bound to
        one, or a module-level name bound to one and nowhere else in the module."""
        if isinstance(node, ast.Name):
            if node.id in scope.sequences:
                return scope.sequences[node.id]
            call = self.sequence_objects.get(node.id)
            if call is None or node.id in scope.env:
                return None
            node = call
        if isinstance(node, ast.Call) and _call_name(node) == "Sequence" and node.args:
            name = self._str(node.args[0], scope)
            schema = next((k.value for k in node.keywords if k.arg == "schema"), None)
            if name is None or schema is None or (isinstance(schema, ast.Constant) and schema.value is None):
                return name
            schema_name = self._str(schema, scope)
            return f"{schema_name}.{name}" if schema_name is not None else name
        return None

    #: ``_sql_text``'s answers during one outermost call, by node and scope: ``a + a + ... + 1`` asked each
    #: operand again through ``_format_value`` -> ``_literal``, work exponential in the terms (16 took a minute,
    #: a stranger's 300 stalled CI; attack26c).
    _text_memo: dict[tuple[int, int], tuple[str, int, bool, bool] | None] | None = None

    def _sql_text(self, node: ast.expr, scope: Scope) -> tuple[str, int, bool, bool] | None:
        """(text, line, line_is_exact, interpolated) for a SQL string expression; None if not a string."""
        memo = self._text_memo
        if memo is None:
            self._text_memo = {}
            try:
                return self._sql_text(node, scope)
            finally:
                self._text_memo = None
        key = (id(node), id(scope))
        if key not in memo:
            memo[key] = self._read_sql_text(node, scope)
        return memo[key]

    def _read_sql_text(self, node: ast.expr, scope: Scope) -> tuple[str, int, bool, bool] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value, node.lineno, True, False
        if isinstance(node, ast.Name):
            value = scope.env.get(node.id)
            if not isinstance(value, str) and node.id in scope.dynamic_sql:
                text, _, _, interpolated = scope.dynamic_sql[node.id]
                return text, node.lineno, False, interpolated
            return (value, node.lineno, False, False) if isinstance(value, str) else None
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if isinstance(node.func, ast.Name) and node.func.id in self.functions:
                # op.execute(_enable_rls(table)): a helper of the module whose whole body returns the SQL, every
                # argument known (a literal, or a loop's name over literals): the text it returns (tracecat
                # c76f9b01fad7)
                returned = self._returned_literal(node, scope)
                return (returned, node.lineno, False, False) if returned is not None else None
            if name in {"text", "literal_column", "DDL", "dedent", "strip"} and node.args \
                    and not (name == "strip" and isinstance(node.func, ast.Attribute)):
                # sa.text(sql), a strip(sql) helper; not sql.strip("\n"), whose argument is the characters to strip
                return self._sql_text(node.args[0], scope)
            if name in {"CreateSchema", "DropSchema"} and node.args:
                # SQLAlchemy's schema DDL constructs: the statement they compile to
                schema = self._str(node.args[0], scope)
                if schema is None:
                    return None
                kw = {k.arg: _bool(k.value) for k in node.keywords if k.arg}
                verb = "CREATE SCHEMA" if name == "CreateSchema" else "DROP SCHEMA"
                guard = " IF NOT EXISTS" if kw.get("if_not_exists") else " IF EXISTS" if kw.get("if_exists") else ""
                cascade = " CASCADE" if kw.get("cascade") else ""
                return f"{verb}{guard} {schema}{cascade}", node.lineno, True, False
            if name in {"CreateSequence", "DropSequence"} and len(node.args) == 1:
                # CreateSequence(Sequence("tag_id_seq")), or a name bound to one: a DDL construct with a
                # literal name
                sequence = self._sequence_name(node.args[0], scope)
                if sequence is None:
                    return None
                verb = "CREATE SEQUENCE" if name == "CreateSequence" else "DROP SEQUENCE"
                return f"{verb} {sequence}", node.lineno, True, False
            if name in {"strip", "bindparams", "params", "columns", "execution_options"} \
                    and isinstance(node.func, ast.Attribute):
                return self._sql_text(node.func.value, scope)
            if name in _STR_METHODS and isinstance(node.func, ast.Attribute) \
                    and isinstance(changed := self._literal(node, scope), str):
                # create_sql.replace("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1), create_sql a known text (a
                # pass of a loop over literals): the text the call certainly gives (held-out-21 #106)
                return changed, node.lineno, False, False
            if name == "format" and isinstance(node.func, ast.Attribute):
                base = self._sql_text(node.func.value, scope)
                if base is not None:
                    resolved = format_with_literals(self, base[0], node, scope)
                    if resolved is not None and not base[3]:
                        return resolved, base[1], base[2], False
                    if not base[3] and (as_fstring := self._format_as_fstring(base[0], node, scope)) is not None:
                        return as_fstring[0], base[1], base[2], as_fstring[1]
                    return _FORMAT_FIELD.sub(PLACEHOLDER, base[0]), base[1], base[2], True
            if name == "join" and isinstance(node.func, ast.Attribute):
                return self._joined_rows(node, scope)
            return None
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            interpolated = False
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue) and self._code_identifier(value.value):
                    parts.append(NAME_PLACEHOLDER)
                elif isinstance(value, ast.FormattedValue) and _generated_uuid(
                        scope.types.get(value.value.id) if isinstance(value.value, ast.Name) else value.value):
                    # uuid4(), or a local name bound to it (activity_uuid = uuid4())
                    parts.append(self._stand_in(_UUID_VALUE, value))
                elif isinstance(value, ast.FormattedValue) and formatted_date(self, value, scope):
                    # {date.strftime('%Y_%m')}, date = datetime.date(year, month, 1): digits and the code's own
                    # separators, whatever the date (held-out-21 #135): unknown text, but no outside value
                    parts.append(PLACEHOLDER)
                elif isinstance(value, ast.FormattedValue) and _number_column(value.value, scope):
                    parts.append(self._stand_in(_NUMBER_VALUE, value))  # {row.id} of an integer column: digits
                elif isinstance(value, ast.FormattedValue) and \
                        (column := fetched_value(self, value.value, scope)) is not None:
                    # {x} read by a SELECT of one column: digits if the history makes it an integer (the rule asks)
                    stand_in = self._stand_in(_NUMBER_VALUE, value)
                    self.fetched_stand_ins[stand_in] = column
                    parts.append(stand_in)
                    interpolated = True
                elif isinstance(value, ast.FormattedValue) and value.format_spec is None \
                        and value.conversion in (-1, ord("s")) and self._number_at_run_time(value.value, scope):
                    # {last_id + 1}, last_id what the revision's SELECT returned: digits, or a TypeError before
                    # any SQL (held-out-26 #147, #148)
                    parts.append(self._stand_in(_NUMBER_VALUE, value))
                else:
                    inner = self._format_value(value.value, scope) if isinstance(value, ast.FormattedValue) \
                        else None
                    ref = (app_reference(value.value, *self._app_imports, scope.env)
                           or self._local_app_alias(value.value, scope)) \
                        if inner is None and isinstance(value, ast.FormattedValue) and not value.format_spec \
                        and value.conversion == -1 else None
                    composed = self._app_composed(value.value, scope) \
                        if inner is None and ref is None and isinstance(value, ast.FormattedValue) else None
                    if isinstance(inner, str):
                        parts.append(inner)
                    elif composed is not None:
                        # {new_prefix}, new_prefix = f"file_{DEFAULT_COMPANY_ID}_": literals and application
                        # imports only, each recorded for the rule to ask about
                        parts.append(composed)
                        interpolated = True
                    elif ref is not None:
                        # {Role.ADMIN.value} of an application import: unknown here, like any run-time value,
                        # and recorded for the rule to ask the application's source
                        stand_in = f"{PLACEHOLDER}_app{len(self.app_stand_ins) + 1:06d}"
                        self.app_stand_ins[stand_in] = ref
                        parts.append(stand_in)
                        interpolated = True
                    elif isinstance(value, ast.FormattedValue) and (texts := self.choices(value.value, scope)) is not None:
                        # {flag}, flag = "true" if x else "false": a constant, whichever branch runs; read
                        # through a stand-in of a value when every text is one (digits, TRUE/FALSE/NULL)
                        parts.append(self._stand_in(_NUMBER_VALUE, value) if all(_SQL_VALUE.fullmatch(t) for t in texts)
                                     else PLACEHOLDER)
                    elif isinstance(value, ast.FormattedValue) and self.constant_text(value.value, scope):
                        parts.append(PLACEHOLDER)  # {case_sql}: constants joined, how many not known: no outside value
                    elif isinstance(value, ast.FormattedValue) and (name := _partial_name(value, scope)) is not None:
                        # {partition_name}, partition_name = f"forecast_value_{month:%Y_%m}": a name whose literal
                        # part is known (held-out-19 #60), its run-time part a stand-in as before
                        parts.append(name)
                        interpolated = True
                    else:
                        parts.append(PLACEHOLDER)
                        interpolated = True
            return "".join(parts), node.lineno, True, interpolated
        if isinstance(node, ast.BinOp):
            left = self._sql_text(node.left, scope)
            if isinstance(node.op, ast.Mod) and left is not None:
                resolved = percent_with_literals(self, left[0], node.right, scope)
                if resolved is not None and not left[3]:
                    return resolved, left[1], left[2], False
                return _PERCENT_FIELD.sub(PLACEHOLDER, left[0]), left[1], left[2], True
            if isinstance(node.op, ast.Add):
                right = self._sql_text(node.right, scope)
                if left is None and self._code_identifier(node.left):
                    left = NAME_PLACEHOLDER, node.lineno, False, False
                if right is None and self._code_identifier(node.right):
                    right = NAME_PLACEHOLDER, node.lineno, False, False
                # "UPDATE t SET " + ",".join(... for f in COLUMNS): text made of constants, as in an f-string
                if left is None and (constant := self._format_value(node.left, scope)) is not None:
                    left = constant, node.lineno, False, False
                if right is None and (constant := self._format_value(node.right, scope)) is not None:
                    right = constant, node.lineno, False, False
                if left is None and right is None:
                    return None
                ltext = left[0] if left else PLACEHOLDER
                rtext = right[0] if right else PLACEHOLDER
                interpolated = left is None or right is None or left[3] or right[3]
                line = left[1] if left else node.lineno
                return ltext + rtext, line, bool(left and left[2]), interpolated
        return None


    def _number_at_run_time(self, node: ast.expr, scope: Scope) -> bool:
        """Whether ``node`` is certainly a number though known only at run time (extract/python/numeric.py)."""
        if scope.function is None or not isinstance(node, ast.BinOp | ast.Name | ast.Call | ast.UnaryOp) \
                or rewrites_out_of_sight(self.tree):
            return False
        counts = binding_counts(self.tree)
        own = code_defined(self.tree)
        bindings = plain_bindings(scope.function)

        def is_connection(target: ast.expr, depth: int = 0) -> bool:
            """The revision's connection or session here, and (for a name the function binds) wherever it is bound:
            ``conn = op.get_bind()`` and nothing else; a helper's parameter the walk was handed a connection for."""
            if depth > 8:
                return False
            if isinstance(target, ast.Name):
                values = bindings.get(target.id)
                return (target.id in scope.binds or target.id in scope.sessions) \
                    and (values is None or all(is_connection(v, depth + 1) for v in values))
            if isinstance(target, ast.Call) and _is_session_factory(target):
                # session = Session(bind=bind); not a class or function of the module's own (attack26c)
                root: ast.expr = target.func
                while isinstance(root, ast.Attribute | ast.Call):
                    root = root.func if isinstance(root, ast.Call) else root.value
                return not (isinstance(root, ast.Name) and root.id in own)
            if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
                return target.func.attr == "get_bind" or (target.func.attr in {"connect", "begin", "execution_options"}
                                                          and is_connection(target.func.value, depth + 1))
            return False

        return NumberReader(scope.function, is_connection, lambda name: name in counts).number(node)

    def _joined_rows(self, call: ast.Call, scope: Scope) -> tuple[str, int, bool, bool] | None:
        """``", ".join(f"('{kind}', '{row.id}')" for row in rows)``, ``rows`` the rows of a SELECT written out in the
        revision (fetched.py): the text of one item, its fields read as in any f-string (``{row.id}`` a stand-in
        tied to the column, for the rule to ask its type), as the shape of every item; None for any other join."""
        assert isinstance(call.func, ast.Attribute)
        sep = self._literal(call.func.value, scope)
        arg = call.args[0] if len(call.args) == 1 and not call.keywords else None
        if not isinstance(sep, str) or isinstance(sep, bool) or not isinstance(arg, ast.GeneratorExp | ast.ListComp) \
                or len(arg.generators) != 1 or arg.generators[0].ifs or arg.generators[0].is_async \
                or not isinstance(arg.generators[0].target, ast.Name) or not isinstance(arg.elt, ast.JoinedStr):
            return None
        loop = arg.generators[0]
        found = fetched_rows(self, loop.iter, scope)
        if found is None:
            return None
        assert isinstance(loop.target, ast.Name)
        each = scope.child()
        for held in (each.env, each.types, each.dynamic_sql, each.choices, each.number_columns):
            held.pop(loop.target.id, None)  # the generator's own name: the row, whatever it held outside
        each.fetched[loop.target.id] = ("row", found)
        text = self._sql_text(arg.elt, each)
        return None if text is None else (text[0], call.lineno, False, text[3])

    def autocommit_connection(self, node: ast.expr, scope: Scope) -> bool:
        """Whether the connection ``node`` runs each statement in autocommit: ``x.execution_options(isolation_level=
        "AUTOCOMMIT")`` (also before ``.connect()``), or a name bound to one (Scope.autocommit_binds)."""
        if isinstance(node, ast.Name):
            return node.id in scope.autocommit_binds
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            return False
        if node.func.attr == "execution_options":
            level = next((k.value for k in node.keywords if k.arg == "isolation_level"), None)
            if level is not None:
                return _autocommit_level(self, level, scope)
        return node.func.attr in {"execution_options", "connect"} and self.autocommit_connection(node.func.value, scope)

    def _app_composed(self, node: ast.expr, scope: Scope) -> str | None:
        """The text of a local name bound to SQL text built from literals, application imports and values a SELECT
        read (``data_table = f"model_{row['id']}_data"``, held-out-22 #154) only (Scope.dynamic_sql), their
        stand-ins in it; None if anything else is formatted into it."""
        if not isinstance(node, ast.Name) or node.id in scope.env or node.id not in scope.dynamic_sql:
            return None
        text = scope.dynamic_sql[node.id][0]
        rest = text
        for stand_in in (*self.app_stand_ins, *self.fetched_stand_ins):
            rest = rest.replace(stand_in, "")
        return None if rest == text or PLACEHOLDER in rest or NAME_PLACEHOLDER in rest else text

    def _format_as_fstring(self, base: str, call: ast.Call, scope: Scope) -> tuple[str, bool] | None:
        """``"... {0} ... {v}".format(url_id, v=stalker.__version__)`` read as the f-string it equals
        (``f"... {url_id} ... {stalker.__version__}"``), so each argument is judged as the same field of an f-string
        is (a counter, an integer column of a row read, an application import: held-out-27 #156, #159): the text and
        whether a value is formatted in at run time. None when a field indexes or reads an attribute of its
        argument (``{0.id}``, ``{row[id]}``), the call passes ``*args`` or ``**kwargs``, or a field has no argument."""
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        values: list[ast.expr] = []
        auto = 0
        try:
            fields = list(string.Formatter().parse(base))
        except ValueError:
            return None
        for literal, name, spec, conversion in fields:
            if literal:
                values.append(ast.Constant(literal))
            if name is None:
                continue
            if name == "":
                name, auto = str(auto), auto + 1
            if name.isdigit():
                arg = call.args[int(name)] if int(name) < len(call.args) else None
            else:
                arg = keywords.get(name)
            if arg is None or (spec and "{" in spec):
                return None
            values.append(ast.FormattedValue(value=arg, conversion=ord(conversion) if conversion else -1,
                                             format_spec=ast.JoinedStr(values=[ast.Constant(spec)]) if spec else None))
        joined = ast.copy_location(ast.JoinedStr(values=values), call)
        text = self._sql_text(joined, scope)
        return None if text is None else (text[0], text[3])

    def _local_app_alias(self, node: ast.expr, scope: Scope) -> AppRef | None:
        """``{custom}``, ``custom = ToolType.CUSTOM.value`` bound once in the function (held-out-22 #157): the
        application value the alias names, asked of the application's source as if written in place."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):  # {admin.value}, admin = Role.ADMIN
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id in scope.env or scope.function is None:
            return None
        bound = scope.types.get(node.id)
        if not isinstance(bound, ast.Name | ast.Attribute) or node.id not in _names_once(scope.function):
            return None
        ref = app_reference(bound, *self._app_imports, scope.env)
        return None if ref is None else (ref[0], (*ref[1], *reversed(attrs)))

    def _stand_in(self, form: str, value: ast.FormattedValue) -> str:
        """A value of the kind the f-string field certainly gives (digits, a UUID), for parsing the SQL; unique,
        so that what a finding shows can say the user's own ``{row.id}`` in its place (``stand_ins``), never a
        value migcheck made up (review9: ``WHERE activity_id = 0``)."""
        text = form.format(len(self.stand_ins) + 1)
        self.stand_ins[text] = "{" + ast.unparse(value.value) + "}"
        return text


#: names_bound_once per function, kept for the few functions that format a local alias into SQL.
_names_once = functools.lru_cache(maxsize=32)(names_bound_once)


def _autocommit_options(ex: SqlStrings, options: ast.expr | None, scope: Scope) -> bool:
    """``op.execute(sql, {"isolation_level": "AUTOCOMMIT"})`` (Alembic's ``execution_options``, a dict literal)."""
    if not isinstance(options, ast.Dict):
        return False
    return any(key is not None and ex._literal(key, scope) == "isolation_level" and _autocommit_level(ex, value, scope)
               for key, value in zip(options.keys, options.values, strict=True))


def _autocommit_level(ex: Evaluator, value: ast.expr, scope: Scope) -> bool:
    level = ex._literal(value, scope)
    return isinstance(level, str) and level.upper() == "AUTOCOMMIT"


#: Methods that run a statement, or hand one to the database, in a helper that would otherwise only build one.
_RUNS = frozenset({"execute", "exec_driver_sql", "executemany", "scalar", "scalars", "get_bind", "bulk_insert",
                   "add", "add_all", "merge", "delete", "flush", "commit", "query", "begin", "connect"})


def _sqlalchemy_names(tree: ast.Module) -> set[str]:
    """The names the module's top-level imports bind from SQLAlchemy (``sa``, ``select``, ``func``)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names
                         if a.name.split(".")[0] == "sqlalchemy")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "sqlalchemy":
            names.update(a.asname or a.name for a in node.names if a.name != "*")
    return names


#: Operators of a Core column (``table.c.timestamp.isnot(None)``): they build an expression, run nothing.
_COLUMN_OPERATORS = frozenset({"isnot", "is_not", "is_", "in_", "not_in", "notin_", "label", "desc", "asc", "like",
                               "ilike", "between", "contains", "startswith", "endswith", "distinct", "collate"})


def _column_operator(func: ast.expr) -> bool:
    """``<name>.c.<column>.<operator>``, the column of a table the helper was handed: an expression, no SQL run."""
    return (isinstance(func, ast.Attribute) and func.attr in _COLUMN_OPERATORS
            and isinstance(func.value, ast.Attribute) and isinstance(func.value.value, ast.Attribute)
            and func.value.value.attr == "c" and isinstance(func.value.value.value, ast.Name))




def _built_from(helper: ast.FunctionDef | ast.AsyncFunctionDef, sqlalchemy: set[str]) -> set[str]:
    """``sqlalchemy`` and the helper's locals whose every assignment is built from them (``t = sa.table(...)``):
    what a call of a Core builder may hang from. Parameters and other names are not (``conn.run(...)``)."""
    values: dict[str, list[ast.expr | None]] = {}
    for sub in ast.walk(helper):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            values.setdefault(sub.id, [])
        if isinstance(sub, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(
                        sub.value if len(targets) == 1 and not isinstance(sub, ast.AugAssign) else None)
    for name, assigned in values.items():
        stores = sum(1 for sub in ast.walk(helper) if isinstance(sub, ast.Name) and sub.id == name
                     and isinstance(sub.ctx, ast.Store | ast.Del))
        if stores != len(assigned):
            assigned.append(None)  # bound by a for, a with, an import or a del as well: not a builder's value
    built = set(sqlalchemy)
    changed = True
    while changed:
        changed = False
        for name, assigned in values.items():
            if name not in built and assigned and all(
                    v is not None and _root_name(v) in built for v in assigned):
                built.add(name)
                changed = True
    args = helper.args
    return built - {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}


def _returns(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Return]:
    """The ``return`` statements of ``function`` itself, not of the functions and classes defined inside it."""
    found: list[ast.Return] = []
    todo: list[ast.AST] = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return):
            found.append(node)
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))
    return found


#: First words of the statements a helper's literal prefix may name as DDL.
_DDL_WORDS = frozenset({"ALTER", "CREATE", "DROP", "COMMENT", "GRANT", "REVOKE"})


def _ddl_kind(node: ast.expr) -> str | None:
    """``"ALTER PUBLICATION"`` for ``f"ALTER PUBLICATION {name} SET TABLE " + ", ".join(tables)``: the kind of DDL
    the literal start of a string expression names, when its words are whole; None otherwise."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    if isinstance(node, ast.JoinedStr):
        node = node.values[0] if node.values else node
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    words = node.value.split()
    if len(words) < 2 or (len(words) == 2 and not node.value[-1:].isspace()):
        return None  # "ALTER TAB" + rest: the kind is not known yet
    keyword = leading_keyword(node.value)
    return keyword if keyword.split(" ")[0] in _DDL_WORDS and " " in keyword else None


def dynamic_sql_text(
    ex: SqlStrings, value: ast.expr, scope: Scope
) -> tuple[str, int, bool, bool] | None:
    """SQL text built at run time and bound to a local name (``sql = f"..."``), so that a later
    ``op.execute(sql)`` is still seen as interpolated rather than as unknown."""
    text = ex._sql_text(value, scope)
    return text if text is not None and (text[3] or NAME_PLACEHOLDER in text[0]) else None


def _known_or_date(ex: Evaluator, node: ast.expr, scope: Scope) -> str | None:
    """The text of a constant formatted into SQL; a placeholder for a date of the revision (dates.py), whose
    exact text is unknown but is digits and separators only; None for anything else."""
    known = ex._format_value(node, scope)
    if known is None and (date_text(ex, node, scope) or makes_date(ex, node, scope)):
        return PLACEHOLDER
    return known


def format_with_literals(ex: Evaluator, base: str, call: ast.Call, scope: Scope) -> str | None:
    """``"... {}".format(CONST)`` with only literal arguments (or dates of the revision): the text it certainly
    evaluates to."""
    args = [_known_or_date(ex, a, scope) for a in call.args]
    kwargs = {k.arg: _known_or_date(ex, k.value, scope) for k in call.keywords if k.arg}
    if len(kwargs) != len(call.keywords) or not all(isinstance(v, str) for v in [*args, *kwargs.values()]):
        return None
    try:
        return base.format(*args, **kwargs)
    except (IndexError, KeyError, ValueError, AttributeError, TypeError):
        return None


def percent_with_literals(ex: Evaluator, base: str, right: ast.expr, scope: Scope) -> str | None:
    """``"... %s" % CONST`` with only literal operands: the text it certainly evaluates to."""
    if isinstance(right, ast.Tuple):
        parts = [_known_or_date(ex, e, scope) for e in right.elts]
        value: object = tuple(parts) if all(p is not None for p in parts) else None
    else:
        value = _known_or_date(ex, right, scope)
    if not isinstance(value, str | tuple) or isinstance(value, bool):
        return None
    try:
        return base % (value if isinstance(value, tuple) else (value,))
    except (TypeError, ValueError, KeyError):
        return None


#: What a generated UUID stands as in the SQL text: a well-formed value, so the statement still parses.
#: The stand-ins for a formatted UUID and a formatted integer column (SqlStrings._stand_in): valid SQL of the
#: value's kind, numbered, and unlike anything written by hand.
_UUID_VALUE = "00000000-0000-4000-8000-{:012d}"
_NUMBER_VALUE = "7319000000{:06d}"


def _number_column(node: ast.expr, scope: Scope) -> bool:
    """``row.id`` where ``row`` is a row of a table the revision declares, and ``id`` is declared an integer or
    a boolean there (Scope.number_columns): formatted, digits or True/False."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
        and node.attr in scope.number_columns.get(node.value.id, frozenset())


def _generated_uuid(node: ast.expr | None) -> bool:
    """``uuid.uuid4()``, ``uuid4().hex``, ``str(uuid.uuid4())``: a value the migration makes itself, of hex
    digits and dashes only, so it can neither come from outside nor hold a quote."""
    if isinstance(node, ast.Attribute) and node.attr == "hex":
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" \
            and len(node.args) == 1 and not node.keywords:
        node = node.args[0]
    if not isinstance(node, ast.Call) or node.args or node.keywords:
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "uuid":
        return func.attr in {"uuid1", "uuid4"}
    return isinstance(func, ast.Name) and func.id in {"uuid1", "uuid4"}


#: Text that is one identifier with run-time parts (``forecast_value_migcheck_param``).
_NAME_WITH_STAND_INS = lazy_regex(r"[A-Za-z_][\w$]*")


def _partial_name(value: ast.FormattedValue, scope: Scope) -> str | None:
    """The text of ``{name}`` when ``name`` is bound to an identifier built at run time from a literal part and
    run-time values (Scope.dynamic_sql: ``name = f"events_{suffix}"``, read as ``events_migcheck_param``): what is
    known of the name, so a rule can tell which tables a statement may name; None for anything else."""
    if value.format_spec is not None or value.conversion != -1 or not isinstance(value.value, ast.Name) \
            or value.value.id in scope.env or value.value.id not in scope.dynamic_sql:
        return None
    text = scope.dynamic_sql[value.value.id][0]
    known = text.replace(PLACEHOLDER, "").replace(NAME_PLACEHOLDER, "")
    if PLACEHOLDER not in text or not known.strip("_") or not _NAME_WITH_STAND_INS.fullmatch(text):
        return None
    return text


def _chain_root(node: ast.expr) -> str | None:
    """The name a chain of attributes starts from (``horizons`` of ``horizons.ex_post``); None for anything else."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _code_identifier(node: ast.expr) -> bool:
    """``Model.__tablename__`` / ``Model.__table__.name``: a table name the application code defines,
    interpolated into SQL as an identifier. Not a value from outside, so no injection risk. (``func.__name__``:
    SqlStrings._code_identifier, which knows the module.)"""
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr == "__tablename__":
        return True
    return node.attr == "name" and isinstance(node.value, ast.Attribute) and node.value.attr == "__table__"


def _show_placeholders(change: Change, stand_ins: dict[str, str]) -> None:
    """Write the stand-ins for run-time parts as ``{…}`` in the SQL and names a finding may show, and those for
    values of a known kind as the user wrote them (``{row.id}``)."""
    for attr in ("sql", "table", "name", "new_name"):
        value = getattr(change, attr, None)
        if isinstance(value, str):
            value = _APP_STAND_IN.sub("{…}", value).replace(NAME_PLACEHOLDER, "{…}")
            for stand_in, shown in stand_ins.items():
                value = value.replace(stand_in, shown)
            setattr(change, attr, value)



def _many_parameter_sets(call: ast.Call) -> bool:
    """``conn.execute(text("UPDATE t SET a = :a WHERE id = :id"), rows)``: parameters that may be a list of sets (an
    executemany, the statement run once per set), anything but one dict written out (``{"id": 5}``, ``dict(id=5)``)
    or a tuple of values (``exec_driver_sql``'s one row). Review18: such an UPDATE pinned to a key was taken for a
    one-row write."""
    given = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg in {"parameters", "params", "multiparams"}), None)
    if given is None:
        return False
    one = isinstance(given, ast.Dict | ast.Tuple) or (
        isinstance(given, ast.Call) and isinstance(given.func, ast.Name) and given.func.id == "dict")
    return not one
