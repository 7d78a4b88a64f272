"""What the AST front end understands in real revisions, checked on the Change IR it produces."""

from __future__ import annotations

import textwrap
from pathlib import Path

from migcheck.sources.load import load_python
from migcheck.vocabulary.changes import (
    AddColumn,
    AlterColumn,
    CreateIndex,
    CreateTable,
    DataChange,
    DropColumn,
    RawSQL,
    RenameColumn,
)

HEADER = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "r1"\ndown_revision = None\n'


def changes(tmp_path: Path, body: str, dialect: str = "postgresql", phase: str = "upgrade") -> list:
    path = tmp_path / "r1.py"
    path.write_text(HEADER + textwrap.dedent(body))
    migration = load_python(path, dialect)
    assert migration is not None
    return migration.upgrade_changes if phase == "upgrade" else migration.downgrade_changes


def test_column_arguments(tmp_path: Path) -> None:
    [add] = changes(tmp_path, """
        def upgrade():
            op.add_column("t", sa.Column("c", sa.String(length=50), nullable=False,
                                         server_default=sa.text("'x'"), default="y"))
    """)
    assert isinstance(add, AddColumn)
    assert (add.table, add.column.name, add.column.type) == ("t", "c", "String(length=50)")
    assert add.column.nullable is False and add.column.server_default == "'x'" and add.column.python_default
    assert add.line == 7


def test_server_default_forms(tmp_path: Path) -> None:
    found = changes(tmp_path, """
        def upgrade():
            op.add_column("t", sa.Column("a", sa.Integer(), server_default="0"))
            op.add_column("t", sa.Column("b", sa.DateTime(), server_default=sa.func.now()))
            op.add_column("t", sa.Column("c", sa.Boolean(), server_default=sa.false()))
            op.add_column("t", sa.Column("d", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))
    """)
    assert [c.column.server_default for c in found] == ["'0'", "now()", "false", "gen_random_uuid()"]


def test_batch_alter_table_and_constants(tmp_path: Path) -> None:
    found = changes(tmp_path, """
        TABLE = "accounts"
        def upgrade():
            with op.batch_alter_table(TABLE, schema=None) as batch_op:
                batch_op.drop_column("old")
                batch_op.alter_column("name", new_column_name="title", existing_type=sa.String(10))
                batch_op.create_index("ix_accounts_title", ["title"], unique=True)
    """)
    drop, rename, index = found
    assert isinstance(drop, DropColumn) and drop.table == "accounts" and drop.column == "old"
    assert isinstance(rename, RenameColumn) and (rename.table, rename.column, rename.new_name) == (
        "accounts", "name", "title")
    assert isinstance(index, CreateIndex) and index.table == "accounts" and index.unique
    assert index.columns == ["title"]


def test_autocommit_block_leaves_the_transaction(tmp_path: Path) -> None:
    inside, outside = changes(tmp_path, """
        def upgrade():
            with op.get_context().autocommit_block():
                op.create_index("ix_a", "t", ["a"], postgresql_concurrently=True)
            op.create_index("ix_b", "t", ["b"])
    """)
    assert inside.concurrently and not inside.in_transaction
    assert not outside.concurrently and outside.in_transaction


def test_loops_over_literal_tables_and_helper_functions(tmp_path: Path) -> None:
    found = changes(tmp_path, """
        TABLES = ("a", "b")
        def _add_flag(table, column="flag"):
            op.add_column(table, sa.Column(column, sa.Boolean(), nullable=True))
        def upgrade():
            for table in TABLES:
                _add_flag(table)
            for name in ["c"]:
                op.drop_column(name, "x")
    """)
    assert [(type(c).__name__, c.table) for c in found] == [
        ("AddColumn", "a"), ("AddColumn", "b"), ("DropColumn", "c")]
    assert found[0].line == 8  # the line inside the helper


def test_dialect_checks_keep_only_the_matching_branch(tmp_path: Path) -> None:
    body = """
        def upgrade():
            if op.get_bind().dialect.name == "postgresql":
                op.create_index("ix_pg", "t", ["a"], postgresql_concurrently=True)
            else:
                op.create_index("ix_other", "t", ["a"])
            if some_flag():
                op.drop_column("t", "z")
    """
    pg = changes(tmp_path, body)
    assert [c.name for c in pg if isinstance(c, CreateIndex)] == ["ix_pg"]
    mysql = changes(tmp_path, body, dialect="mysql")
    assert [c.name for c in mysql if isinstance(c, CreateIndex)] == ["ix_other"]
    assert [c.conditional for c in pg if isinstance(c, DropColumn)] == [True]


