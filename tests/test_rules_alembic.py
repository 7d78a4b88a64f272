"""Alembic-specific rules: env.py transactions, MySQL alter_column, SQLite batch mode, model imports,
empty revisions, and the static downgrade check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import findings_of, run_cli
from migcheck.run.engine import lint_paths
from migcheck.vocabulary.settings import Settings

HEAD = '''
"""{msg}"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}
'''


def lint(path: Path, *args: str) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--format", "json", "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    return list(run.json()["findings"])


def rules_at(findings: list[dict[str, object]], rule: str) -> list[object]:
    return [f["line"] for f in findings if f["rule"] == rule]


def _project(tmp_path: Path, env_extra: str, revisions: dict[str, str]) -> Path:
    (tmp_path / "versions").mkdir(exist_ok=True)
    (tmp_path / "env.py").write_text(
        "from alembic import context\n\n"
        "def run_migrations_online(connection):\n"
        f"    context.configure(connection=connection, target_metadata=None{env_extra})\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n",
        encoding="utf-8",
    )
    for name, text in revisions.items():
        (tmp_path / "versions" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_transaction_per_migration_off_is_quiet_when_no_revision_relies_on_commits(tmp_path: Path) -> None:
    body = HEAD.format(msg="add column", rev="a1", down=None) + (
        "\ndef upgrade():\n    op.add_column('t', sa.Column('c', sa.Text()))\n\n"
        "def downgrade():\n    op.drop_column('t', 'c')\n"
    )
    project = _project(tmp_path, "", {"a1_add.py": body})
    assert rules_at(lint(project), "transaction-per-migration-off") == []


def test_transaction_per_migration_off_fires_for_a_split_out_backfill(tmp_path: Path) -> None:
    schema = HEAD.format(msg="add column", rev="a1", down=None) + (
        "\ndef upgrade():\n    op.add_column('t', sa.Column('c', sa.Text()))\n\n"
        "def downgrade():\n    op.drop_column('t', 'c')\n"
    )
    backfill = HEAD.format(msg="backfill", rev="b2", down='"a1"') + (
        "\ndef upgrade():\n    op.execute(\"UPDATE t SET c = 'x' WHERE id < 1000\")\n\n"
        "def downgrade():\n    pass\n"
    )
    project = _project(tmp_path, "", {"a1_add.py": schema, "b2_backfill.py": backfill})
    found = findings_of(
        run_cli("lint", project, "--format", "json", "--fail-on", "never"), "transaction-per-migration-off"
    )
    assert [(Path(f["path"]).name, f["line"]) for f in found] == [("env.py", 4)]
    assert "revision b2 is a data-only backfill" in found[0]["message"]
    assert "transaction_per_migration=True" in found[0]["fix"]
    project = _project(tmp_path, ", transaction_per_migration=True", {})
    assert rules_at(lint(project), "transaction-per-migration-off") == []


def test_transaction_per_migration_off_needs_an_env_py(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(
        FIXTURES_DIR / "transaction-per-migration-off" / "bad" / "versions", tmp_path / "versions"
    )
    assert rules_at(lint(tmp_path / "versions"), "transaction-per-migration-off") == []


FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def test_alter_column_without_existing_type_names_what_is_lost() -> None:
    found = findings_of(
        run_cli(
            "lint",
            FIXTURES_DIR / "alter-column-without-existing-type" / "bad.py",
            "--dialect",
            "mysql",
            "--format",
            "json",
            "--fail-on",
            "never",
        ),
        "alter-column-without-existing-type",
    )
    first, rename = found
    assert "existing_nullable, existing_server_default are not given" in first["message"]
    assert "NOT NULL column silently becomes NULL" in first["message"]
    assert "require the existing type" in rename["message"]
    # PostgreSQL's ALTER COLUMN changes one attribute at a time: nothing to restate.
    assert (
        rules_at(
            lint(FIXTURES_DIR / "alter-column-without-existing-type" / "bad.py"),
            "alter-column-without-existing-type",
        )
        == []
    )


def _settings(**kw: object) -> Settings:
    return Settings(**kw)  # type: ignore[arg-type]


def test_sqlite_version_decides_drop_and_rename_column(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="drop", rev="a1", down=None)
        + (
            "\ndef upgrade():\n"
            "    op.drop_column('users', 'legacy')\n"
            "    op.alter_column('users', 'name', new_column_name='full_name')\n\n"
            "def downgrade():\n    pass\n"
        ),
    )
    old = lint_paths(
        [path], _settings(dialect="sqlite", sqlite_version="3.24.0", select={"sqlite-alter-outside-batch"})
    )
    assert [(f.line, "3.35" in f.message or "3.25" in f.message) for f in old.findings] == [
        (9, True),
        (10, True),
    ]
    new = lint_paths([path], _settings(dialect="sqlite", select={"sqlite-alter-outside-batch"}))
    assert new.findings == []


def test_model_imports_flagged_and_library_imports_not(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        '''
        """imports"""
        import datetime
        import sqlalchemy as sa
        from alembic import op
        from sqlalchemy.orm import Session
        from sqlalchemy.dialects import postgresql
        from app.extensions import db
        from app.db.models.user import User
        import app.entities
        from . import _helpers

        revision = "a1"
        down_revision = None

        def upgrade():
            from billing.models import Invoice
            pass

        def downgrade():
            pass
    ''',
    )
    found = findings_of(
        run_cli("lint", path, "--format", "json", "--fail-on", "never"), "orm-model-import-in-migration"
    )
    assert [f["line"] for f in found] == [7, 8, 9, 16]
    assert "db from app.extensions" in found[0]["message"]


def test_empty_branch_base_and_first_revision_are_not_reported(write_revision: Callable[..., Path]) -> None:
    base = write_revision(
        "a1.py",
        HEAD.format(msg="baseline", rev="a1", down=None)
        + "\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n",
    )
    branch = write_revision(
        "b2.py",
        HEAD.format(msg="branch", rev="b2", down='"a1"')
        + 'branch_labels = ("billing",)\n'
        + "\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n",
    )
    assert rules_at(lint(base.parent, "--extend-select", "empty-migration"), "empty-migration") == []
    assert branch.exists()


def test_downgrade_not_inverse_static_cases(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="renames", rev="a1", down='"a0"')
        + """

def upgrade():
    op.rename_table("customer", "customers")
    op.add_column("customers", sa.Column("tier", sa.Text()))
    op.create_index("ix_customers_tier", "customers", ["tier"])
    op.alter_column("customers", "nm", new_column_name="name")
    sa.Enum("a", "b", name="tier_kind").create(op.get_bind())
    op.drop_constraint("uq_customer_email", "customers")


def downgrade():
    # the index goes with its column; the table is named by either name
    op.drop_column("customer", "tier")
    op.rename_table("customers", "customer")
""",
    )
    found = findings_of(
        run_cli("lint", path, "--format", "json", "--fail-on", "never"), "downgrade-not-inverse"
    )
    messages = {f["line"]: f["message"] for f in found}
    assert sorted(messages) == [13, 14, 15]
    assert "renames column customers.nm to name" in messages[13]
    assert "creates enum type tier_kind" in messages[14]
    assert "drops constraint uq_customer_email" in messages[15]
    assert "does not restore it" in messages[15]


def test_an_enum_type_created_with_checkfirst_and_left_behind_is_no_failure(
    write_revision: Callable[..., Path],
) -> None:
    """held-out-9 #48 (h bd0cc0e6ed54): create(bind, checkfirst=True) skips a type that exists (checked on
    PostgreSQL 15), so the leftover type makes no re-upgrade fail: an info that says so, not a warning that
    it fails. The twin without checkfirst keeps the warning."""
    path = write_revision(
        "a1.py",
        HEAD.format(msg="status", rev="a1", down='"a0"')
        + """

def upgrade():
    status = sa.Enum("ok", "spam", name="status_kind")
    status.create(op.get_bind(), checkfirst=True)
    op.add_column("posts", sa.Column("status", status, nullable=True))
    sa.Enum("a", "b", name="tier_kind").create(op.get_bind())


def downgrade():
    op.drop_column("posts", "status")
""",
    )
    found = {f["line"]: f for f in findings_of(
        run_cli("lint", path, "--format", "json", "--fail-on", "never"), "downgrade-not-inverse")}
    assert sorted(found) == [11, 13]
    assert found[11]["severity"] == "info"
    assert "skips it, so nothing fails" in str(found[11]["message"]) and "already exists" not in str(found[11]["message"])
    assert found[13]["severity"] == "warning" and "fails with 'already exists'" in str(found[13]["message"])


def test_downgrade_not_inverse_leaves_unreadable_downgrades_alone(
    write_revision: Callable[..., Path],
) -> None:
    raising = write_revision(
        "a1.py",
        HEAD.format(msg="one way", rev="a1", down='"a0"')
        + """
from app.migration_helpers import drop_reporting_views


def upgrade():
    op.create_table("report", sa.Column("id", sa.BigInteger(), primary_key=True))
    op.create_index("ix_orders_day", "orders", ["day"])


def downgrade():
    raise NotImplementedError("one-way migration")
""",
    )
    assert rules_at(lint(raising), "downgrade-not-inverse") == []
    helper = write_revision(
        "a1.py",
        raising.read_text().replace(
            'raise NotImplementedError("one-way migration")',
            'drop_reporting_views()\n    op.drop_table("report")',
        ),
    )
    assert rules_at(lint(helper), "downgrade-not-inverse") == []
    runtime = write_revision(
        "a1.py", raising.read_text().replace("drop_reporting_views()", 'op.execute(open("down.sql").read())')
    )
    assert rules_at(lint(runtime), "downgrade-not-inverse") == []
    plain = write_revision(
        "a1.py",
        raising.read_text()
        .replace("from app.migration_helpers import drop_reporting_views\n", "")
        .replace('op.execute(open("down.sql").read())', "pass"),
    )
    assert rules_at(lint(plain), "downgrade-not-inverse") == [12]  # the index; the table is dropped


def test_enum_types_only_matter_on_postgresql(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="enum", rev="a1", down=None)
        + """

def upgrade():
    op.create_table(
        "t",
        sa.Column("k", sa.Enum("a", name="kind")),
        sa.Column("j", postgresql.ENUM("x", name="shared", create_type=False)),
    )


def downgrade():
    op.drop_table("t")
""",
    )
    pg = findings_of(run_cli("lint", path, "--format", "json", "--fail-on", "never"), "downgrade-not-inverse")
    assert [("kind" in f["message"], f["line"]) for f in pg] == [(True, 10)]
    assert "create_table fails with 'type ... already exists'" in pg[0]["message"]
    assert rules_at(lint(path, "--dialect", "mysql"), "downgrade-not-inverse") == []


TEMPLATE_CASE = FIXTURES_DIR / "orm-model-import-in-migration" / "bad_template_import"


def _model_imports(path: Path) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--select", "orm-model-import-in-migration",
                  "--fail-on", "warning")
    return run.exit_code, findings_of(run, "orm-model-import-in-migration")


def test_a_model_import_the_template_writes_is_one_finding_on_the_template() -> None:
    """Issue #16: script.py.mako writes `import app.models  # noqa` into every revision; the three that never
    use it are one finding on the template's line, not three on the revisions; 0004 uses it and keeps its own."""
    code, found = _model_imports(TEMPLATE_CASE)
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [
        ("script.py.mako", 10), ("0004_backfill.py", 7)]
    template = found[0]
    assert template["revision"] is None
    message = str(template["message"])
    assert message.startswith("the template writes this model import (module app.models) into every new revision")
    assert "3 revisions carry it without using it (0001_t1.py, 0002_t2.py, 0003_t3.py)" in message
    assert "remove the line from the template" in message
    assert "script.py.mako" in str(template["fix"])


def test_without_a_template_each_revision_keeps_its_model_import_finding(tmp_path: Path) -> None:
    """The same revisions with no script.py.mako beside env.py: a finding per revision, as before."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(TEMPLATE_CASE, project)
    (project / "migrations" / "script.py.mako").unlink()
    code, found = _model_imports(project)
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [
        ("0001_t1.py", 7), ("0002_t2.py", 7), ("0003_t3.py", 7), ("0004_backfill.py", 7)]
    assert all(str(f["message"]).startswith("the revision imports the application's models") for f in found)


def test_an_import_spelled_otherwise_than_the_template_is_the_revision_s_own(tmp_path: Path) -> None:
    """`import app.models as m` is not the template's line: the revision wrote it, so it is reported there."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(TEMPLATE_CASE, project)
    first = project / "migrations" / "versions" / "0001_t1.py"
    first.write_text(first.read_text().replace("import app.models  # noqa", "import app.models as m  # noqa"))
    _, found = _model_imports(project)
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [
        ("script.py.mako", 10), ("0001_t1.py", 7), ("0004_backfill.py", 7)]
    assert "2 revisions carry it" in str(found[0]["message"])


def test_a_suppressed_template_import_stays_the_revision_s_own(tmp_path: Path) -> None:
    """A revision that suppressed the template's import keeps its (suppressed) finding: moving it to the template
    would leave the suppression unused, a new `unused-suppression` finding."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(TEMPLATE_CASE, project)
    first = project / "migrations" / "versions" / "0001_t1.py"
    first.write_text(first.read_text().replace(
        "import app.models  # noqa", "import app.models  # noqa  # migcheck: ignore[orm-model-import-in-migration] -- old"))
    run = run_cli("lint", project, "--format", "json", "--no-config", "--fail-on", "warning",
                  "--select", "orm-model-import-in-migration,unused-suppression")
    found = run.json()["findings"]
    assert [(f["rule"], Path(str(f["path"])).name, f["line"], f["suppressed"]) for f in found] == [
        ("orm-model-import-in-migration", "script.py.mako", 10, False),
        ("orm-model-import-in-migration", "0001_t1.py", 7, True),
        ("orm-model-import-in-migration", "0004_backfill.py", 7, False)]
    assert "2 revisions carry it" in str(found[0]["message"])


def test_a_pull_request_that_leaves_the_template_alone_reports_its_revision(tmp_path: Path) -> None:
    """With --base, a finding on script.py.mako (outside the versions folder the pull request's diff covers)
    would be dropped: the new revision that carries the template's import keeps its own finding."""
    from gitrepo import git, make_repo

    project = make_repo(tmp_path / "repo", copy=TEMPLATE_CASE)
    git(project, "checkout", "-q", "-b", "feature")
    versions = project / "migrations" / "versions"
    text = (versions / "0003_t3.py").read_text()
    (versions / "0005_t5.py").write_text(text.replace('"0003"', '"0005"').replace('"0002"', '"0004"')
                                         .replace("t3", "t5"))
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "t5")

    def pull_request() -> list[tuple[str, object]]:
        run = run_cli("lint", project, "--base", "main", "--format", "json", "--no-config",
                      "--select", "orm-model-import-in-migration", "--fail-on", "warning")
        assert run.exit_code == 1, run.stderr
        return [(Path(str(f["path"])).name, f["line"]) for f in findings_of(run, "orm-model-import-in-migration")]

    assert pull_request() == [("0005_t5.py", 7)]
