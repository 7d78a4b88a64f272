"""Server-version and context behaviour of the PostgreSQL lock and rewrite rules.

Each test writes the revisions it needs, runs the real CLI, and checks the rule id, line,
severity and the words of the message a user would act on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli

HEAD = '''
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}


def upgrade():
{body}


def downgrade():
    pass
'''
ENV = '''
from alembic import context


def run_migrations_online():
    context.configure(connection=None, target_metadata=None{extra})
    with context.begin_transaction():
        context.run_migrations()
'''

Writer = Callable[..., Path]
#: The line of the first statement of upgrade() in a revision written by ``revision()``.
FIRST = 9


def revision(write: Writer, rev: str, body: str, down: str | None = None, directory: Path | None = None) -> Path:
    lines = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return write(f"{rev}.py", HEAD.format(rev=rev, down=f'"{down}"' if down else "None", body=lines), directory)


def findings(path: Path, rule: str, *args: str) -> list[dict[str, Any]]:
    run = run_cli("lint", path, "--format", "json", "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    return [f for f in run.json()["findings"] if f["rule"] == rule]


def lines(found: list[dict[str, Any]]) -> list[int]:
    return [f["line"] for f in found]


# -- add-column-with-volatile-default -----------------------------------------------------------------


@pytest.mark.parametrize(("version", "expected"), [("10", [FIRST]), ("11", []), ("15", [])])
def test_any_default_rewrites_before_postgres_11(write_revision: Writer, tmp_path: Path, version: str,
                                                 expected: list[int]) -> None:
    revision(write_revision, "a1", 'op.add_column("orders", sa.Column("qty", sa.Integer(), server_default="0"))')
    found = findings(tmp_path / "versions", "add-column-with-volatile-default", "--postgres-version", version)
    assert lines(found) == expected
    if expected:
        assert "before PostgreSQL 11 any non-null default" in found[0]["message"]


@pytest.mark.parametrize(
    "default",
    [
        "sa.text(\"now() - interval '100 years'\")",  # squawk #645
        "sa.text(\"ARRAY[]::interval[]\")",  # squawk #645
        "sa.text(\"CURRENT_TIMESTAMP\")",
        "sa.true()",  # squawk #390
        "sa.text(\"'random()'\")",  # a string that merely looks like a call
        "sa.text(\"statement_timestamp()\")",  # STABLE
    ],
)
def test_non_volatile_defaults_are_quiet(write_revision: Writer, tmp_path: Path, default: str) -> None:
    revision(write_revision, "a1", f'op.add_column("orders", sa.Column("c", sa.Text(), server_default={default}))')
    assert findings(tmp_path / "versions", "add-column-with-volatile-default") == []


def test_volatile_default_message_names_function_and_lock(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1",
             'op.add_column("orders", sa.Column("t", sa.DateTime(), server_default=sa.func.clock_timestamp()))')
    [found] = findings(tmp_path / "versions", "add-column-with-volatile-default")
    assert "clock_timestamp(), which is VOLATILE" in found["message"]
    assert "ACCESS EXCLUSIVE" in found["message"]
    assert 'op.alter_column("orders", "t", server_default=sa.text("clock_timestamp()"))' in found["fix"]


@pytest.mark.parametrize(("persisted", "version", "expected"), [
    ("True", "15", [FIRST]), ("None", "15", [FIRST]), ("False", "18", []), ("None", "18", [FIRST]),
])
def test_generated_columns(write_revision: Writer, tmp_path: Path, persisted: str, version: str,
                           expected: list[int]) -> None:
    revision(write_revision, "a1",
             f'op.add_column("orders", sa.Column("t", sa.Integer(), sa.Computed("a + b", persisted={persisted})))')
    found = findings(tmp_path / "versions", "add-column-with-volatile-default", "--postgres-version", version)
    assert lines(found) == expected
    if expected and version == "18":
        assert "persisted=False" in found[0]["message"]


# -- set-not-null ---------------------------------------------------------------------------------------

THREE_STEPS = [
    ('op.create_check_constraint("ck_nn", "orders", "customer_id IS NOT NULL", postgresql_not_valid=True)', None),
    ('op.execute("ALTER TABLE orders VALIDATE CONSTRAINT ck_nn")', "a1"),
    ('op.alter_column("orders", "customer_id", existing_type=sa.Integer(), nullable=False)', "a2"),
]


def _three_steps(write: Writer) -> None:
    for number, (body, down) in enumerate(THREE_STEPS, start=1):
        revision(write, f"a{number}", body, down)


def test_validated_check_in_an_ancestor_makes_set_not_null_cheap(write_revision: Writer, tmp_path: Path) -> None:
    _three_steps(write_revision)
    assert findings(tmp_path / "versions", "set-not-null") == []


def test_before_postgres_12_the_scan_cannot_be_avoided(write_revision: Writer, tmp_path: Path) -> None:
    _three_steps(write_revision)
    [found] = findings(tmp_path / "versions", "set-not-null", "--postgres-version", "11")
    assert Path(found["path"]).name == "a3.py" and found["line"] == FIRST
    assert "before PostgreSQL 12 the scan cannot be avoided" in found["message"]


def test_postgres_18_fix_mentions_not_null_not_valid(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", 'op.alter_column("orders", "note", nullable=False)')
    [found] = findings(tmp_path / "versions", "set-not-null", "--postgres-version", "18")
    assert "NOT NULL note NOT VALID" in found["fix"]
    [found] = findings(tmp_path / "versions", "set-not-null", "--postgres-version", "15")
    assert "NOT VALID\"), then" not in found["fix"]


def test_dropped_check_does_not_count_and_a_check_added_valid_does(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", '''
op.create_check_constraint("ck_nn", "orders", "customer_id IS NOT NULL")
op.drop_constraint("ck_nn", "orders", type_="check")
op.alter_column("orders", "customer_id", nullable=False)
op.create_check_constraint("ck_other", "orders", "other_id IS NOT NULL")
op.alter_column("orders", "other_id", nullable=False)
''')
    assert lines(findings(tmp_path / "versions", "set-not-null")) == [FIRST + 2]


def test_check_validated_in_the_same_transaction_skips_the_scan_but_wins_nothing(write_revision: Writer,
                                                                                tmp_path: Path) -> None:
    revision(write_revision, "a1", '''
op.create_check_constraint("ck_nn", "orders", "note IS NOT NULL", postgresql_not_valid=True)
op.execute("ALTER TABLE orders VALIDATE CONSTRAINT ck_nn")
op.alter_column("orders", "note", nullable=False)
''')
    assert findings(tmp_path / "versions", "set-not-null") == []
    assert lines(findings(tmp_path / "versions", "validate-in-same-transaction")) == [FIRST + 1]


def test_existing_nullable_false_is_a_no_op(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1",
             'op.alter_column("orders", "note", nullable=False, existing_nullable=False, type_=sa.Text())')
    assert findings(tmp_path / "versions", "set-not-null") == []


# -- alter-column-type ------------------------------------------------------------------------------------

METADATA_ONLY = [
    ("sa.String(50)", "sa.String(100)"),
    ("sa.String(50)", "sa.Text()"),
    ("sa.String(50)", "sa.String()"),
    ("sa.Numeric(10, 2)", "sa.Numeric(12, 2)"),
    ("sa.Numeric(10, 2)", "sa.Numeric()"),
    ("sa.DateTime()", "sa.DateTime()"),
    ("postgresql.TIMESTAMP(precision=3)", "postgresql.TIMESTAMP(precision=6)"),
    ("postgresql.CIDR()", "postgresql.INET()"),
    ("postgresql.BIT(5, varying=True)", "postgresql.BIT(9, varying=True)"),
    ("sa.Interval()", "sa.Interval()"),
]
REWRITES = [
    ("sa.Integer()", "sa.BigInteger()"),
    ("sa.String(100)", "sa.String(50)"),
    ("sa.Text()", "sa.String(50)"),
    ("sa.Numeric(10, 2)", "sa.Numeric(12, 3)"),
    ("sa.Numeric()", "sa.Numeric(10, 2)"),
    ("sa.JSON()", "postgresql.JSONB()"),
    ("sa.Float()", "sa.Integer()"),
    ("postgresql.INET()", "postgresql.CIDR()"),
    ("sa.Uuid()", "sa.Text()"),
]


def _type_change(write: Writer, old: str, new: str, using: str = "") -> None:
    body = f'op.alter_column("orders", "c", type_={new}, existing_type={old}{using})'
    path = revision(write, "a1", body)
    path.write_text(path.read_text().replace("import sqlalchemy as sa",
                                             "import sqlalchemy as sa\nfrom sqlalchemy.dialects import postgresql"))


@pytest.mark.parametrize(("old", "new"), METADATA_ONLY)
def test_metadata_only_type_changes_are_quiet(write_revision: Writer, tmp_path: Path, old: str, new: str) -> None:
    _type_change(write_revision, old, new)
    assert findings(tmp_path / "versions", "alter-column-type") == []


@pytest.mark.parametrize(("old", "new"), REWRITES)
def test_rewriting_type_changes_are_errors(write_revision: Writer, tmp_path: Path, old: str, new: str) -> None:
    _type_change(write_revision, old, new)
    [found] = findings(tmp_path / "versions", "alter-column-type")
    assert found["severity"] == "error" and found["line"] == FIRST + 1
    assert "rewritten under an ACCESS EXCLUSIVE lock" in found["message"]


def test_using_a_plain_cast_keeps_a_change_metadata_only(write_revision: Writer, tmp_path: Path) -> None:
    _type_change(write_revision, "sa.String(50)", "sa.Text()", ', postgresql_using="c::text"')
    assert findings(tmp_path / "versions", "alter-column-type") == []


@pytest.mark.parametrize(("version", "severity"), [("11", "error"), ("12", "warning"), ("15", "warning")])
def test_timestamp_to_timestamptz_depends_on_utc_from_12(write_revision: Writer, tmp_path: Path, version: str,
                                                         severity: str) -> None:
    _type_change(write_revision, "sa.DateTime()", "sa.DateTime(timezone=True)")
    [found] = findings(tmp_path / "versions", "alter-column-type", "--postgres-version", version)
    assert found["severity"] == severity
    if severity == "warning":
        assert "TimeZone is UTC" in found["message"]


def test_unknown_old_type_is_a_softer_warning(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", 'op.alter_column("orders", "code", type_=sa.String(20))')
    [found] = findings(tmp_path / "versions", "alter-column-type")
    assert found["severity"] == "warning"
    assert "cannot tell from what" in found["message"]
    assert "existing_type=" in found["fix"]


def test_old_type_comes_from_history_through_renames(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", 'op.create_table("orders", sa.Column("code", sa.String(10)))')
    revision(write_revision, "a2", 'op.alter_column("orders", "code", new_column_name="ref")', "a1")
    revision(write_revision, "a3", 'op.execute("ALTER TABLE orders ALTER COLUMN ref TYPE varchar(40)")', "a2")
    revision(write_revision, "a4", 'op.execute("ALTER TABLE orders ALTER COLUMN ref TYPE varchar(20)")', "a3")
    [found] = findings(tmp_path / "versions", "alter-column-type")
    assert Path(found["path"]).name == "a4.py"
    assert "from VARCHAR(40) to VARCHAR(20) (old type from an earlier revision)" in found["message"]


def test_sync_enum_values_rewrites_the_affected_tables(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", '''
op.sync_enum_values(
    enum_schema="public",
    enum_name="order_status",
    new_values=["new", "paid", "refunded"],
    affected_columns=[TableReference(table_schema="public", table_name="orders", column_name="status")],
    enum_values_to_rename=[],
)
''')
    [found] = findings(tmp_path / "versions", "alter-column-type")
    assert found["line"] == FIRST and found["severity"] == "error"
    assert "orders is rewritten" in found["message"]


# -- enum-add-value-in-transaction ------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "expected"), [("11", [FIRST]), ("12", []), ("15", [])])
def test_add_value_alone(write_revision: Writer, tmp_path: Path, version: str, expected: list[int]) -> None:
    revision(write_revision, "a1", 'op.execute("ALTER TYPE mood ADD VALUE \'soso\'")')
    found = findings(tmp_path / "versions", "enum-add-value-in-transaction", "--postgres-version", version)
    assert lines(found) == expected
    if expected:
        assert "cannot run inside a transaction block" in found[0]["message"]


def test_add_enum_values_helper_then_use(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", '''
op.add_enum_values(enum_schema="public", enum_name="mood", new_values=["soso"])
op.execute("UPDATE people SET mood = 'soso' WHERE mood IS NULL")
''')
    [found] = findings(tmp_path / "versions", "enum-add-value-in-transaction")
    assert found["line"] == FIRST
    assert "unsafe use of new value \"soso\"" in found["message"]


def test_use_in_a_later_revision_of_one_transaction_run(write_revision: Writer, tmp_path: Path) -> None:
    (tmp_path / "env.py").write_text(ENV.format(extra=""))
    revision(write_revision, "a1", 'op.execute("ALTER TYPE mood ADD VALUE \'soso\'")')
    revision(write_revision, "a2", 'op.execute("UPDATE people SET mood = \'soso\'")', "a1")
    [found] = findings(tmp_path, "enum-add-value-in-transaction")
    assert found["severity"] == "warning" and Path(found["path"]).name == "a1.py"
    assert "revision a2 uses the value" in found["message"]
    (tmp_path / "env.py").write_text(ENV.format(extra=", transaction_per_migration=True"))
    assert findings(tmp_path, "enum-add-value-in-transaction") == []


def test_later_revision_comparing_a_column_created_after_the_value(write_revision: Writer, tmp_path: Path) -> None:
    """The label compared in a later revision is looked up in that revision's history: a String column created
    after the ADD VALUE is no use of the enum (held-out-4: fides 906d7198df28 and dffb9da00fb1); the enum's own
    column, created the same way, still is."""
    (tmp_path / "env.py").write_text(ENV.format(extra=""))
    revision(write_revision, "a1", 'op.execute("ALTER TYPE mood ADD VALUE \'soso\'")')
    revision(write_revision, "a2", 'op.create_table("notes", sa.Column("id", sa.Integer()), sa.Column("tone", '
                                   'sa.String(20)), sa.Column("mood", sa.Enum("ok", name="mood")))', "a1")
    revision(write_revision, "a3", 'op.execute("UPDATE notes SET tone = \'calm\' WHERE tone = \'soso\'")', "a2")
    assert findings(tmp_path, "enum-add-value-in-transaction") == []
    revision(write_revision, "a4", 'op.execute("UPDATE notes SET mood = \'soso\'")', "a3")
    [found] = findings(tmp_path, "enum-add-value-in-transaction")
    assert "revision a4 uses the value" in found["message"]


# -- validate-in-same-transaction across revisions -----------------------------------------------------

NOT_VALID = 'op.create_foreign_key("fk", "orders", "users", ["user_id"], ["id"], postgresql_not_valid=True)'
VALIDATE = 'op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk")'


@pytest.mark.parametrize(("env", "expected"), [
    (None, []),  # no env.py found: migcheck does not guess
    ("", [FIRST]),  # Alembic's default: one transaction for the whole run
    (", transaction_per_migration=True", []),
])
def test_split_across_revisions_depends_on_env(write_revision: Writer, tmp_path: Path, env: str | None,
                                               expected: list[int]) -> None:
    if env is not None:
        (tmp_path / "env.py").write_text(ENV.format(extra=env))
    revision(write_revision, "a1", NOT_VALID)
    revision(write_revision, "a2", VALIDATE, "a1")
    found = findings(tmp_path if env is not None else tmp_path / "versions", "validate-in-same-transaction")
    assert lines(found) == expected
    if expected:
        assert found[0]["severity"] == "warning"
        assert "env.py runs every pending revision in one transaction" in found[0]["message"]


@pytest.mark.parametrize("between", [
    'with op.get_context().autocommit_block():\n        op.execute("VACUUM orders")',
    'op.execute("COMMIT")',
])
def test_a_commit_between_splits_the_transaction(write_revision: Writer, tmp_path: Path, between: str) -> None:
    (tmp_path / "env.py").write_text(ENV.format(extra=""))
    revision(write_revision, "a1", NOT_VALID + "\n" + between)
    revision(write_revision, "a2", VALIDATE, "a1")
    assert findings(tmp_path, "validate-in-same-transaction") == []


# -- version ranges and dialects ------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "expected"), [("13", []), ("14", [FIRST])])
def test_detach_partition_applies_from_postgres_14(write_revision: Writer, tmp_path: Path, version: str,
                                                   expected: list[int]) -> None:
    revision(write_revision, "a1", 'op.execute("ALTER TABLE m DETACH PARTITION m_2023")')
    assert lines(findings(tmp_path / "versions", "detach-partition-not-concurrently", "--postgres-version",
                          version)) == expected


def test_explain_shows_the_version_range() -> None:
    run = run_cli("explain", "detach-partition-not-concurrently")
    assert run.exit_code == 0
    assert "Server versions: PostgreSQL 14 and later." in run.stdout


def test_reindex_before_12_has_no_concurrent_form(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", 'op.execute("REINDEX TABLE orders")')
    [found] = findings(tmp_path / "versions", "reindex-not-concurrently", "--postgres-version", "11")
    assert "REINDEX CONCURRENTLY needs PostgreSQL 12" in found["message"]
    assert "postgresql_concurrently=True" in found["fix"]


def test_renames_and_truncate_apply_to_every_dialect(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", '''
op.alter_column("users", "user_name", new_column_name="name")
op.rename_table("stars", "favorites")
op.execute("TRUNCATE sessions")
op.create_foreign_key("fk", "orders", "users", ["user_id"], ["id"])
''')
    for dialect in ("mysql", "sqlite"):
        run = run_cli("lint", tmp_path / "versions", "--format", "json", "--dialect", dialect)
        rules = run.rules()
        assert {"rename-column", "rename-table", "truncate-table"} <= set(rules)
        assert "add-foreign-key-without-not-valid" not in rules  # its lock story is PostgreSQL's
        truncate = next(f for f in run.json()["findings"] if f["rule"] == "truncate-table")
        assert "ACCESS EXCLUSIVE" not in truncate["message"]


def test_transactional_ddl_off_means_nothing_runs_in_a_transaction(write_revision: Writer, tmp_path: Path) -> None:
    (tmp_path / "env.py").write_text(ENV.format(extra=", transactional_ddl=False"))
    revision(write_revision, "a1", 'op.execute("VACUUM orders")')
    assert findings(tmp_path, "cannot-run-in-transaction") == []
    (tmp_path / "env.py").write_text(ENV.format(extra=""))
    assert lines(findings(tmp_path, "cannot-run-in-transaction")) == [FIRST]


def test_warning_rules_alone_pass_the_default_fail_on(write_revision: Writer, tmp_path: Path) -> None:
    revision(write_revision, "a1", 'op.alter_column("users", "user_name", new_column_name="name")')
    assert run_cli("lint", tmp_path / "versions").exit_code == 0
    assert run_cli("lint", tmp_path / "versions", "--fail-on", "warning").exit_code == 1
