"""``unsafe-sql-interpolation`` and the application's constants a revision imports (held-out-9 #135: faraday's
``PermissionsUnitAction.UPDATE_ACTION``; held-out-7 #118: FitTrackee's ``UserRole.USER.value``).

The fixture pair ``safe_app_constants`` / ``bad_app_constants`` is run by test_rule_fixtures.py; here: what a
user sees of a value that stays unknown, a module reached through a symlink out of the project, and that
the application is read only when a revision formats one of its names.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.extract.models.constants import AppConstants

CASES = FIXTURES / "rules" / "unsafe-sql-interpolation"
RULE = "unsafe-sql-interpolation"


def _lint(project: Path) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", project, "--format", "json", "--select", RULE, "--no-cache", "--fail-on", "warning")
    return run.exit_code, [f for f in run.json()["findings"] if f["rule"] == RULE]


def test_an_unknown_application_value_is_reported_as_before() -> None:
    code, findings = _lint(CASES / "bad_app_constants")
    assert code == 1
    first = min(findings, key=lambda f: int(str(f["line"])))
    assert Path(str(first["path"])).name == "0001_settings.py" and first["line"] == 14
    assert "cannot resolve ({…} marks it): `UPDATE actions SET kind = '{…}'`" in str(first["message"])


def test_a_module_reached_through_a_symlink_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(CASES / "safe_app_constants", project)
    assert _lint(project) == (0, [])
    outside = tmp_path / "outside_roles.py"
    roles = project / "app" / "sub" / "roles.py"
    outside.write_text(roles.read_text(encoding="utf-8"), encoding="utf-8")
    roles.unlink()
    roles.symlink_to(outside)
    code, findings = _lint(project)
    assert code == 1
    # every line that formats a value defined in roles.py (directly, or re-exported by models.py / consts.py)
    assert sorted(f["line"] for f in findings) == [21, 22, 23, 24]


def test_without_env_py_the_application_is_not_placed_and_the_values_stay_unknown(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(CASES / "safe_app_constants", project)
    (project / "migrations" / "env.py").unlink()
    (project / "alembic.ini").unlink()
    code, findings = _lint(project / "migrations" / "versions")
    assert code == 1 and len(findings) == 6


def test_values_are_read_from_the_source_without_importing_it(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("raise SystemExit('imported')\n", encoding="utf-8")
    (tmp_path / "app" / "consts.py").write_text(
        "raise SystemExit('imported')\nA = 'a'\nB = A\nclass C:\n    X = 1\n    X = 2\n", encoding="utf-8")
    constants = AppConstants(tmp_path, None)
    assert constants.value("app.consts", ("A",)) == "a"
    assert constants.value("app", ("consts", "A")) == "a"
    assert constants.value("app.consts", ("B",)) is None  # a name bound to a name: not followed
    assert constants.value("app.consts", ("C", "X")) is None  # bound twice in the class
    assert constants.value("app.missing", ("A",)) is None
    assert constants.value("json", ("dumps",)) is None  # not the project's


def test_a_local_name_formatted_from_application_constants_and_literal_lengths_is_resolved() -> None:
    # held-out-10 #112/#113: mindsdb's new_prefix = f"file_{DEFAULT_COMPANY_ID}_{DEFAULT_USER_ID}_", then
    # '{new_prefix}', {len(old_prefix) + 1} and old_prefix.replace("_", "\\_") formatted into the UPDATE
    assert _lint(CASES / "safe_app_constants_composed") == (0, [])
    whole = run_cli("lint", CASES / "safe_app_constants_composed", "--format", "json", "--no-cache")
    assert not [f for f in whole.json()["findings"] if f["rule"] == "invalid-migration-file"]  # read, not given up
    code, findings = _lint(CASES / "bad_app_constants_composed")
    assert code == 1
    assert [(f["line"], Path(str(f["path"])).name) for f in findings] == [(15, "0001_prefixes.py"),
                                                                          (22, "0001_prefixes.py")]
    assert "`UPDATE file SET file_path = 'file_{…}_{…}_'`" in str(findings[1]["message"])


def _constants(tmp_path: Path, consts: str, **others: str) -> AppConstants:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "consts.py").write_text(consts, encoding="utf-8")
    for name, text in others.items():
        (tmp_path / "app" / f"{name}.py").write_text(text, encoding="utf-8")
    return AppConstants(tmp_path, None)


def test_a_name_its_own_module_binds_again_is_no_constant(tmp_path: Path) -> None:
    """fixR: ``except ... as X`` and ``case X`` rebind a module-level X as surely as ``X = ...`` does."""
    constants = _constants(tmp_path, "A = 'a'\nB = 'b'\nC = 'c'\nD = 'd'\nE = 'e'\n"
                           "try:\n    pass\nexcept Exception as A:\n    pass\n"
                           "match 1:\n    case B:\n        pass\n    case [*C]:\n        pass\n"
                           "    case {**D}:\n        pass\n")
    assert [constants.value("app.consts", (n,)) for n in "ABCDE"] == [None, None, None, None, "e"]


@pytest.mark.parametrize("other", [
    "import app.consts as c\n\ndef f():\n    c.X = 'y'\n",
    "from app import consts\nconsts.X = 'y'\n",
    "import app.consts\n\ndef f():\n    app.consts.X = 'y'\n",
    "from . import consts\n\ndef f():\n    consts.X += 'y'\n",
    "from app import consts\nsetattr(consts, 'X', 'y')\n",
    "def f():\n    from app import consts\n    del consts.X\n",
    "from app.consts import K\nK.Y = 'y'\n",
    # stores the text prefilter must see as such (writes._STORED)
    "import app.consts as c\nc.X, y = 'y', 1\n",
    "import app.consts as c\n[c.X] = ['y']\n",
    "import app.consts as c\nfor c.X in ['y']:\n    pass\n",
    "import app.consts as c\nc.X: str = 'y'\n",
    "import app.consts as c\nwith open('f') as c.X:\n    pass\n",
    "import app.consts as c\ndel c.X\n",
    "import app.consts as c\nc.X=('y')\n",
])
def test_a_name_another_module_sets_is_no_constant(tmp_path: Path, other: str) -> None:
    """fixR: another module of the application assigns the module's attribute: whichever ran first decides."""
    constants = _constants(tmp_path, "X = 'x'\nclass K:\n    Y = 'y'\n", other=other)
    assert constants.value("app.consts", ("K", "Y") if "K.Y" in other else ("X",)) is None


