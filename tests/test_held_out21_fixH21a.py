"""Held-out-21 (issue #16, precision), helper fixH21a: ``models-not-readable`` where the models are readable
(#88-#92).

The rule-level cases are fixtures (models-not-readable ``*flask_migrate*``, ``*workspace*``,
``*type_parameters*`` / ``*does_not_parse``, ``*class_body*``; model-differs-from-migrations
``*decorator_named_by_its_module_path``). The Flask-Migrate layout only shows outside this repository (the
repository's own pyproject.toml is a project root above every fixture), so it is linted from a copy; the rest
pins the pieces: which folder is the project, which folders are local packages, what PEP 695 text reads as.
"""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest

from conftest import hang_guard
from conftest import lint_selected as _lint
from conftest import write_files as _write
from migcheck.extract.models import read_application
from migcheck.extract.models.files import WorkingTree
from migcheck.extract.models.resolve import local_packages, module_roots
from migcheck.extract.models.typeparams import parse_module, without_type_params
from migcheck.run.appview import project_root
from migcheck.vocabulary.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
NOT_READABLE = FIXTURES / "models-not-readable"


# --- #88: alembic.ini beside env.py (Flask-Migrate) ------------------------------------------------------


def test_flask_migrate_layout_reads_the_models_above_the_migrations_folder(tmp_path: Path) -> None:
    """okpy: ``migrations/alembic.ini`` beside env.py, ``from server import models`` above it. The project is the
    folder holding migrations/, so the module-level MetaData handed to ``SQLAlchemy(metadata=...)`` is followed."""
    case = shutil.copytree(NOT_READABLE / "safe_flask_migrate_ini_beside_env", tmp_path / "okish")
    assert _lint(case, "models-not-readable") == (0, [])
    models = case / "web" / "models.py"  # the models are really read: a drift in them is seen
    models.write_text(models.read_text().replace("handle = db.Column(db.String(64), nullable=False)",
                                                 "handle = db.Column(db.String(64), nullable=True)"))
    code, found = _lint(case, "models-not-readable", "model-differs-from-migrations")
    assert code == 1
    assert [(f["rule"], Path(str(f["path"])).name, f["line"]) for f in found] == [
        ("model-differs-from-migrations", "models.py", 12)]


def test_flask_migrate_layout_with_metadata_from_the_running_app_is_still_noted(tmp_path: Path) -> None:
    case = shutil.copytree(NOT_READABLE / "bad_flask_migrate_metadata_from_the_running_app", tmp_path / "okish")
    code, found = _lint(case, "models-not-readable")
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [("env.py", 5)]
    assert "could not follow env.py's target_metadata" in str(found[0]["message"])


def test_project_root_is_the_folder_holding_a_script_folder_with_its_own_alembic_ini(tmp_path: Path) -> None:
    _write(tmp_path, {"proj/migrations/alembic.ini": "[alembic]\n", "proj/migrations/env.py": "",
                      "other/alembic.ini": "[alembic]\nscript_location = db\n", "other/db/env.py": "",
                      "repo/alembic.ini": "[alembic]\n", "repo/env.py": "", "repo/.git/HEAD": "ref: main\n"})
    settings = Settings()
    assert project_root(tmp_path / "proj" / "migrations" / "env.py", settings) == (tmp_path / "proj").resolve()
    # alembic.ini above the script folder: that folder, as before
    assert project_root(tmp_path / "other" / "db" / "env.py", settings) == (tmp_path / "other").resolve()
    # never above a repository's root
    assert project_root(tmp_path / "repo" / "env.py", settings) == (tmp_path / "repo").resolve()


# --- #89, #90: a workspace member's mixin ----------------------------------------------------------------


