"""A bare name nothing binds ends a function like ``raise`` (extract/python/refuses.py; held-out-20 #44)."""

from __future__ import annotations

import ast
from collections.abc import Callable

import pytest

from migcheck.extract.python.nodes import binding_counts
from migcheck.extract.python.refuses import refuses


def _body(source: str) -> tuple[list[ast.stmt], Callable[[], frozenset[str]]]:
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade")
    return fn.body, lambda: frozenset(binding_counts(tree))


@pytest.mark.parametrize("source", [
    "def downgrade():\n    fail\n    op.drop_column('t', 'c')\n",
    "def downgrade():\n    '''no way back'''\n    pass\n    not_written_yet\n",
    "def downgrade():\n    raise CannotGoBack()\n",
])
def test_refusals(source: str) -> None:
    assert refuses(*_body(source))


@pytest.mark.parametrize("source", [
    # bound somewhere in the module, a parameter, a builtin, a Python 2 builtin: the statement does nothing
    "flag = 1\ndef downgrade():\n    flag\n",
    "def downgrade(fail):\n    fail\n",
    "def downgrade():\n    Ellipsis\n",
    "def downgrade():\n    unicode\n",
    "import fail\ndef downgrade():\n    fail\n",
    "def downgrade():\n    for fail in []: pass\n    fail\n",
    # a star import may bind any name
    "from helpers import *\ndef downgrade():\n    fail\n",
    # something runs before the name
    "def downgrade():\n    op.drop_column('t', 'c')\n    fail\n",
])
def test_not_refusals(source: str) -> None:
    assert not refuses(*_body(source))