def test_postgres_is_no_dialect_name(tmp_path: Path) -> None:
    """SQLAlchemy names PostgreSQL's dialect "postgresql": the dialect's name compared with "postgres" is never
    equal (held-out-8 #43); another name compared with it (a setting's spelling) decides nothing."""
    body = """
        def upgrade():
            if op.get_bind().dialect.name == "postgres":
                op.create_index("ix_never", "t", ["a"])
            if op.get_bind().dialect.name != "postgres":
                op.create_index("ix_always", "t", ["a"])
            if settings.database.name == "postgres":
                op.create_index("ix_maybe", "t", ["a"])
            if bind.dialect.name.startswith("postgres"):
                op.create_index("ix_prefix", "t", ["a"])
    """
    pg = changes(tmp_path, body)
    assert [(c.name, c.conditional) for c in pg if isinstance(c, CreateIndex)] == [
        ("ix_always", False), ("ix_maybe", True), ("ix_prefix", False)]


def test_a_return_on_the_dialect_ends_the_body(tmp_path: Path) -> None:
    """``if dialect == "postgresql": return`` (here in a helper): what follows never runs on PostgreSQL."""
    body = """
        def upgrade():
            _indexes()
            op.create_index("ix_after_helper", "t", ["c"])
            if op.get_bind().dialect.name == "postgresql":
                raise RuntimeError("not on PostgreSQL")
            op.create_index("ix_after_raise", "t", ["d"])

        def _indexes():
            dialect = op.get_bind().dialect.name
            if dialect == "postgresql":
                with op.batch_alter_table("t") as batch_op:
                    batch_op.create_index("ix_pg", ["a"])
                    return
            op.create_index("ix_other", "t", ["b"])
    """
    assert [c.name for c in changes(tmp_path, body) if isinstance(c, CreateIndex)] == ["ix_pg", "ix_after_helper"]
    assert [c.name for c in changes(tmp_path, body, dialect="mysql") if isinstance(c, CreateIndex)] == [
        "ix_other", "ix_after_helper", "ix_after_raise"]


def test_sql_strings_become_changes_with_their_lines(tmp_path: Path) -> None:
    found = changes(tmp_path, '''
        SQL = "DROP INDEX ix_old"
        def upgrade():
            op.execute("""
                ALTER TABLE t ADD COLUMN c INT;
                UPDATE t SET c = 1;
            """)
            op.execute(sa.text("CREATE INDEX CONCURRENTLY ix ON t (c)"))
            op.execute(SQL)
    ''')
    kinds = [(type(c).__name__, c.line) for c in found]
    assert kinds == [("AddColumn", 9), ("DataChange", 10), ("CreateIndex", 12), ("DropIndex", 13)]


def test_interpolated_sql_keeps_its_shape(tmp_path: Path) -> None:
    [update] = changes(tmp_path, """
        def upgrade():
            for table in get_tables():
                op.execute(f"UPDATE {table} SET flag = false")
    """)
    assert isinstance(update, DataChange) and update.action == "update"


def test_data_access_through_bind_and_session(tmp_path: Path) -> None:
    found = changes(tmp_path, """
        from sqlalchemy.orm import Session
        users = sa.table("users", sa.column("id"))
        def upgrade():
            conn = op.get_bind()
            conn.execute(users.update().values(active=True))
            conn.execute(sa.select(users))
            session = Session(bind=conn)
            session.add(object())
            op.bulk_insert(users, [{"id": 1}])
    """)
    assert [(c.action, c.table) for c in found if isinstance(c, DataChange)] == [
        ("update", "users"), ("orm", None), ("bulk_insert", "users")]  # module-level sa.table is resolved


def test_table_objects_bound_in_the_function(tmp_path: Path) -> None:
    found = changes(tmp_path, """
        def upgrade():
            t = sa.table("users", sa.column("id"))
            op.execute(t.delete().where(t.c.id == 1))
            new = op.create_table("roles", sa.Column("id", sa.Integer(), primary_key=True))
            op.bulk_insert(new, [{"id": 1}])
    """)
    data = [(c.action, c.table, c.has_where) for c in found if isinstance(c, DataChange)]
    assert data == [("delete", "users", True), ("bulk_insert", "roles", None)]
    assert any(isinstance(c, CreateTable) for c in found)


