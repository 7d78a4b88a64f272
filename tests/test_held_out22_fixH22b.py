"""Held-out-22 (issue #16, precision), helper fixH22b: environments, models and downgrade/idempotence reasoning.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

from pathlib import Path

from conftest import findings_of, run_cli
from conftest import lint_selected as _lint
from conftest import where as _where
from conftest import write_files as _write


def _revision(rev: str, down: str | None, body: str = "pass") -> str:
    return (f'"""r {rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\n'
            f"down_revision = {down!r}\n\n\ndef upgrade():\n    {body}\n\n\ndef downgrade():\n    pass\n")


# --- #101-#104: script locations side by side, each selected by its own ini, env.py lost ---------------------


def _environments(root: Path) -> Path:
    """Two script locations (a template beside versions/, no env.py), each run through its own ini sample."""
    files: dict[str, str] = {}
    for name, revs in (("config", ["c001", "c002"]), ("cdr", ["d001", "d002"])):
        files[f"{name}.ini.sample"] = f"[alembic]\nscript_location = {name}\n"
        files[f"{name}/script.py.mako"] = "${upgrades}\n"
        down = None
        for rev in revs:
            files[f"{name}/versions/{rev}_step.py"] = _revision(rev, down)
            down = rev
    return _write(root, files)


def test_script_locations_without_env_py_are_separate_histories(tmp_path: Path) -> None:
    root = _environments(tmp_path / "db-manage")
    assert _lint(root, "multiple-heads", "duplicate-revision-id") == (0, [])


def test_a_fork_inside_one_of_them_is_still_multiple_heads(tmp_path: Path) -> None:
    root = _environments(tmp_path / "db-manage")
    _write(root, {"cdr/versions/d003_fork.py": _revision("d003", "d001")})
    code, found = _lint(root, "multiple-heads")
    assert code == 1
    assert _where(found) == [("multiple-heads", "d002_step.py", 5), ("multiple-heads", "d003_fork.py", 5)]
    assert all("one of 2 heads" in str(f["message"]) for f in found)


def test_one_script_location_with_two_heads_is_still_a_fork(tmp_path: Path) -> None:
    root = _write(tmp_path / "app", {"migrations/script.py.mako": "${upgrades}\n",
                                     "migrations/versions/a001_start.py": _revision("a001", None),
                                     "migrations/versions/a002_one.py": _revision("a002", "a001"),
                                     "migrations/versions/a003_two.py": _revision("a003", "a001")})
    code, found = _lint(root, "multiple-heads")
    assert code == 1 and _where(found) == [("multiple-heads", "a002_one.py", 5), ("multiple-heads", "a003_two.py", 5)]


# --- #49, #76, #77: steps that leave nothing to undo, or nothing a re-run trips on --------------------------------

_BASE = _revision("b001", None, 'op.create_table("notes", sa.Column("id", sa.Integer(), primary_key=True), '
                                'sa.Column("body", sa.Text(), nullable=True))').replace(
    "def downgrade():\n    pass", 'def downgrade():\n    op.drop_table("notes")')


def _history(root: Path, up: str, down: str = "pass") -> Path:
    second = _revision("b002", "b001", up).replace("def downgrade():\n    pass", f"def downgrade():\n    {down}")
    return _write(root, {"versions/b001_base.py": _BASE, "versions/b002_step.py": second})


_ADD = 'op.add_column("notes", sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), ' \
       'nullable=False){})'


def test_add_column_if_not_exists_left_by_the_downgrade_is_only_an_info(tmp_path: Path) -> None:
    root = _history(tmp_path / "p", _ADD.format(", if_not_exists=True") + '\n    op.add_column("notes", '
                    'sa.Column("title", sa.Text()))', 'op.drop_column("notes", "title")')
    code, found = _lint(root, "downgrade-not-inverse")
    assert code == 1 and _where(found) == [("downgrade-not-inverse", "b002_step.py", 10)]
    assert found[0]["severity"] == "info" and "IF NOT EXISTS" in str(found[0]["message"])
    assert "nothing fails" in str(found[0]["message"])


def test_add_column_without_the_guard_left_by_the_downgrade_is_still_a_warning(tmp_path: Path) -> None:
    root = _history(tmp_path / "p", _ADD.format("") + '\n    op.add_column("notes", sa.Column("title", sa.Text()))',
                    'op.drop_column("notes", "title")')
    code, found = _lint(root, "downgrade-not-inverse")
    assert code == 1 and _where(found) == [("downgrade-not-inverse", "b002_step.py", 10)]
    assert found[0]["severity"] == "warning" and "fails with 'already exists'" in str(found[0]["message"])


def test_add_column_if_not_exists_with_a_default_needs_no_downgrade(tmp_path: Path) -> None:
    root = _history(tmp_path / "p", 'op.execute("ALTER TABLE notes ADD COLUMN IF NOT EXISTS seen TIMESTAMPTZ '
                                    'DEFAULT now()")')
    assert _lint(root, "missing-downgrade") == (0, [])


