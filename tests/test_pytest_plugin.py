"""The pytest plugin, run the way a project's test suite runs it (pytester: a real pytest run).

The project under test is written here: a three-revision history whose second revision builds
an index without CONCURRENTLY (a lint error) and whose third has a downgrade that does nothing
(a verify failure that lint only warns about), plus a data-migration test using the fixtures.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

# Each inner pytest runs in its own process: pytester's in-process mode restores sys.modules after
# a run, and SQLAlchemy modules imported by an inner verify would be imported a second time later.
pytest_plugins = ["pytester"]

REVISIONS = {
    "a1_orders.py": '''
        """orders"""
        from alembic import op
        import sqlalchemy as sa

        revision = "a1"
        down_revision = None


        def upgrade():
            op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("status", sa.String(20)))


        def downgrade():
            op.drop_table("orders")
        ''',
    "b2_index.py": '''
        """index orders.status"""
        from alembic import op

        revision = "b2"
        down_revision = "a1"


        def upgrade():
            op.create_index("ix_orders_status", "orders", ["status"])


        def downgrade():
            op.drop_index("ix_orders_status", table_name="orders")
        ''',
    "c3_backfill.py": '''
        """status upper case, and a note column"""
        from alembic import op
        import sqlalchemy as sa

        revision = "c3"
        down_revision = "b2"


        def upgrade():
            op.add_column("orders", sa.Column("note", sa.Text()))
            op.execute("UPDATE orders SET status = upper(status)")  # migcheck: ignore[unbatched-backfill] -- tiny


        def downgrade():
            pass  # forgot to drop the column
        ''',
}

DATA_TEST = '''
    from sqlalchemy import text


    def test_c3_uppercases_status(migcheck_database, migcheck_migrate):
        migcheck_migrate.upgrade("b2")
        assert migcheck_migrate.current() == ("b2",)
        engine = migcheck_database.engine()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO orders (id, status) VALUES (1, 'paid'), (2, 'new')"))
        migcheck_migrate.upgrade("c3")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status FROM orders ORDER BY id")).scalars().all()
        assert rows == ["PAID", "NEW"]
        migcheck_migrate.downgrade("base")
        assert migcheck_migrate.current() == ()
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    versions = pytester.path / "migrations" / "versions"
    versions.mkdir(parents=True)
    for name, body in REVISIONS.items():
        (versions / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    pytester.makepyprojecttoml(textwrap.dedent('''
        [tool.migcheck]
        paths = ["migrations/versions"]
        '''))
    pytester.makepyfile(test_data=textwrap.dedent(DATA_TEST))
    return pytester


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    """nodeid -> outcome, from the -rA summary lines."""
    out = {}
    for line in result.outlines:
        for word in ("PASSED", "FAILED", "SKIPPED", "ERROR"):
            if line.startswith(word + " "):
                out[line.split()[1]] = word
    return out


def test_lint_items_one_per_revision_with_migchecks_message(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--migcheck", "-k", "lint", "-rA", "-p", "no:cacheprovider")
    outcomes = _outcomes(result)
    assert outcomes["migcheck::test_migcheck[lint:b2]"] == "FAILED"
    assert outcomes["migcheck::test_migcheck[lint:a1]"] == "PASSED"
    # c3's missing downgrade is a warning: below fail-on, the item passes; its backfill is suppressed.
    assert outcomes["migcheck::test_migcheck[lint:c3]"] == "PASSED"
    assert outcomes["migcheck::test_migcheck[lint:project]"] == "PASSED"
    result.stdout.fnmatch_lines([
        "*migrations/versions/b2_index.py:9  create-index-not-concurrently  error: index ix_orders_status*",
        "*fix: with op.get_context().autocommit_block():*",
    ])
    result.assert_outcomes(passed=3, failed=1, deselected=1)


def test_the_projects_config_decides_what_fails(project: pytest.Pytester) -> None:
    project.makepyprojecttoml(textwrap.dedent('''
        [tool.migcheck]
        paths = ["migrations/versions"]
        fail-on = "warning"
        ignore = ["create-index-not-concurrently", "missing-lock-timeout", "mixed-schema-and-data-change"]
        [tool.pytest.ini_options]
        migcheck = true
        '''))
    result = project.runpytest_subprocess("-k", "lint", "-rA", "-p", "no:cacheprovider")
    outcomes = _outcomes(result)
    assert outcomes["migcheck::test_migcheck[lint:b2]"] == "PASSED"
    assert outcomes["migcheck::test_migcheck[lint:c3]"] == "FAILED"
    result.stdout.fnmatch_lines(["*c3_backfill.py:*  missing-downgrade  warning:*"])


def test_without_the_flag_nothing_is_collected(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK  # the project's own test was collected, the plugin loaded
    assert "test_data.py::test_c3_uppercases_status" in result.stdout.str()
    assert "test_migcheck" not in result.stdout.str()
    assert "--migcheck" in project.runpytest_subprocess("--help").stdout.str()


def test_verify_items_report_each_failure_and_run_the_rest(
    project: pytest.Pytester, postgres_service_url: str
) -> None:
    result = project.runpytest_subprocess("--migcheck-verify", "--migcheck-db-url", postgres_service_url, "-k", "verify",
                               "-rA", "-p", "no:cacheprovider")
    outcomes = _outcomes(result)
    assert outcomes["migcheck::test_migcheck[verify:a1]"] == "PASSED"
    assert outcomes["migcheck::test_migcheck[verify:c3]"] == "FAILED"
    # c3's downgrade leaves the column behind: the second upgrade fails, or the schema differs.
    assert re.search(r"c3_backfill\.py:\d+  (upgrade-not-repeatable|downgrade-not-inverse)  error",
                     result.stdout.str())
    # b2 takes a SHARE lock on an existing table: verify's finding is a warning, below fail-on.
    assert outcomes["migcheck::test_migcheck[verify:b2]"] == "PASSED"


def test_data_migration_fixtures_create_and_drop_their_database(
    project: pytest.Pytester, postgres_service_url: str
) -> None:
    before = _migcheck_databases(postgres_service_url)
    project.makeconftest(textwrap.dedent('''
        import pytest

        seen = []

        @pytest.fixture(autouse=True)
        def _record(request):
            if "migcheck_database" in request.fixturenames:
                seen.append(request.getfixturevalue("migcheck_database").name)
            yield

        def pytest_sessionfinish(session):
            (session.config.rootpath / "seen.txt").write_text("\\n".join(seen))
        '''))
    result = project.runpytest_subprocess("test_data.py", "--migcheck-db-url", postgres_service_url, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    used = (project.path / "seen.txt").read_text().split()
    assert len(used) == 1 and used[0].startswith("migcheck_")
    after = _migcheck_databases(postgres_service_url)
    assert used[0] not in after, "the test's scratch database was left on the server"
    assert used[0] not in before


def test_data_migration_fixtures_on_embedded_postgres(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("test_data.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_async_engines_on_the_scratch_database(project: pytest.Pytester, postgres_service_url: str) -> None:
    pytest.importorskip("asyncpg")
    project.makepyfile(test_async=textwrap.dedent('''
        import asyncio
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine


        def test_async(migcheck_database, migcheck_migrate):
            migcheck_migrate.upgrade("heads")

            async def main():
                engine = create_async_engine(migcheck_database.async_url)
                async with engine.begin() as conn:
                    await conn.execute(text("INSERT INTO orders (id, status) VALUES (1, 'x')"))
                    count = (await conn.execute(text("SELECT count(*) FROM orders"))).scalar()
                await engine.dispose()
                return count

            assert asyncio.run(main()) == 1
        '''))
    result = project.runpytest_subprocess("test_async.py", "--migcheck-db-url", postgres_service_url, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_python_api_matches_the_json_report(tmp_path: Path) -> None:
    import json

    import migcheck
    from conftest import run_cli

    versions = tmp_path / "versions"
    versions.mkdir()
    for name, body in REVISIONS.items():
        (versions / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    result = migcheck.lint([versions], isolated=True)
    assert result.exit_code == 1 and not result.ok
    assert [f.rule for f in result.failing()] == ["create-index-not-concurrently"]
    cli = run_cli("lint", versions, "--no-config", "--format", "json").json()
    assert result.document["findings"] == cli["findings"]
    assert result.document["summary"] == cli["summary"]
    assert json.loads(result.report("json"))["findings"] == cli["findings"]
    relaxed = migcheck.lint([versions], isolated=True, ignore=["create-index-not-concurrently"])
    assert relaxed.ok
    with pytest.raises(migcheck.UsageError, match="no setting 'fail_onn'"):
        migcheck.lint([versions], fail_onn="never")
    with pytest.raises(migcheck.UsageError, match="path not found"):
        migcheck.lint([tmp_path / "nope"])


def _migcheck_databases(server_url: str) -> set[str]:
    engine = create_engine(server_url, poolclass=NullPool)
    with engine.connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'migcheck%'")).scalars().all()
    engine.dispose()
    return set(names)


def test_verify_findings_on_env_py_have_an_item(project: pytest.Pytester, postgres_service_url: str) -> None:
    """verify's one finding for the run on env.py (strong locks with no lock_timeout set there) belonged
    to no revision, so no item reported it: pytest passed where `migcheck verify` failed."""
    (project.path / "migrations" / "env.py").write_text(
        "from alembic import context\ntarget_metadata = None\n", encoding="utf-8")
    project.makepyprojecttoml('[tool.migcheck]\npaths = ["migrations/versions"]\nfail-on = "warning"\n')
    result = project.runpytest_subprocess("--migcheck-verify", "--migcheck-db-url", postgres_service_url, "-k",
                                          "verify", "-rA", "-p", "no:cacheprovider")
    outcomes = _outcomes(result)
    assert outcomes["migcheck::test_migcheck[verify:project]"] == "FAILED"
    result.stdout.fnmatch_lines(["*env.py:1  missing-lock-timeout  warning: verify: *lock_timeout*"])


def test_a_revision_id_cannot_write_a_workflow_command_into_pytests_output(pytester: pytest.Pytester) -> None:
    """The failure header (reportinfo) printed the revision id raw: `abc\\n::error ...` began a line
    of the CI log with a workflow command. Item names were escaped already; now the header is too."""
    versions = pytester.path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "evil.py").write_text(
        'revision = "abc\\n::error title=INJECTED::pwned\\x1b[31m"\ndown_revision = None\n'
        'from alembic import op\n\ndef upgrade():\n    op.drop_table("users")\n\ndef downgrade():\n    pass\n',
        encoding="utf-8")
    pytester.makepyprojecttoml('[tool.migcheck]\npaths = ["migrations/versions"]\n'
                               '[tool.pytest.ini_options]\nmigcheck = true\n')
    result = pytester.runpytest_subprocess("-rA", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert "drop-table" in out  # the item failed and its report was printed
    assert not any(line.startswith("::") for line in out.splitlines())
    assert "\x1b[31m" not in out