def test_local_packages_of_a_uv_workspace_and_path_dependencies(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pyproject.toml": """\
            [tool.uv.workspace]
            members = ["libs/*", "tools/cli"]
            exclude = ["libs/old"]

            [tool.uv.sources]
            vendored = { path = "vendor/vendored", editable = true }
            outside = { path = "libs/../../elsewhere" }
            remote = { git = "https://example.invalid/x.git" }

            [tool.poetry.group.dev.dependencies]
            helpers = { path = "dev/helpers", develop = true }
            """,
        "libs/a/pyproject.toml": "", "libs/a/src/corp/a.py": "",
        "libs/b/setup.py": "", "libs/b/corp_b/__init__.py": "",
        "libs/old/pyproject.toml": "", "libs/old/old.py": "",
        "libs/notes/readme.py": "",  # no package file: not a member
        "tools/cli/pyproject.toml": "[tool.setuptools.package-dir]\n'' = 'lib'\n", "tools/cli/lib/cli.py": "",
        "vendor/vendored/vendored.py": "", "dev/helpers/helpers.py": "",
    })
    files = WorkingTree(tmp_path)
    assert local_packages(files) == ["libs/a", "libs/b", "tools/cli", "vendor/vendored", "dev/helpers"]
    roots = module_roots(files, "migrations/env.py")
    assert roots[:2] == ["", "libs/a"]
    assert {"libs/a/src", "libs/b", "tools/cli/lib", "vendor/vendored", "dev/helpers"} <= set(roots)
    assert not any(r.startswith(("libs/old", "..")) for r in roots)


def test_a_mixin_of_a_workspace_member_adds_no_unknown_columns() -> None:
    app = read_application(NOT_READABLE / "safe_workspace_member_mixin", "migrations/env.py")
    assert app is not None and app.notes == []
    assert app.tables["books"].complete and sorted(app.tables["books"].columns) == ["id", "title"]


# --- #89, #90, #92: PEP 695 type parameters --------------------------------------------------------------

GENERIC = '''\
type Key = str
type Pair[K, V] = tuple[K, V]


class Box[T](Base):  # a comment
    def get[U: (int, str) = int](self, default: U) -> T | U: ...


def first[
    T,  # one per line
    **P,
](
    items: list[T],
) -> T:
    type = "a plain name"
    return items[0]


async def gather[*Ts](): pass
print(type(Key))
'''


def test_type_parameters_are_left_out_on_the_same_lines() -> None:
    rewritten = without_type_params(GENERIC)
    assert rewritten is not None
    assert rewritten.splitlines()[:6] == [
        "Key = str", "Pair       = tuple[K, V]", "", "", "class Box   (Base):  # a comment",
        "    def get                     (self, default: U) -> T | U: ..."]
    tree = parse_module(GENERIC)
    lines = {node.name: node.lineno for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    assert lines == {"Box": 5, "get": 6, "first": 9, "gather": 19}
    first = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "first")
    assert first.args.args[0].lineno == 13 and first.body[0].lineno == 15  # every later line keeps its number
    # below 3.12 the aliases are read as assignments; 3.12+ parses them itself (ast.TypeAlias)
    aliases = [(n.targets[0] if isinstance(n, ast.Assign) else n.name, n.lineno) for n in tree.body
               if isinstance(n, ast.Assign) or type(n).__name__ == "TypeAlias"]
    assert [(ast.unparse(name), line) for name, line in aliases] == [("Key", 1), ("Pair", 2)]


def test_text_without_type_parameters_is_not_rewritten_and_errors_stay_errors() -> None:
    assert without_type_params("x = type(1)\nclass A(B): pass\n") is None
    with pytest.raises(SyntaxError) as raised:  # this Python's own error, as it reads the text
        parse_module("def f[T](x: T) -> T:\n    return x +\n")
    assert raised.value.lineno == (2 if sys.version_info >= (3, 12) else 1)
    with pytest.raises(SyntaxError):
        parse_module("class A:\n  x = '''\n")  # cannot even be tokenized


def test_nested_type_parameter_lists_are_scanned_once() -> None:
    """A stranger's module of 20,000 nested ``def a[`` / ``type a[`` lines: each bracket is scanned once (one scan
    per candidate to its closing bracket took minutes), and the text, which no Python reads, stays an error (3.13's
    own parser overflows its stack on it first: MemoryError, which every caller reads as unreadable too)."""
    for opener in ("def a[\n", "type a[\n", "class a[\n"):
        text = opener * 20_000 + "]" * 20_000 + "\n"
        with hang_guard(20, f"the type-parameter scan went quadratic on {opener!r}"), \
                pytest.raises((SyntaxError, MemoryError)):
            parse_module(text)


def test_a_mixin_with_type_parameters_is_read() -> None:
    app = read_application(NOT_READABLE / "safe_mixin_with_type_parameters", "migrations/env.py")
    assert app is not None and app.notes == []
    assert app.tables["genres"].complete and app.tables["sources"].complete


# --- #91, #92: class-body loops that fill a dict or set --------------------------------------------------


def test_class_body_loops_over_plain_values_leave_the_columns_known() -> None:
    app = read_application(NOT_READABLE / "safe_class_body_loop_fills_a_dict", "migrations/env.py")
    assert app is not None and app.notes == []
    assert sorted(app.tables["editions"].columns) == ["id", "medium"]
    assert app.tables["editions"].complete and app.tables["mechanisms"].complete


def test_class_bodies_that_may_make_columns_stay_incomplete() -> None:
    app = read_application(NOT_READABLE / "bad_class_body_makes_columns_in_a_block", "migrations/env.py")
    assert app is not None
    assert {name: table.complete for name, table in app.tables.items()} == {
        "reports": False, "grids": False, "shelves": False, "typed": False, "hinted": False}


# --- what the drift rule compares once okpy's models are read --------------------------------------------


def test_a_decorator_named_by_its_module_path_is_the_type_it_stores() -> None:
    rule = "model-differs-from-migrations"
    assert _lint(FIXTURES / rule / "safe_decorator_named_by_its_module_path", rule) == (0, [])
    code, found = _lint(FIXTURES / rule / "bad_decorator_named_by_its_module_path", rule)
    assert code == 1 and [(Path(str(f["path"])).name, f["line"]) for f in found] == [("models.py", 26)]
    assert "mapped as Integer" in str(found[0]["message"])