def test_sql_built_at_run_time_is_reported_as_not_understood(tmp_path: Path) -> None:
    [raw, unknown_op] = changes(tmp_path, """
        def upgrade():
            op.execute(build_sql())
            op.create_entity(my_view)
    """)
    assert isinstance(raw, RawSQL) and not raw.understood and "run time" in (raw.reason or "")
    assert isinstance(unknown_op, RawSQL) and unknown_op.keyword == "op.create_entity"


def test_alter_column_fields(tmp_path: Path) -> None:
    [alter] = changes(tmp_path, """
        def upgrade():
            op.alter_column("t", "c", type_=sa.BigInteger(), existing_type=sa.Integer(), nullable=False,
                            postgresql_using="c::bigint")
    """)
    assert isinstance(alter, AlterColumn)
    assert (alter.type, alter.existing_type, alter.nullable, alter.using) == (
        "BigInteger()", "Integer()", False, "c::bigint")
    assert not alter.server_default_changed


def test_downgrade_body_and_triviality(tmp_path: Path) -> None:
    path = tmp_path / "r1.py"
    path.write_text(HEADER + "def upgrade():\n    op.drop_table('t')\n\ndef downgrade():\n    '''no'''\n    ...\n")
    migration = load_python(path, "postgresql")
    assert migration is not None and migration.downgrade is not None
    assert migration.downgrade.trivial and migration.downgrade.line == 8


def test_constraints_and_renames(tmp_path: Path) -> None:
    from migcheck.vocabulary.changes import AddConstraint, DropConstraint, RenameTable

    found = changes(tmp_path, """
        def upgrade():
            op.create_foreign_key("fk_o_u", "orders", "users", ["user_id"], ["id"], postgresql_not_valid=True)
            op.create_unique_constraint("uq_u_email", "users", ["email"])
            op.create_check_constraint("ck_age", "users", "age >= 0")
            op.create_primary_key("pk_t", "t", ["id"])
            op.drop_constraint("fk_old", "orders", type_="foreignkey")
            op.rename_table("old", "new")
            with op.batch_alter_table("users") as batch_op:
                batch_op.create_foreign_key("fk_u_org", "orgs", ["org_id"], ["id"])
    """)
    kinds = [(c.kind_of, c.table, c.name) for c in found if isinstance(c, AddConstraint)]
    assert kinds == [
        ("foreign_key", "orders", "fk_o_u"),
        ("unique", "users", "uq_u_email"),
        ("check", "users", "ck_age"),
        ("primary_key", "t", "pk_t"),
        ("foreign_key", "users", "fk_u_org"),
    ]
    fk = found[0]
    assert fk.not_valid and fk.referent == "users" and fk.columns == ["user_id"]
    assert found[2].condition == "age >= 0"
    drop = next(c for c in found if isinstance(c, DropConstraint))
    assert (drop.name, drop.table, drop.kind_of) == ("fk_old", "orders", "foreignkey")
    rename = next(c for c in found if isinstance(c, RenameTable))
    assert (rename.table, rename.new_name) == ("old", "new")
    assert found[-1].referent == "orgs"


def test_op_functions_imported_by_name(tmp_path: Path) -> None:
    """``from alembic.op import create_table`` then a bare ``create_table(...)`` is op.create_table (held-out-4:
    fides 6b9885e68cbb, a table the history then never built)."""
    create, drop = changes(tmp_path, """
        from alembic.op import create_table, drop_column as dc

        def upgrade():
            create_table("scans", sa.Column("id", sa.Integer(), primary_key=True))
            dc("other", "note")
    """)
    assert isinstance(create, CreateTable) and create.table == "scans"
    assert isinstance(drop, DropColumn) and (drop.table, drop.column) == ("other", "note")


