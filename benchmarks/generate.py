"""Generate a synthetic Alembic project with N revisions, for speed measurements.

The mix is what real histories hold: new tables with indexes, nullable and
defaulted columns, concurrent indexes in autocommit blocks, type changes,
raw SQL (single statements, multi-statement blocks, a PL/pgSQL trigger),
bulk inserts, data migrations through ``op.get_bind()``, batch operations,
foreign keys, renames, drops, a few risky changes so rules fire, and every
so often two branches and the merge revision that joins them. A fixed seed
makes the same history every time.

Every revision renders offline, so the peers can run on the same history:

    python benchmarks/generate.py 1000 /tmp/history-1000
    alembic -c /tmp/history-1000/alembic.ini upgrade base:head --sql
"""

from __future__ import annotations

import argparse
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

ALEMBIC_INI = """[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = postgresql://postgres@127.0.0.1:5432/bench

[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARN
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic
[formatter_generic]
format = %(levelname)-5.5s %(message)s
"""

ENV_PY = '''from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True,
                      transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

HEADER = '''"""{message}

Revision ID: {rev}
Revises: {down}
Create Date: 2026-01-01 00:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


def _indent(lines: list[str]) -> str:
    return "\n".join("    " + line if line else "" for line in lines)


KINDS = {  # kind: weight (per 100 revisions, roughly)
    "table": 12, "column": 15, "default_column": 8, "index": 9, "sql": 7, "sql_block": 4, "trigger": 2,
    "backfill": 7, "bulk": 5, "alter": 8, "batch": 7, "fk": 5, "rename": 3, "drop": 2, "risky": 6,
}


@dataclass
class Schema:
    """What earlier revisions created, so later ones change things that exist."""

    tables: list[str] = field(default_factory=list)
    #: Nullable text columns added by earlier revisions, which a later one may drop.
    columns: list[tuple[str, str]] = field(default_factory=list)
    #: The history shape (see SHAPES): which way some kinds of revision are written.
    shape: str = "plain"
    #: A revision the shape wants right after the current one (the VALIDATE after a NOT VALID add).
    pending: tuple[str, list[str], list[str]] | None = None

    def copy(self) -> Schema:
        return Schema(list(self.tables), list(self.columns), self.shape)


#: History shapes. Each writes the same revisions as ``plain`` (same seed, same kinds, same tables) except:
#: ``alter-type``: type changes without ``existing_type`` (migcheck looks the old type up in the history);
#: ``not-null``: type changes become ``nullable=False`` on an existing column (looks up nullability and any
#: validated CHECK (col IS NOT NULL));
#: ``validate-next``: the NOT VALID check constraint is validated in the next revision (migcheck's own advice;
#: looks for the ADD and for a commit between them); the VALIDATE revision takes the next revision's place.
#: ``guarded``: the concurrent index is created inside ``try: ... except Exception: pass`` (an idempotent
#: re-run; looks up whether the index already exists and whether the history is certain of its table).
#: ``if-absent``: tables and columns are made under ``if not inspector.has_table(...)`` / ``if "c" not in [c["name"]
#: for c in inspector.get_columns(...)]`` (looks up whether the history already made them; a replay of the whole
#: history per guarded CREATE TABLE was quadratic before it was merged).
#: ``drop-if-exists``: every revision but a merge also runs ``DROP INDEX IF EXISTS`` of a legacy index the history
#: never made (asks lookback.never_made: is the history known from nothing, and does anything in it give that name).
#: ``drop-same-if-exists``: the same, with one name in every revision (``ALTER TABLE t1 DROP CONSTRAINT IF EXISTS
#: t1_legacy_check``): every revision's code names it, so each question reads the revisions that write it.
#: ``keyed-update``: every revision but a merge ends its upgrade with a one-row ``UPDATE t1 ... WHERE id = <n>``
#: (t1 has ``id`` as its primary key), in the transaction of its DDL, as tracecat records each ALTER in a catalog
#: table (asks lookback.table_keys: which keys the history leaves t1 with).
#: ``continuum``: every new table gets a SQLAlchemy-Continuum ``<t>_version`` twin, and the type changes become a
#: NOT NULL column added to a version table, made nullable in the next revision (asks lookback.table_columns: the
#: columns the history leaves the version table with).
#: ``enum-tables``: every new table has an ``sa.Enum(..., name="<t>_status")`` column, and its downgrade drops the
#: table but not the type (autogenerate's usual output on PostgreSQL; asks whether an earlier step made the type).
#: ``function-default``: the first revision makes an IMMUTABLE SQL function ``app_default()``, and the columns added
#: (with a default or not) get ``server_default=sa.text("app_default()")`` (asks which CREATE FUNCTION of it the
#: history ran last: the first revision's, a walk back through the whole history).
#: ``app-calls``: ``drop-if-exists``, and every revision but a merge also calls a helper of the application
#: (``helpers.touch_updated_at(op, "t1")``, imported in ``upgrade()``), which migcheck cannot follow (never_made asks
#: whether a call of the history may make the index).
#: These used to make lint super-linear in the history's length.
SHAPES = ("plain", "alter-type", "not-null", "validate-next", "guarded", "if-absent", "drop-if-exists",
          "drop-same-if-exists", "keyed-update", "continuum", "enum-tables", "function-default",
          "app-calls")


def revision_body(i: int, rng: random.Random, schema: Schema) -> tuple[str, list[str], list[str]]:
    """(message, upgrade lines, downgrade lines) for revision number ``i``."""
    tables = schema.tables
    kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
    if kind == "table" or not tables:
        name = f"t{i}"
        tables.append(name)
        create = [
            "op.create_table(",
            f'    "{name}",',
            '    sa.Column("id", sa.BigInteger(), primary_key=True),',
            '    sa.Column("name", sa.String(length=100), nullable=False),',
            '    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),',
            ")",
        ]
        if schema.shape == "enum-tables":
            create.insert(-1, f'    sa.Column("status", sa.Enum("new", "done", name="{name}_status"), nullable=True),')
        if schema.shape == "function-default" and i == 1:
            create.append('op.execute("CREATE FUNCTION app_default() RETURNS integer LANGUAGE sql IMMUTABLE '
                          'AS \'SELECT 0\'")')
        if schema.shape == "if-absent":
            create = [f'if not sa.inspect(op.get_bind()).has_table("{name}"):', *("    " + line for line in create)]
        if schema.shape == "continuum":
            create += [line.replace(f'"{name}"', f'"{name}_version"') for line in create[:-1]] + [
                '    sa.Column("transaction_id", sa.BigInteger(), nullable=False),',
                '    sa.Column("operation_type", sa.SmallInteger(), nullable=False),',
                ")",
            ]
        return (
            f"create table {name}",
            [*create, f'op.create_index("ix_{name}_name", "{name}", ["name"])'],
            [f'op.drop_index("ix_{name}_name", table_name="{name}")', f'op.drop_table("{name}")',
             *([f'op.drop_table("{name}_version")'] if schema.shape == "continuum" else [])],
        )
    table = rng.choice(tables)
    col = f"c{i}"
    if kind == "column":
        schema.columns.append((table, col))
        add = f'op.add_column("{table}", sa.Column("{col}", sa.Text(), nullable=True))'
        if schema.shape == "if-absent":
            return (f"add {table}.{col} if absent",
                    [f'if "{col}" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("{table}")]:',
                     f"    {add}"],
                    [f'op.drop_column("{table}", "{col}")'])
        return (f"add {table}.{col}", [add], [f'op.drop_column("{table}", "{col}")'])
    if kind in ("column", "default_column") and schema.shape == "function-default":
        if kind == "column":
            schema.columns.append((table, col))
        return (
            f"add {table}.{col} with a default from app_default()",
            [f'op.add_column("{table}", sa.Column("{col}", sa.Integer(), nullable={kind == "column"}, '
             f'server_default=sa.text("app_default()")))'],
            [f'op.drop_column("{table}", "{col}")'],
        )
    if kind == "default_column":
        return (
            f"add {table}.{col} with a default",
            [f'op.add_column("{table}", sa.Column("{col}", sa.Integer(), nullable=False, server_default="0"))'],
            [f'op.drop_column("{table}", "{col}")'],
        )
    if kind == "index" and schema.shape == "guarded":
        return (
            f"index {table}.name concurrently, if it is not there yet",
            [
                "with op.get_context().autocommit_block():",
                "    try:",
                f'        op.create_index("ix_{table}_{i}", "{table}", ["name"], postgresql_concurrently=True)',
                "    except Exception:",
                "        pass",
            ],
            [
                "with op.get_context().autocommit_block():",
                f'    op.drop_index("ix_{table}_{i}", table_name="{table}", postgresql_concurrently=True, if_exists=True)',
            ],
        )
    if kind == "index":
        return (
            f"index {table}.name concurrently",
            [
                "with op.get_context().autocommit_block():",
                f'    op.create_index("ix_{table}_{i}", "{table}", ["name"], postgresql_concurrently=True)',
            ],
            [
                "with op.get_context().autocommit_block():",
                f'    op.drop_index("ix_{table}_{i}", table_name="{table}", postgresql_concurrently=True)',
            ],
        )
    if kind == "sql":
        return (
            f"raw SQL on {table}",
            [f'op.execute("ALTER TABLE {table} ADD COLUMN {col} TEXT")',
             f'op.execute("COMMENT ON COLUMN {table}.{col} IS \'generated\'")'],
            [f'op.execute("ALTER TABLE {table} DROP COLUMN {col}")'],
        )
    if kind == "sql_block" and schema.shape == "validate-next":
        schema.pending = (
            f"validate ck_{table}_{i}",
            [f'op.execute("ALTER TABLE {table} VALIDATE CONSTRAINT ck_{table}_{i}")'],
            ["pass"],
        )
        return (
            f"check constraint on {table}, validated in the next revision",
            [f'op.execute("ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{i} CHECK (char_length(name) > 0) '
             f'NOT VALID")'],
            [f'op.drop_constraint("ck_{table}_{i}", "{table}", type_="check")'],
        )
    if kind == "sql_block":
        return (
            f"check constraint on {table}, validated separately",
            [
                'op.execute("""',
                f"    ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{i} CHECK (char_length(name) > 0) NOT VALID;",
                f"    ALTER TABLE {table} VALIDATE CONSTRAINT ck_{table}_{i};",
                '""")',
            ],
            [f'op.drop_constraint("ck_{table}_{i}", "{table}", type_="check")'],
        )
    if kind == "trigger":
        return (
            f"touch trigger on {table}",
            [
                'op.execute("""',
                f"    CREATE OR REPLACE FUNCTION touch_{table}_{i}() RETURNS trigger AS $$",
                "    BEGIN",
                "        NEW.name := trim(NEW.name);",
                "        RETURN NEW;",
                "    END;",
                "    $$ LANGUAGE plpgsql;",
                f"    CREATE TRIGGER trg_{table}_{i} BEFORE INSERT ON {table}",
                f"        FOR EACH ROW EXECUTE FUNCTION touch_{table}_{i}();",
                '""")',
            ],
            [f'op.execute("DROP TRIGGER trg_{table}_{i} ON {table}")',
             f'op.execute("DROP FUNCTION touch_{table}_{i}()")'],
        )
    if kind == "fk" and len(tables) > 1:
        other = rng.choice([t for t in tables if t != table])
        return (
            f"link {table} to {other}",
            [
                f'op.add_column("{table}", sa.Column("{other}_id", sa.BigInteger(), nullable=True))',
                f'op.create_foreign_key("fk_{table}_{other}_{i}", "{table}", "{other}", ["{other}_id"], ["id"])',
            ],
            [f'op.drop_constraint("fk_{table}_{other}_{i}", "{table}", type_="foreignkey")',
             f'op.drop_column("{table}", "{other}_id")'],
        )
    if kind == "rename":
        return (
            f"rename {table}.name",
            [f'op.alter_column("{table}", "name", new_column_name="name_{i}")',
             f'op.alter_column("{table}", "name_{i}", new_column_name="name")'],
            ["pass"],
        )
    if kind == "drop" and schema.columns:
        table, col = schema.columns.pop(rng.randrange(len(schema.columns)))
        return (
            f"drop obsolete column {table}.{col}",
            [f'op.drop_column("{table}", "{col}")'],
            [f'op.add_column("{table}", sa.Column("{col}", sa.Text(), nullable=True))'],
        )
    if kind == "backfill":
        return (
            f"backfill {table}",
            [
                "conn = op.get_bind()",
                f'conn.execute(sa.text("UPDATE {table} SET name = lower(name) WHERE id < 1000"))',
            ],
            ["pass"],
        )
    if kind == "bulk":
        return (
            f"seed {table}",
            [
                f'rows = sa.table("{table}", sa.column("id", sa.BigInteger()), sa.column("name", sa.String()))',
                f'op.bulk_insert(rows, [{{"id": {i}, "name": "seed"}}])',
            ],
            [f'op.execute("DELETE FROM {table} WHERE id = {i}")'],
        )
    if kind == "alter" and schema.shape == "alter-type":
        return (
            f"widen {table}.name",
            [f'op.alter_column("{table}", "name", type_=sa.String(length=200))'],
            [f'op.alter_column("{table}", "name", type_=sa.String(length=100))'],
        )
    if kind == "alter" and schema.shape == "continuum":
        version = f"{table}_version"
        schema.pending = (
            f"relax {version}.{col}",
            [f'op.alter_column("{version}", "{col}", existing_type=sa.Text(), nullable=True)'],
            [f'op.alter_column("{version}", "{col}", existing_type=sa.Text(), nullable=False)'],
        )
        return (
            f"add {version}.{col}",
            [f'op.add_column("{version}", sa.Column("{col}", sa.Text(), nullable=False, server_default=""))'],
            [f'op.drop_column("{version}", "{col}")'],
        )
    if kind == "alter" and schema.shape == "not-null" and schema.columns:
        table, col = schema.columns[i % len(schema.columns)]  # no draw from rng: the rest stays as in plain
        return (
            f"make {table}.{col} NOT NULL",
            [f'op.alter_column("{table}", "{col}", nullable=False)'],
            [f'op.alter_column("{table}", "{col}", nullable=True)'],
        )
    if kind == "alter":
        return (
            f"widen {table}.name",
            [f'op.alter_column("{table}", "name", type_=sa.String(length=200), existing_type=sa.String(length=100))'],
            [f'op.alter_column("{table}", "name", type_=sa.String(length=100), existing_type=sa.String(length=200))'],
        )
    if kind == "batch":
        return (
            f"batch changes on {table}",
            [
                f'with op.batch_alter_table("{table}") as batch_op:',
                f'    batch_op.add_column(sa.Column("{col}", sa.Boolean(), nullable=True))',
                f'    batch_op.create_index("ix_{table}_{col}", ["{col}"])',
            ],
            [
                f'with op.batch_alter_table("{table}") as batch_op:',
                f'    batch_op.drop_index("ix_{table}_{col}")',
                f'    batch_op.drop_column("{col}")',
            ],
        )
    # risky: the changes migcheck exists to catch
    return (
        f"risky change on {table}",
        [
            f'op.add_column("{table}", sa.Column("{col}", sa.Integer(), nullable=False))',
            f'op.create_index("ix_{table}_{col}", "{table}", ["{col}"])',
        ],
        [f'op.drop_index("ix_{table}_{col}", table_name="{table}")', f'op.drop_column("{table}", "{col}")'],
    )


