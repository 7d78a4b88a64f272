"""A bare switch of the migration's connection to AUTOCOMMIT (held-out-24 #73, #74).

``connection.execution_options(isolation_level="AUTOCOMMIT")`` with its result not kept, on ``op.get_bind()``,
is not the ``autocommit_connection`` idiom (a new connection bound to a name): under SQLAlchemy 1.x it hands the
level to the driver of the one DBAPI connection Alembic runs on, so ``op.execute`` after it runs in that level
too, until another ``execution_options(isolation_level=...)`` sets it back. What the driver makes of it inside the
open transaction differs (psycopg2 ends it and runs in autocommit; pg8000 keeps it; SQLAlchemy 2 refuses the
switch), so the walker only records where the switch is in effect (Change.isolation_switch) and the rules decide
by the project's driver. Revisions write it under ``if not op.get_context().as_sql:`` (offline mode has no
connection): the online branch's switch is the one in effect after the ``if``.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from migcheck.extract.python.scope import Scope

if TYPE_CHECKING:
    from migcheck.extract.python.bindings import Bindings


def isolation_switch(ex: Bindings, call: ast.Call, scope: Scope) -> bool | None:
    """For a statement that is only ``<bind>.execution_options(isolation_level=<level>)``: True when the level is
    certainly ``"AUTOCOMMIT"``, False for any other level (the switch back, or one not known); None when the
    statement is no such switch."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "execution_options" or call.args \
            or not ex._is_bind(func.value, scope):
        return None
    level = next((k.value for k in call.keywords if k.arg == "isolation_level"), None)
    if level is None:
        return None
    value = ex._literal(level, scope)
    return isinstance(value, str) and value.upper() == "AUTOCOMMIT"


def online_branch(ex: Bindings, test: ast.expr) -> bool | None:
    """True when the body of ``if <test>:`` is what runs in online mode (``not op.get_context().as_sql``), False
    when the ``else`` is (``op.get_context().as_sql``), None for any other test."""
    online = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, online = test.operand, not online
    if isinstance(test, ast.Attribute) and test.attr == "as_sql" and isinstance(test.value, ast.Call) \
            and not test.value.args and not test.value.keywords and isinstance(test.value.func, ast.Attribute) \
            and test.value.func.attr == "get_context" and ex._is_op(test.value.func.value):
        return not online
    return None
