"""--check-models compares what env.py tells autogenerate to compare, as ``alembic check`` does."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conftest import FIXTURES, findings_of, run_cli
from migcheck.sources.envinfo import read_env

REVISION = '''from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("widgets", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("size", sa.Integer, server_default="1"))
    op.create_table("audit_log", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("audit_log")
    op.drop_table("widgets")
'''

#: size is BigInteger (a type change) with another server default; audit_log is not in the models.
MODELS = '''import sqlalchemy as sa
metadata = sa.MetaData()
widgets = sa.Table("widgets", metadata, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("size", sa.BigInteger, server_default="2"))
'''

ENV = '''from alembic import context

{functions}

context.configure(connection=None, target_metadata=None{options})
'''


def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: str = "", functions: str = "") -> tuple[Path, str]:
    """An alembic project in ``tmp_path`` whose env.py passes ``options`` to configure(); its models module."""
    (tmp_path / "alembic.ini").write_text((FIXTURES / "verify" / "drift" / "alembic.ini").read_text())
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "0001_widgets.py").write_text(REVISION)
    (tmp_path / "migrations" / "env.py").write_text(ENV.format(options=options, functions=functions))
    module = f"models_{secrets.token_hex(4)}"  # run_cli is in-process: a fresh module name each test
    (tmp_path / f"{module}.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "alembic.ini", f"{module}:metadata"


def drift(ini: Path, models: str, url: str) -> tuple[set[str], list[str]]:
    run = run_cli("verify", ini, "--db-url", url, "--check-models", models, "-f", "json")
    assert run.exit_code == 0, run.stderr
    return {f["message"] for f in findings_of(run, "model-drift")}, run.json()["verify"]["notes"]


TYPE = "column widgets.size: type is INTEGER in the database, BIGINT in the models"
DEFAULT = "column widgets.size: server default is 1 in the database, 2 in the models"
AUDIT = "table audit_log is in the database but not in the models after upgrading to the heads"


def test_alembic_defaults_without_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_service_url: str
) -> None:
    ini, models = project(tmp_path, monkeypatch)
    found, _ = drift(ini, models, postgres_service_url)
    assert found == {TYPE, AUDIT}  # compare_type on, compare_server_default off: Alembic's defaults


def test_compare_type_false_and_server_default_true(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_service_url: str
) -> None:
    ini, models = project(tmp_path, monkeypatch, ", compare_type=False, compare_server_default=True")
    found, _ = drift(ini, models, postgres_service_url)
    assert found == {DEFAULT, AUDIT}


def test_include_object_that_filters_by_name_and_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_service_url: str
) -> None:
    functions = (
        "def include_object(object, name: str, type_, reflected, compare_to) -> bool:\n"
        '    """Leave the audit tables to the audit service."""\n'
        '    if type_ == "table" and name.startswith("audit_"):\n'
        "        return False\n"
        "    return True\n"
    )
    ini, models = project(tmp_path, monkeypatch, ", include_object=include_object", functions)
    found, notes = drift(ini, models, postgres_service_url)
    assert found == {TYPE}
    assert not [n for n in notes if "include_object" in n]


def test_include_object_that_is_not_a_simple_filter_is_named_in_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_service_url: str
) -> None:
    functions = (
        "IGNORED = {'audit_log'}\n\n"
        "def keep(object, name, type_, reflected, compare_to):\n"
        "    return name not in IGNORED\n"
    )
    ini, models = project(tmp_path, monkeypatch, ", include_object=keep", functions)
    found, notes = drift(ini, models, postgres_service_url)
    assert found == {TYPE, AUDIT}  # not applied: every object compared
    assert (
        "env.py's include_object (keep) is not a simple name/type filter migcheck can read without running "
        "env.py: --check-models did not apply it"
    ) in notes


def test_include_schemas_compares_every_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_service_url: str
) -> None:
    ini, models = project(tmp_path, monkeypatch, ", include_schemas=True")
    revision = tmp_path / "migrations" / "versions" / "0001_widgets.py"
    revision.write_text(
        REVISION.replace('def upgrade():\n', 'def upgrade():\n    op.execute("CREATE SCHEMA reporting")\n'
                         '    op.create_table("daily", sa.Column("id", sa.Integer, primary_key=True), '
                         'schema="reporting")\n')
        .replace('def downgrade():\n', 'def downgrade():\n    op.execute("DROP SCHEMA reporting CASCADE")\n')
    )
    found, _ = drift(ini, models, postgres_service_url)
    assert found == {TYPE, AUDIT, "table daily is in the database but not in the models after upgrading to the heads"}


def test_the_online_configure_call_decides(tmp_path: Path) -> None:
    env = tmp_path / "env.py"
    env.write_text(
        "from alembic import context\n"
        "def offline():\n    context.configure(url='x', compare_type=True)\n"
        "def online(connection):\n    context.configure(connection=connection, compare_type=False)\n"
    )
    assert read_env(env).compare.compare_type is False


@pytest.mark.parametrize("body", [
    "    return __import__('os').system('true') == 0",
    "    return name.__class__ is str",
    "    return [x for x in ()] == []",
    "    open('/tmp/x', 'w')\n    return True",
])
def test_include_object_that_does_more_than_filter_is_never_run(tmp_path: Path, body: str) -> None:
    env = tmp_path / "env.py"
    env.write_text(
        "from alembic import context\n"
        f"def include_object(object, name, type_, reflected, compare_to):\n{body}\n"
        "context.configure(connection=None, include_object=include_object)\n"
    )
    compare = read_env(env).compare
    assert compare.include_object is None
    assert [n for n in compare.notes if "include_object (include_object) is not a simple" in n]
