"""attack27e: imported helpers (imphelp27) read quieter than the note they replace. Each helper below runs a step
the walker cannot see (a function the revision hands it, a name the module binds by assignment or rebinds through
``globals()``, a default argument, a subscript, a class of the module, a decorated function, ``match``); on imphelp27 each call had no finding at all, where before it was
a ``raw-sql-not-understood`` note at the call. Now the note stays, at the call's line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from migcheck.extract.models.constants import AppConstants
from migcheck.extract.python.imported import ImportedHelpers
from migcheck.sources.load import load_python
from test_imported_helpers import NOTE, _at, _lint, _project, _rules

HEAD = "from alembic import op\nimport sqlalchemy as sa\n"

CASES = {
    # the revision hands a function of its own, the helper calls it
    "handed_function": ("def _drop():\n    op.drop_table('users')\napply(_drop)", "apply(",
                        "from app.x import apply", "def apply(fn):\n    fn()\n"),
    # the def read is not what runs: the module rebinds the name at import
    "globals_rebind": ("drop_col('users', 'email')", "drop_col(", "from app.x import drop_col",
                       "def drop_col(t, c):\n    pass\n\n\ndef _real(t, c):\n    op.drop_table(t)\n\n\n"
                       "globals()['drop_col'] = _real\n"),
    "module_dict": ("wipe('users')", "wipe(", "from app.x import wipe",
                    "ACTIONS = {'drop': op.drop_table}\n\n\ndef wipe(t):\n    ACTIONS['drop'](t)\n"),
    "module_alias": ("wipe('users')", "wipe(", "from app.x import wipe",
                     "DROP = op.drop_table\n\n\ndef wipe(t):\n    DROP(t)\n"),
    "default_argument": ("wipe('users')", "wipe(", "from app.x import wipe",
                         "def wipe(t, run=op.drop_table):\n    run(t)\n"),
    # a session of the module's own sessionmaker: its query's delete() runs SQL
    "module_session": ("wipe()", "wipe(", "from app.x import wipe",
                       "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker()\n\n\ndef wipe():\n"
                       "    s = Session()\n    s.query(sa.table('users')).delete()\n    s.commit()\n"),
    # the module's classes: their methods, __enter__ and __init__ are not walked
    "instance_method": ("wipe('users')", "wipe(", "from app.x import wipe",
                        "class Tools:\n    def drop(self, t):\n        op.drop_table(t)\n\n\n"
                        "def wipe(t):\n    Tools().drop(t)\n"),
    "module_object": ("wipe('users')", "wipe(", "from app.x import wipe",
                      "class Tools:\n    def drop(self, t):\n        op.drop_table(t)\n\n\nTOOLS = Tools()\n\n\n"
                      "def wipe(t):\n    TOOLS.drop(t)\n"),
    "context_manager": ("wipe('users')", "wipe(", "from app.x import wipe",
                        "class Wiping:\n    def __enter__(self):\n        op.drop_table('users')\n\n"
                        "    def __exit__(self, *exc):\n        pass\n\n\ndef wipe(t):\n    with Wiping():\n"
                        "        pass\n"),
    # a decorated same-module helper: the decorator's wrapper runs instead
    "decorated_inner": ("wipe('users')", "wipe(", "from app.x import wipe",
                        "def dropping(fn):\n    def wrapper(*a):\n        op.drop_table('users')\n    return wrapper\n"
                        "\n\n@dropping\ndef _noop(t):\n    pass\n\n\ndef wipe(t):\n    _noop(t)\n"),
    # ``match`` is not walked: its cases' steps were lost
    "match": ("wipe('users')", "wipe(", "from app.x import wipe",
              "def wipe(t):\n    match t:\n        case _:\n            op.drop_table(t)\n"),
    # through a same-module helper the followed one calls
    "inner_helper": ("wipe('users')", "wipe(", "from app.x import wipe",
                     "DROP = op.drop_table\n\n\ndef _inner(t):\n    DROP(t)\n\n\ndef wipe(t):\n    _inner(t)\n"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_helper_running_what_the_walker_cannot_see_keeps_the_note(tmp_path: Path, case: str) -> None:
    body, call, imports, module = CASES[case]
    project = _project(tmp_path, body, imports, {"app/x.py": HEAD + module})
    findings = _lint(project, "--no-cache")
    assert _rules(findings) == [(NOTE, _at(project, call))]
    assert "migcheck does not read imported code" in findings[-1][2]


def test_getattr_on_op_and_literal_defaults_are_still_followed(tmp_path: Path) -> None:
    """What the walker reads stays followed: ``getattr(op, name)(...)`` and a tuple default."""
    project = _project(tmp_path, "wipe('drop_table', 'users')", "from app.x import wipe",
                       {"app/x.py": HEAD + "def wipe(how, t, cols=('a',)):\n    getattr(op, how)(t)\n"})
    assert _rules(_lint(project, "--no-cache")) == [("drop-table", _at(project, "wipe("))]


def test_helpers_of_many_modules_share_one_walk_budget(tmp_path: Path) -> None:
    """Each helper module had a budget of its own per revision: a one-line call of each of ten modules' helpers,
    each spending a budget (a loop of 2,500 passes over a 200-statement helper), cost ten budgets' time (14 s for
    one revision, and again for every revision doing it). Now the helpers a revision calls share one: reading
    stops once, at the first call that spends it (one error, where there was one per module), and each helper's
    own steps are still read."""
    passes = "[" + ", ".join(repr(str(k)) for k in range(50)) + "]"
    inner = "def inner(t):\n" + "".join(f"    x{i} = t + '{i}'\n" for i in range(200))
    heavy = (HEAD + inner + f"\n\ndef heavy(t):\n    for i in {passes}:\n        for j in {passes}:\n"
             "            inner(t + i + j)\n    op.drop_column(t, 'email')\n")
    modules = {f"app/m{m}.py": heavy for m in range(3)}
    imports = "\n".join(f"from app.m{m} import heavy as heavy{m}" for m in range(3))
    project = _project(tmp_path, "\n".join(f"heavy{m}('users')" for m in range(3)), imports, modules)
    findings = _rules(_lint(project, "--no-cache"))
    assert [line for rule, line in findings if rule == "invalid-migration-file"] == [_at(project, "heavy0(")]
    assert [line for rule, line in findings if rule == "drop-column"] == [_at(project, f"heavy{m}(") for m in range(3)]


class _CountedBody(list[ast.stmt]):
    """A module's statements that count how often anything reads them through (``for``, ``ast.walk``)."""

    reads = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        _CountedBody.reads += 1
        return super().__iter__()