def test_add_column_if_not_exists_not_null_without_default_still_needs_a_downgrade(tmp_path: Path) -> None:
    root = _history(tmp_path / "p", 'op.execute("ALTER TABLE notes ADD COLUMN IF NOT EXISTS seen INTEGER NOT NULL")')
    code, found = _lint(root, "missing-downgrade")
    assert code == 1 and _where(found) == [("missing-downgrade", "b002_step.py", 13)]


def test_add_column_without_if_not_exists_still_needs_a_downgrade(tmp_path: Path) -> None:
    root = _history(tmp_path / "p", 'op.execute("ALTER TABLE notes ADD COLUMN seen TIMESTAMPTZ DEFAULT now()")')
    code, found = _lint(root, "missing-downgrade")
    assert code == 1 and _where(found) == [("missing-downgrade", "b002_step.py", 13)]


def test_making_an_already_nullable_column_nullable_needs_no_downgrade(tmp_path: Path) -> None:
    root = _history(tmp_path / "p", 'with op.batch_alter_table("notes") as batch_op:\n        batch_op.alter_column('
                    '"body", existing_type=sa.Text(), nullable=True)')
    assert _lint(root, "missing-downgrade") == (0, [])


def test_making_a_not_null_column_nullable_still_needs_a_downgrade(tmp_path: Path) -> None:
    root = _history(tmp_path / "p", 'op.alter_column("notes", "id", existing_type=sa.Integer(), nullable=True)')
    code, found = _lint(root, "missing-downgrade")
    assert code == 1 and _where(found) == [("missing-downgrade", "b002_step.py", 13)]


# --- #111: each environment's revisions are judged against that environment's models -----------------------------

_MODELS = '''
    import enum
    import sqlalchemy as sa
    from sqlalchemy.orm import declarative_base

    Base = declarative_base()
    LIMIT = 5


    class Kind(enum.Enum):
        A = "a"


    class {cls}(Base):
        __tablename__ = "{table}"
        id = sa.Column(sa.Integer, primary_key=True)
        kind = sa.Column(sa.Enum(Kind))
'''

_ENV = "from app.{mod} import Base\n\ntarget_metadata = Base.metadata\n"


def _two_environments(root: Path, imported: str) -> Path:
    used = imported.split(", ")[0]
    body = (f"from app.tenant_models import {imported}\n    op.create_table(\"items\", "
            "sa.Column(\"id\", sa.Integer(), primary_key=True), sa.Column(\"kind\", sa.Enum(Kind)))\n"
            f"    op.get_bind().execute(sa.text(\"SELECT :n\"), {{\"n\": {used}}})")
    tenant = _revision("t001", None, body).replace("def downgrade():\n    pass",
                                                   'def downgrade():\n    op.drop_table("items")')
    core = _revision("c001", None, 'op.create_table("orgs", sa.Column("id", sa.Integer(), primary_key=True), '
                     'sa.Column("kind", sa.Text()))').replace("def downgrade():\n    pass",
                                                              'def downgrade():\n    op.drop_table("orgs")')
    return _write(root, {
        "pyproject.toml": "[project]\nname = \"app\"\n",
        "app/__init__.py": "",
        "app/core_models.py": _MODELS.format(cls="Org", table="orgs"),
        "app/tenant_models.py": _MODELS.format(cls="Item", table="items"),
        "db/core/env.py": _ENV.format(mod="core_models"),
        "db/core/versions/c001_start.py": core,
        "db/tenant/env.py": _ENV.format(mod="tenant_models"),
        "db/tenant/versions/t001_start.py": tenant,
    })


def test_an_enum_and_a_constant_from_the_second_environments_models_are_not_models(tmp_path: Path) -> None:
    root = _two_environments(tmp_path / "proj", "LIMIT, Kind")
    assert _lint(root / "db", "orm-model-import-in-migration") == (0, [])


def test_a_mapped_class_from_the_second_environments_models_is_still_reported(tmp_path: Path) -> None:
    root = _two_environments(tmp_path / "proj", "Item, Kind")
    code, found = _lint(root / "db", "orm-model-import-in-migration")
    assert code == 1 and _where(found) == [("orm-model-import-in-migration", "t001_start.py", 10)]


# --- #90: on MySQL, the DDL after the backfill restates a column and runs again -----------------------------------


def _backfill(root: Path, guard: str) -> Path:
    body = (f'op.add_column("notes", sa.Column("size", sa.BigInteger(), nullable=True){guard})\n'
            '    op.execute("UPDATE notes SET size = 0")\n'
            '    op.alter_column("notes", "size", existing_type=sa.BigInteger(), nullable=False)')
    return _history(root, body, 'op.drop_column("notes", "size")')