def generate(count: int, target: Path, seed: int = 7, shape: str = "plain") -> Path:
    """Write an Alembic project with ``count`` revisions (linear but for a merge now and then); returns it."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
    if target.exists():
        shutil.rmtree(target)
    versions = target / "migrations" / "versions"
    versions.mkdir(parents=True)
    (target / "alembic.ini").write_text(ALEMBIC_INI)
    (target / "migrations" / "env.py").write_text(ENV_PY)
    rng = random.Random(seed)
    schema = Schema(shape=shape)
    heads: list[str] = []
    i = 0
    while i < count:
        i += 1
        rev = f"{i:05d}{rng.getrandbits(32):08x}"
        if len(heads) > 1:  # join the two branches
            down: str | tuple[str, ...] | None = tuple(heads)
            message, up, back = "merge branches", ["pass"], ["pass"]
            before = schema
        elif schema.pending is not None:  # the shape's follow-up revision
            down = heads[0] if heads else None
            before = schema.copy()
            (message, up, back), schema.pending = schema.pending, None
        else:
            down = heads[0] if heads else None
            before = schema.copy()
            message, up, back = revision_body(i, rng, schema)
        _write(versions, rev, down, message, _legacy_drop(rev, up, shape), back)
        heads = [rev]
        if i % BRANCH_EVERY == 0 and i + 2 <= count:  # a second revision on the same parent, merged next
            i += 1
            branch = f"{i:05d}{rng.getrandbits(32):08x}"
            # the sibling sees the schema of its parent; what it creates is not reused afterwards
            message, up, back = revision_body(i, rng, before)
            before.pending = None  # a follow-up of the sibling is not written
            _write(versions, branch, down, message, _legacy_drop(branch, up, shape), back)
            heads = [rev, branch]
    return target


#: Every so often two revisions share a parent, and the next revision merges them (as in real teams).
BRANCH_EVERY = 97


def _legacy_drop(rev: str, up: list[str], shape: str) -> list[str]:
    """The ``drop-if-exists``, ``keyed-update`` and ``app-calls`` shapes' lines, added to a revision's upgrade (not to a merge's
    ``pass``)."""
    if shape not in ("drop-if-exists", "drop-same-if-exists", "keyed-update", "app-calls") or up == ["pass"]:
        return up
    if shape == "app-calls":
        return ["from myapp.db import helpers", *up, f'op.execute("DROP INDEX IF EXISTS ix_legacy_{rev}")',
                'helpers.touch_updated_at(op, "t1")']
    if shape == "keyed-update":
        return [*up, f'op.execute("UPDATE t1 SET name = \'{rev}\' WHERE id = {int(rev[:5])}")']
    if shape == "drop-same-if-exists":
        return [*up, 'op.execute("ALTER TABLE t1 DROP CONSTRAINT IF EXISTS t1_legacy_check")']
    return [*up, f'op.execute("DROP INDEX IF EXISTS ix_legacy_{rev}")']


def _write(versions: Path, rev: str, down: str | tuple[str, ...] | None, message: str, up: list[str],
           back: list[str]) -> None:
    down_text = ", ".join(down) if isinstance(down, tuple) else (down or "")
    (versions / f"{rev}_{message.split()[0]}.py").write_text(
        HEADER.format(message=message, rev=rev, down=down_text, down_repr=repr(down),
                      upgrade=_indent(up), downgrade=_indent(back))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("target", type=Path)
    parser.add_argument("--shape", choices=SHAPES, default="plain",
                        help="history shape: plain, or one that used to make lint super-linear")
    args = parser.parse_args()
    generate(args.count, args.target, shape=args.shape)
    print(f"wrote {args.count} revisions ({args.shape}) to {args.target}")


if __name__ == "__main__":
    main()
