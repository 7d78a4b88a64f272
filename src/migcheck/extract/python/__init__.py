"""``upgrade()`` / ``downgrade()`` bodies to Change IR, from the Python AST.

Nothing is imported or executed. The walker follows what real revisions do:
``with op.batch_alter_table(...) as batch_op``, ``autocommit_block()``,
module-level constants and local string variables, loops over literal lists
of table names, helper functions of the same module, dialect checks
(``if op.get_bind().dialect.name == "postgresql"``), and data access through
``op.get_bind()`` / ``connection.execute`` / ORM sessions. SQL strings are
handed to the sqlglot front end, so one set of rules serves both.

The parts, each importing only those below it:

- ``walk``: the statement walker, ``PythonExtractor``, which joins the parts below, in layers: ``blocks`` (loops,
  ``with`` items) over ``calls`` (calls, inlined helpers, budgets) over ``bindings`` (local names);
- ``ops``: ``op.*`` and ``batch_op.*`` calls;
- ``columns``: ``sa.Column(...)``, types, ``ForeignKey``, ``index=``/``unique=``, enum types;
- ``strings``: SQL built in Python (``execute``, ``text``, ``format``, ``%``, f-strings);
- ``data``: the connection, sessions and Core DML;
- ``imports``: calls into imported code migcheck does not read;
- ``evaluate``: the evaluator of constant expressions; ``scope``: what is known at one point; ``constants``: the
  module's own constants; ``dialecttests``: the tests that pick a branch; ``nodes``: small helpers over AST nodes.
"""

from __future__ import annotations

from migcheck.extract.python.walk import PythonExtractor

__all__ = ["PythonExtractor"]