def _lint_mysql(path: Path, rule: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--no-config", "--format", "json", "--select", rule, "--dialect", "mysql",
                  "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, findings_of(run, rule)


def test_mysql_backfill_between_a_guarded_add_and_a_modify_is_rerunnable(tmp_path: Path) -> None:
    assert _lint_mysql(_backfill(tmp_path / "p", ", if_not_exists=True"), "mixed-schema-and-data-change") == (0, [])


def test_mysql_backfill_after_a_plain_add_column_is_still_reported(tmp_path: Path) -> None:
    code, found = _lint_mysql(_backfill(tmp_path / "p", ""), "mixed-schema-and-data-change")
    assert code == 1 and _where(found) == [("mixed-schema-and-data-change", "b002_step.py", 11)]
    assert "re-running the revision fails on the DDL already applied" in str(found[0]["message"])


# --- #79: on MySQL, a MODIFY to an ENUM that keeps every label and appends one ------------------------------------

_ENUM_BASE = _revision("e001", None, 'op.create_table("files", sa.Column("id", sa.Integer(), primary_key=True), '
                                     'sa.Column("category", sa.Enum("GAME", "DLC", name="category"), nullable=True))'
                       ).replace("def downgrade():\n    pass", 'def downgrade():\n    op.drop_table("files")')


def _enum_step(root: Path, labels: str, extra: str = "") -> Path:
    step = _revision("e002", "e001", f'op.alter_column("files", "category", type_=sa.Enum({labels}, '
                                     f'name="category"), nullable=True{extra})')
    return _write(root, {"versions/e001_base.py": _ENUM_BASE, "versions/e002_step.py": step})


def test_mysql_enum_that_appends_a_label_needs_no_downgrade(tmp_path: Path) -> None:
    root = _enum_step(tmp_path / "p", '"GAME", "DLC", "CHEAT"')
    assert _lint_mysql(root, "missing-downgrade") == (0, [])


def test_mysql_enum_that_drops_a_label_still_needs_a_downgrade(tmp_path: Path) -> None:
    root = _enum_step(tmp_path / "p", '"GAME", "CHEAT"')
    code, found = _lint_mysql(root, "missing-downgrade")
    assert code == 1 and _where(found) == [("missing-downgrade", "e002_step.py", 13)]


# --- #143, #144: a table mapped on another declarative base is not in env.py's target_metadata --------------------

_TENANT_BASE = '''
    import typing as t
    from sqlalchemy.orm import declarative_base


    class Helpers:
        """Query helpers both bases share."""


    Base = t.cast(t.Any, declarative_base(cls=Helpers))
'''

_TENANT_INIT = "from .base import Base, Helpers\nfrom .chat import Chat\n"
_TENANT_CHAT = '''
    import sqlalchemy as sa
    from app.tenant.base import Base


    class Chat(Base):
        __tablename__ = "chats"
        id = sa.Column(sa.Integer, primary_key=True)
'''
_PUBLIC_BASE = '''
    import typing as t
    from sqlalchemy import MetaData
    from sqlalchemy.orm import declarative_base
    from app.tenant import Helpers

    Base = t.cast(t.Any, declarative_base(cls=Helpers, metadata=MetaData()))
'''
_PUBLIC_INIT = "from .base import Base\nfrom .user import User\n"
_PUBLIC_USER = '''
    import sqlalchemy as sa
    from app.public.base import Base


    class User(Base):
        __tablename__ = "users"
        id = sa.Column(sa.Integer, primary_key=True)
'''


def _public_lineage(root: Path, dropped: str) -> Path:
    start = _revision("p001", None, 'op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True))\n'
                      '    op.create_table("chats", sa.Column("id", sa.Integer(), primary_key=True))'
                      ).replace("def downgrade():\n    pass", 'def downgrade():\n    op.drop_table("users")')
    drop = _revision("p002", "p001", f'op.drop_table("{dropped}")')
    return _write(root, {
        "pyproject.toml": "[project]\nname = \"app\"\n",
        "app/__init__.py": "",
        "app/tenant/__init__.py": _TENANT_INIT, "app/tenant/base.py": _TENANT_BASE, "app/tenant/chat.py": _TENANT_CHAT,
        "app/public/__init__.py": _PUBLIC_INIT, "app/public/base.py": _PUBLIC_BASE, "app/public/user.py": _PUBLIC_USER,
        "migrations/env.py": "from app.public import Base\n\ntarget_metadata = Base.metadata\n",
        "migrations/versions/p001_start.py": start,
        "migrations/versions/p002_drop.py": drop,
    })


def test_a_table_mapped_on_another_base_is_not_still_mapped(tmp_path: Path) -> None:
    root = _public_lineage(tmp_path / "proj", "chats")
    assert _lint(root / "migrations", "still-mapped-at-head") == (0, [])


def test_a_table_mapped_on_the_target_base_is_still_mapped(tmp_path: Path) -> None:
    root = _public_lineage(tmp_path / "proj", "users")
    code, found = _lint(root / "migrations", "still-mapped-at-head")
    assert code == 1 and _where(found) == [("still-mapped-at-head", "p002_drop.py", 10)]
    assert "User at " in str(found[0]["message"])