@pytest.mark.parametrize("other", [
    "import app.consts as c\n\nclass O:\n    def __init__(self):\n        self.X = c.X\n",  # reads it
    "from app.consts import X\n\ndef f():\n    X = 'y'\n    return X\n",  # a local name of its own
    "import app.consts as c\n\ndef f(target):\n    target.X = c.X\n    setattr(target, 'X', 'y')\n",
    "import app.other as c\nc.X = 'y'\n",  # another module's X
])
def test_a_name_other_modules_only_read_stays_a_constant(tmp_path: Path, other: str) -> None:
    constants = _constants(tmp_path, "X = 'x'\n", other=other)
    assert constants.value("app.consts", ("X",)) == "x"


def test_a_library_name_the_application_binds_is_followed_also_through_python_2_modules(tmp_path: Path) -> None:
    """held-out-20 #28: assembl's ``from sqlalchemy import Unicode as CoerceUnicode``, in a module Python 3 cannot
    parse (``raise E, msg``): a revision's ``CoerceUnicode(40)`` is SQLAlchemy's Unicode."""
    from migcheck.sources.python2 import python3_tree

    def rescue(text: str) -> ast.Module | None:
        rescued = python3_tree(text)
        return rescued[0] if rescued is not None else None

    py2 = "from sqlalchemy import Unicode as CoerceUnicode\n\ndef f(v):\n    raise ValueError, 'bad %s' % v\n"
    _constants(tmp_path, "from sqlalchemy import String\nString = 1\nfrom .types import CoerceUnicode\n", types=py2)
    assert AppConstants(tmp_path, None).outside_name("app.types", "CoerceUnicode") is None  # not parsed
    constants = AppConstants(tmp_path, None, rescue=rescue)
    assert constants.outside_name("app.types", "CoerceUnicode") == "sqlalchemy.Unicode"
    assert constants.outside_name("app.consts", "CoerceUnicode") == "sqlalchemy.Unicode"  # a re-export
    assert constants.outside_name("app.consts", "String") is None  # bound twice
    assert constants.outside_name("app.types", "f") is None  # the application's own


def test_a_revision_formatting_application_constants_is_walked_whole_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the revision asks which names its module binds once from two places (its application imports and
    its module-level aliases) and which imports are used as column types: one walk of the module between them,
    not one each (issue 13: every revision of a history that formats an application value paid three)."""
    from migcheck.sources.load import load_python
    from migcheck.vocabulary import astwalk

    walks: list[str] = []
    real_walk, real_nodes_of = ast.walk, astwalk.nodes_of

    def walk(node: ast.AST) -> object:
        if isinstance(node, ast.Module):
            walks.append("ast.walk")
        return real_walk(node)

    def nodes_of(tree: ast.AST) -> object:
        if isinstance(tree, ast.Module):
            walks.append("nodes_of")
        assert real_nodes_of is not None
        return real_nodes_of(tree)

    monkeypatch.setattr(ast, "walk", walk)
    monkeypatch.setattr(astwalk, "nodes_of", nodes_of)  # module_nodes, binding_counts' and the import reader's walk
    revision = CASES / "bad_app_constants" / "migrations" / "versions" / "0001_settings.py"
    migration = load_python(revision, "postgresql")
    assert migration is not None and migration.upgrade is not None
    assert len(walks) == 1, walks
    code, findings = _lint(CASES / "bad_app_constants")  # what it reads is unchanged (test above: line 14)
    assert code == 1 and min(int(str(f["line"])) for f in findings) == 14