def test_a_type_kept_in_a_local_name(tmp_path: Path) -> None:
    """``type = sa.TEXT(length=n)`` in the branch the dialect takes, then ``sa.Column("c", type)``: the column's type
    is that type, with the local constant's value (held-out-4: tacker c31f65e0d099)."""
    body = """
        def upgrade():
            n = 65535
            if op.get_bind().engine.name == "postgresql":
                type = sa.VARCHAR(length=n)
            else:
                type = sa.TEXT(length=n)
            op.add_column("f", sa.Column("ids", type))
            op.alter_column("f", "names", type_=type)
    """
    add, alter = changes(tmp_path, body, dialect="mysql")
    assert isinstance(add, AddColumn) and add.column.type == "TEXT(length=65535)"
    assert isinstance(alter, AlterColumn) and alter.type == "TEXT(length=65535)"
    add, _ = changes(tmp_path, body, dialect="postgresql")
    assert add.column.type == "VARCHAR(length=65535)"


def test_a_flag_computed_from_loop_constants_is_known(tmp_path: Path) -> None:
    """``nullable = column_name == "ended_at"`` in a pass of a loop over literals, then ``nullable=nullable`` in a
    lambda column and in alter_column: each pass knows it (held-out-7: gnocchi 5c4f93e5bb4 on MySQL, whose columns
    looked nullable without it). A flag of a name the walker does not know stays unknown."""
    found = changes(tmp_path, """
        def upgrade():
            for column_name in ("started_at", "ended_at"):
                nullable = column_name == "ended_at"
                temp_col = lambda: sa.Column(column_name + "_ts", sa.DateTime(), nullable=nullable)
                op.add_column("resource", temp_col())
                op.alter_column("resource", column_name + "_ts", nullable=nullable, existing_nullable=nullable)
            op.alter_column("resource", "other", nullable=unknown_flag)
    """)
    adds = [c for c in found if isinstance(c, AddColumn)]
    alters = [c for c in found if isinstance(c, AlterColumn)]
    assert [(a.column.name, a.column.nullable) for a in adds] == [("started_at_ts", False), ("ended_at_ts", True)]
    assert [(a.column, a.nullable, a.existing_nullable) for a in alters] == [
        ("started_at_ts", False, False), ("ended_at_ts", True, True), ("other", None, None)]


def test_a_column_name_rebound_in_a_branch_is_not_read(tmp_path: Path) -> None:
    """A name given another column in a branch not decided statically is not taken for the first one: the added
    column is then unknown, as before, not a guess."""
    found = changes(tmp_path, """
        def upgrade(flag=False):
            col = sa.Column("a", sa.Integer())
            if flag:
                col = sa.Column("b", sa.Integer())
            op.add_column("t", col)
    """)
    assert [c.column.name for c in found if isinstance(c, AddColumn)] == ["<col>"]


def test_a_batch_schema_is_every_change_s_schema(tmp_path: Path) -> None:
    """``batch_alter_table("t", schema="s")``: each change its ``batch_op`` makes is in "s" (fixR: a DropColumn
    without it matched a later drop of the default schema's table), the index of ``sa.Column(index=True)`` too;
    ``op.add_column(..., schema="s")``'s column index as well; ``batch_op.execute`` keeps its SQL's own."""
    found = changes(tmp_path, """
        def upgrade():
            with op.batch_alter_table("t", schema="s") as b:
                b.drop_column("old")
                b.add_column(sa.Column("c", sa.Integer(), index=True))
                b.alter_column("c", nullable=False)
                b.create_index("ix_t_a", ["a"])
                b.execute("DELETE FROM t")
            with op.batch_alter_table("t", "s2") as b:
                b.drop_column("d")
            with op.batch_alter_table("t") as b:
                b.drop_column("e")
            op.add_column("u", sa.Column("c", sa.Integer(), index=True), schema="s3")
    """)
    assert [(c.kind, getattr(c, "schema", "-")) for c in found] == [
        ("DropColumn", "s"), ("AddColumn", "s"), ("CreateIndex", "s"), ("AlterColumn", "s"), ("CreateIndex", "s"),
        ("DataChange", None), ("DropColumn", "s2"), ("DropColumn", None), ("AddColumn", "s3"), ("CreateIndex", "s3")]


def test_schema_kinds_are_every_change_with_a_schema() -> None:
    from dataclasses import fields

    from migcheck.extract.python.ops import SCHEMA_KINDS
    from migcheck.vocabulary.changes import Change

    def kinds(cls: type) -> list[type]:
        return [cls, *(k for sub in cls.__subclasses__() for k in kinds(sub))]

    with_schema = {k for k in kinds(Change) if any(f.name == "schema" for f in fields(k))}
    assert with_schema == set(SCHEMA_KINDS)