def _reads_of_helper_module(root: Path, helpers: int, calls: int) -> int:
    """How often following ``calls`` calls of ``helpers`` helpers of one module (each a ``drop_column``) reads the
    module's statements, in one run; every call is read as its helper's step."""
    module = HEAD + "".join(f"\n\ndef drop{i}(t):\n    op.drop_column(t, 'c{i}')\n" for i in range(helpers))
    names = ", ".join(f"drop{i}" for i in range(helpers))
    body = "\n".join(f"drop{k % helpers}('users')" for k in range(calls))
    project = _project(root, body, f"from app.x import {names}", {"app/x.py": module})
    constants = AppConstants(project, "migrations/env.py")
    found = constants.helper("app.x", "drop0")  # the project's reader parses the module once per run
    assert found is not None
    tree = found[1]
    tree.body = _CountedBody(tree.body)
    _CountedBody.reads = 0
    migration = load_python(project / "migrations" / "versions" / "b1_change.py", "postgresql")
    assert migration is not None
    ImportedHelpers(constants, "postgresql").expand(migration)
    assert [(type(c).__name__, c.via) for c in migration.upgrade_changes] \
        == [("DropColumn", ("app.x", f"drop{k % helpers}")) for k in range(calls)]
    return _CountedBody.reads


def test_a_helper_module_is_walked_once_per_run_however_often_its_helpers_are_called(tmp_path: Path) -> None:
    """Whether a helper is unreadable (a star import, ``globals()``, names bound by assignment, classes: _opaque)
    was decided by walking its whole module at each call (attack27e), and then once per helper: a module of many
    helpers, each called, was walked once per helper. Counted, not timed: forty calls of one helper, and one call
    of each of forty helpers, read the module's statements as often as a single call."""
    once = _reads_of_helper_module(tmp_path / "once", 1, 1)
    assert _reads_of_helper_module(tmp_path / "calls", 1, 40) == once
    assert _reads_of_helper_module(tmp_path / "helpers", 40, 40) == once
