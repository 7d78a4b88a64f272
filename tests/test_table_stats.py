"""``migcheck stats`` and ``table-stats``: severities from the real size of each table.

The snapshots are taken from real servers (the PostgreSQL 15 and MariaDB services, embedded
PostgreSQL 18) holding tables of known sizes that each test creates and drops itself.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from conftest import run_cli

LARGE_ROWS = 200_000

INDEX_REVISION = '''\
"""index three tables"""
from alembic import op

revision = "b2"
down_revision = "a1"


def upgrade():
    op.create_index("ix_orders_user", "orders", ["user_id"])
    op.create_index("ix_products_name", "products", ["name"])
    op.create_index("ix_unknown_x", "unknown_table", ["x"])
    op.drop_table("products_archive")


def downgrade():
    pass
'''

BASE_REVISION = '''\
"""base"""
revision = "a1"
down_revision = None


def upgrade():
    pass


def downgrade():
    pass
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1_base.py").write_text(BASE_REVISION, encoding="utf-8")
    (versions / "b2_index.py").write_text(INDEX_REVISION, encoding="utf-8")
    return tmp_path


@contextlib.contextmanager
def _database(server_url: str, prefix: str) -> Iterator[str]:
    """A database of this test's own on a shared server, dropped afterwards."""
    url = make_url(server_url)
    name = f"{prefix}{secrets.token_hex(5)}"
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    quote = "`" if url.get_backend_name() == "mysql" else '"'
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}"))
        admin.dispose()


def _fill(db_url: str) -> None:
    """products: 40 rows; orders: LARGE_ROWS rows; an alembic_version at a1."""
    engine = create_engine(db_url, poolclass=NullPool)
    mysql = engine.dialect.name == "mysql"
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE products (id integer primary key, name varchar(20))"))
        conn.execute(text("CREATE TABLE orders (id bigint primary key, user_id integer, note varchar(60))"))
        conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) primary key)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('a1')"))
        if mysql:
            conn.execute(text("INSERT INTO products SELECT seq, 'p' FROM seq_1_to_40"))
            conn.execute(text(f"INSERT INTO orders SELECT seq, seq % 1000, REPEAT('x', 50) FROM seq_1_to_{LARGE_ROWS}"))
        else:
            conn.execute(text("INSERT INTO products SELECT g, 'p' FROM generate_series(1, 40) g"))
            conn.execute(text(f"INSERT INTO orders SELECT g, g % 1000, repeat('x', 50) "
                              f"FROM generate_series(1, {LARGE_ROWS}) g"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if mysql:
            conn.execute(text("ANALYZE TABLE products, orders"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def _findings(run: Any) -> dict[str, dict[str, Any]]:
    by_table = {}
    for f in run.json()["findings"]:
        if f["rule"] == "create-index-not-concurrently":
            by_table[f["message"].split(" on existing table ")[1].split(" ")[0]] = f
    return by_table


def _write_config(project: Path, snapshot: Path) -> None:
    (project / "pyproject.toml").write_text(textwrap.dedent(f'''\
        [tool.migcheck]
        table-stats = "{snapshot.name}"
        large-table-rows = 100000
        '''), encoding="utf-8")


def _check_lint(project: Path, snapshot: Path) -> None:
    _write_config(project, snapshot)
    run = run_cli("lint", project / "versions", "--config", project / "pyproject.toml", "--format", "json")
    assert run.exit_code == 1, run.stderr
    found = _findings(run)
    assert found["products"]["severity"] == "info"
    assert "products has ~40 rows" in found["products"]["message"]
    assert "the lock lasts milliseconds" in found["products"]["message"]
    assert found["orders"]["severity"] == "error"
    assert "a large table" in found["orders"]["message"] and " k rows" in found["orders"]["message"]
    # Not in the snapshot: today's severity, no size claimed.
    assert found["unknown_table"]["severity"] == "error" and "rows" not in found["unknown_table"]["message"]
    # Size does not change what dropped data is.
    dropped = [f for f in run.json()["findings"] if f["rule"] == "drop-table"]
    assert dropped and dropped[0]["severity"] == "error"


@pytest.mark.parametrize("server", ["postgres_service_url", "embedded_pg_url", "mariadb_service_url"])
def test_stats_from_a_real_server_drive_lint_severities(
    server: str, request: pytest.FixtureRequest, project: Path
) -> None:
    server_url = request.getfixturevalue(server)
    with _database(server_url, "mcstats_") as db_url:
        _fill(db_url)
        snapshot = project / "migcheck-stats.json"
        run = run_cli("stats", "--db-url", db_url, "-o", snapshot)
        assert run.exit_code == 0, run.stderr
        assert "Wrote" in run.stdout
        document = json.loads(snapshot.read_text())
        tables = {t["name"]: t for t in document["tables"]}
        assert set(tables) >= {"products", "orders", "alembic_version"}
        assert document["alembic_heads"] == ["a1"]
        if "mariadb" in server:
            assert document["server"].startswith("MariaDB 10.")
            # InnoDB's TABLE_ROWS is an estimate from sampled pages.
            assert LARGE_ROWS * 0.5 <= tables["orders"]["rows"] <= LARGE_ROWS * 1.5
        else:
            assert document["server"].startswith("PostgreSQL 1")
            assert tables["orders"]["rows"] == LARGE_ROWS and tables["products"]["rows"] == 40
        assert tables["orders"]["table_bytes"] > 5_000_000
        # InnoDB clusters rows on the primary key: INDEX_LENGTH counts secondary indexes only.
        assert tables["orders"]["index_bytes"] >= (0 if "mariadb" in server else 1)
        assert tables["products"]["table_bytes"] < 1_000_000
        _check_lint(project, snapshot)


def _snapshot(path: Path, tables: list[dict[str, Any]], heads: list[str] | None = None,
              age_days: int = 1) -> Path:
    taken = datetime.now(timezone.utc) - timedelta(days=age_days)
    path.write_text(json.dumps({
        "migcheck_table_stats": 1, "taken_at": taken.isoformat(), "server": "PostgreSQL 15.4",
        "dialect": "postgresql", "default_schema": "public", "alembic_heads": heads, "tables": tables,
    }), encoding="utf-8")
    return path


def _table(name: str, rows: int, table_bytes: int) -> dict[str, Any]:
    return {"schema": "public", "name": name, "rows": rows, "table_bytes": table_bytes, "index_bytes": 0}


def test_every_output_format_shows_the_size_that_decided(project: Path) -> None:
    snapshot = _snapshot(project / "s.json", [_table("products", 40, 16384), _table("orders", 50_000_000, 22 << 30)])
    args = ["lint", project / "versions", "--table-stats", snapshot, "--no-config"]
    text_run = run_cli(*args)
    assert "public.products has ~40 rows" in text_run.stdout
    assert "public.orders has ~50 M rows, 22 GB" in text_run.stdout
    assert "one pass over the heap alone takes about 2 min at 200 MB/s" in text_run.stdout
    for fmt in ("sarif", "markdown", "github", "json"):
        out = run_cli(*args, "--format", fmt).stdout
        assert "50 M rows" in out, fmt
    sarif = json.loads(run_cli(*args, "--format", "sarif").stdout)
    levels = {r["message"]["text"].split(" on existing table ")[1].split(" ")[0]: r["level"]
              for r in sarif["runs"][0]["results"] if r["ruleId"] == "create-index-not-concurrently"}
    assert levels == {"orders": "error", "products": "note", "unknown_table": "error"}


def test_tables_created_after_the_snapshot_keep_their_severity_and_renames_are_followed(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1.py").write_text(BASE_REVISION, encoding="utf-8")
    (versions / "b2.py").write_text(textwrap.dedent('''\
        from alembic import op
        import sqlalchemy as sa
        revision = "b2"
        down_revision = "a1"
        def upgrade():
            op.rename_table("legacy_orders", "orders")
            op.drop_table("products")
            op.create_table("products", sa.Column("id", sa.Integer, primary_key=True))
        def downgrade():
            pass
        '''), encoding="utf-8")
    (versions / "c3.py").write_text(textwrap.dedent('''\
        from alembic import op
        revision = "c3"
        down_revision = "b2"
        def upgrade():
            op.create_index("ix_orders_user", "orders", ["user_id"])
            op.create_index("ix_products_name", "products", ["name"])
        def downgrade():
            pass
        '''), encoding="utf-8")
    snapshot = _snapshot(tmp_path / "s.json", [_table("legacy_orders", 10, 8192), _table("products", 10, 8192)],
                         heads=["a1"])
    run = run_cli("lint", versions, "--table-stats", snapshot, "--no-config", "--format", "json")
    found = _findings(run)
    # orders is legacy_orders renamed after the snapshot: its size follows it.
    assert found["orders"]["severity"] == "info" and "public.legacy_orders has ~10 rows" in found["orders"]["message"]
    # products was dropped and created again after the snapshot: the snapshot's size is not its size.
    assert found["products"]["severity"] == "error" and "rows" not in found["products"]["message"]


def test_a_severity_the_user_set_wins_over_the_size(project: Path) -> None:
    snapshot = _snapshot(project / "s.json", [_table("products", 40, 16384)])
    (project / "pyproject.toml").write_text(
        '[tool.migcheck]\ntable-stats = "s.json"\n[tool.migcheck.severity]\n"create-index-not-concurrently" = "error"\n',
        encoding="utf-8")
    run = run_cli("lint", project / "versions", "--config", project / "pyproject.toml", "--format", "json")
    assert _findings(run)["products"]["severity"] == "error"
    assert "products has ~40 rows" in _findings(run)["products"]["message"]
    assert snapshot.exists()


def test_an_old_snapshot_gets_one_note(project: Path) -> None:
    snapshot = _snapshot(project / "s.json", [_table("products", 40, 16384)], age_days=120)
    run = run_cli("lint", project / "versions", "--table-stats", snapshot, "--no-config")
    notes = [line for line in run.stderr.splitlines() if "days old" in line]
    assert len(notes) == 1 and "120 days old" in notes[0] and "migcheck stats" in notes[0]
    fresh = _snapshot(project / "t.json", [_table("products", 40, 16384)], age_days=10)
    assert "days old" not in run_cli("lint", project / "versions", "--table-stats", fresh, "--no-config").stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "table stats file not found"),
        ("{not json", "is not valid JSON"),
        ('{"tables": []}', "is not a migcheck table-stats file"),
        ('{"migcheck_table_stats": 1, "taken_at": "yesterday", "tables": []}', "taken_at must be"),
        ('{"migcheck_table_stats": 1, "taken_at": "2026-01-01", "tables": [{"name": "t", "rows": "many"}]}',
         "rows must be a non-negative number"),
    ],
)
def test_a_bad_snapshot_is_one_line_and_exit_2(project: Path, content: str | None, says: str) -> None:
    snapshot = project / "s.json"
    if content is not None:
        snapshot.write_text(content, encoding="utf-8")
    run = run_cli("lint", project / "versions", "--table-stats", snapshot, "--no-config")
    assert run.exit_code == 2
    assert says in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "url",
    ["postgresql://reader:hunter2@127.0.0.1:1/app", "postgresql://reader:hunter2@@bad:port/app",
     "mysql://reader:hunter2@127.0.0.1:1/app"],
)
def test_stats_errors_are_one_line_with_the_password_masked(tmp_path: Path, url: str) -> None:
    out = tmp_path / "s.json"
    run = run_cli("stats", "--db-url", url, "-o", out)
    assert run.exit_code == 2
    assert "hunter2" not in run.stderr and "***" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_stats_with_too_few_privileges_is_one_line(postgres_service_url: str, tmp_path: Path) -> None:
    """A role that cannot even connect to the database gets the server's reason, masked."""
    with _database(postgres_service_url, "mcstats_") as db_url:
        role = f"mcstats_{secrets.token_hex(4)}"
        admin = create_engine(postgres_service_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        name = make_url(db_url).database
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'pw_{role}'"))
            conn.execute(text(f'REVOKE CONNECT ON DATABASE "{name}" FROM PUBLIC'))
        try:
            url = make_url(db_url).set(username=role, password=f"pw_{role}").render_as_string(hide_password=False)
            run = run_cli("stats", "--db-url", url, "-o", tmp_path / "s.json")
            assert run.exit_code == 2
            assert "permission denied" in run.stderr and f"pw_{role}" not in run.stderr
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            admin.dispose()


def test_init_offers_table_stats(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1.py").write_text(BASE_REVISION, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    run = run_cli("init", versions)
    assert run.exit_code == 0, run.stderr
    written = (tmp_path / "pyproject.toml").read_text()
    assert '# table-stats = "migcheck-stats.json"' in written and "migcheck stats --db-url" in written


def test_every_size_dependent_rule_exists() -> None:
    from migcheck.rules.registry import all_rules
    from migcheck.run.tablesizes import SIZE_DEPENDENT_RULES

    assert {r.id for r in all_rules()} >= SIZE_DEPENDENT_RULES


VERIFY_REVISIONS = {
    "a1_tables.py": '''
        from alembic import op
        import sqlalchemy as sa
        revision = "a1"
        down_revision = None
        def upgrade():
            op.create_table("products", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text))
            op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.Text))
        def downgrade():
            op.drop_table("orders")
            op.drop_table("products")
        ''',
    "b2_index.py": '''
        from alembic import op
        revision = "b2"
        down_revision = "a1"
        def upgrade():
            op.create_index("ix_products_name", "products", ["name"])
            op.create_index("ix_orders_note", "orders", ["note"])
        def downgrade():
            op.drop_index("ix_orders_note", table_name="orders")
            op.drop_index("ix_products_name", table_name="products")
        ''',
}


def test_verify_reads_the_snapshot_too(tmp_path: Path, postgres_service_url: str) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, body in VERIFY_REVISIONS.items():
        (versions / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    snapshot = _snapshot(tmp_path / "s.json", [_table("products", 40, 16384), _table("orders", 48_000_000, 21 << 30)],
                         heads=["a1"])
    args = ["verify", versions, "--db-url", postgres_service_url, "--no-config", "--format", "json"]
    plain = run_cli(*args)
    assert plain.exit_code in (0, 1), plain.stderr
    locks = {f["message"]: f for f in plain.json()["findings"] if f["rule"] == "dangerous-lock"}
    assert len(locks) == 2, plain.stdout
    sized = run_cli(*args, "--table-stats", snapshot)
    by_table = {("products" if "products" in f["message"] else "orders"): f
                for f in sized.json()["findings"] if f["rule"] == "dangerous-lock"}
    assert by_table["products"]["severity"] == "info" and "~40 rows" in by_table["products"]["message"]
    assert by_table["orders"]["severity"] == locks[next(m for m in locks if "orders" in m)]["severity"]
    assert "~48 M rows" in by_table["orders"]["message"] and "a large table" in by_table["orders"]["message"]
    bad = run_cli("verify", versions, "--db-url", postgres_service_url, "--table-stats", tmp_path / "nope.json")
    assert bad.exit_code == 2 and "table stats file not found" in bad.stderr


def _replayed_per_revision(linted: list[Any], graph: Any, heads: tuple[str, ...]) -> tuple[dict, dict]:
    """The definition, written plainly: replay every unapplied ancestor of each revision, in order."""
    from migcheck.vocabulary.changes import CreateTable, DropTable, RenameTable

    applied: set[str] = set()
    for head in heads:
        applied |= graph.ancestors(head) | {head}
    order = {m.revision: i for i, m in enumerate(graph.upgrade_order())}
    unknown, renamed = {}, {}
    for migration in linted:
        if migration.revision in applied:
            continue
        between = [r for r in graph.ancestors(migration.revision) if r not in applied]
        created: set[str] = set()
        names: dict[str, str] = {}
        for other in sorted(between, key=order.__getitem__):
            for change in graph.by_id[other].upgrade_changes:
                if isinstance(change, CreateTable):
                    created.add(change.table)
                    names.pop(change.table, None)
                elif isinstance(change, RenameTable):
                    if change.table in created:
                        created.discard(change.table)
                        created.add(change.new_name)
                    else:
                        names[change.new_name] = names.pop(change.table, change.table)
                elif isinstance(change, DropTable):
                    created.discard(change.table)
                    names.pop(change.table, None)
        unknown[migration.revision], renamed[migration.revision] = created, names
    return unknown, renamed


@pytest.mark.parametrize("seed", range(40))
def test_the_folded_replay_agrees_with_replaying_each_revision(seed: int) -> None:
    """since_snapshot folds the replay once along the history (linear on long histories against an
    old snapshot; it replayed every revision's ancestors again before); on random histories with
    branches, merges, renames and drops it must give what the plain replay gives."""
    import random

    from migcheck.run.tablesizes import since_snapshot
    from migcheck.vocabulary.changes import CreateTable, DropTable, RenameTable
    from migcheck.vocabulary.graph import RevisionGraph
    from migcheck.vocabulary.revision import Body, Migration

    rng = random.Random(seed)
    names = [f"t{i}" for i in range(6)]
    migrations: list[Migration] = []
    for i in range(rng.randint(5, 40)):
        revs = [m.revision for m in migrations]
        parents = tuple(rng.sample(revs, k=min(len(revs), rng.choice([1, 1, 1, 2])))) if revs else ()
        changes: list[Any] = []
        for _ in range(rng.randint(0, 3)):
            kind, a, b = rng.choice(["create", "rename", "drop"]), rng.choice(names), rng.choice(names)
            if kind == "create":
                changes.append(CreateTable(line=1, table=a, columns=[]))
            elif kind == "rename":
                changes.append(RenameTable(line=1, table=a, new_name=b))
            else:
                changes.append(DropTable(line=1, table=a))
        migrations.append(Migration(path=Path(f"r{i}.py"), revision=f"r{i}", down_revisions=parents,
                                    upgrade=Body(line=1, changes=changes)))
    graph = RevisionGraph.build(migrations)
    heads = (rng.choice(migrations).revision,)
    linted = rng.sample(migrations, k=rng.randint(1, len(migrations)))
    assert since_snapshot(linted, graph, heads) == _replayed_per_revision(linted, graph, heads)


def test_a_snapshot_symlinked_out_of_the_project_is_not_read(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A pull request's config can name a committed symlink to any file the CI runner can read."""
    outside = tmp_path_factory.mktemp("outside") / "secret.json"
    _snapshot(outside, [_table("products", 40, 16384)], age_days=1)
    (project / "s.json").symlink_to(outside)
    run = run_cli("lint", project / "versions", "--table-stats", project / "s.json", "--no-config")
    assert run.exit_code == 2 and run.stderr.count("\n") == 1
    assert "not read: a symlink to" in run.stderr and "outside the project" in run.stderr


def test_a_snapshot_in_a_symlinked_folder_out_of_the_project_is_not_read(
        project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The project is found from where the file is named, not from the folder a symlinked directory leads to:
    ``ops -> /elsewhere`` and ``table-stats = "ops/snap.json"`` must not read /elsewhere/snap.json."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    outside = tmp_path_factory.mktemp("outside")
    _snapshot(outside / "snap.json", [_table("products", 40, 16384)], age_days=1)
    (project / "ops").symlink_to(outside, target_is_directory=True)
    (project / "pyproject.toml").write_text('[tool.migcheck]\ntable-stats = "ops/snap.json"\n', encoding="utf-8")
    run = run_cli("lint", project / "versions")
    assert run.exit_code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "not read: a symlink to" in run.stderr and "outside the project" in run.stderr


def test_a_symlinked_folder_leading_into_another_checkout_is_not_the_project(
        project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """``ops -> /elsewhere/other-checkout``: the checkout found through the link is the link's target, not the
    project the setting was written in."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    other = tmp_path_factory.mktemp("other-checkout")
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    _snapshot(other / "snap.json", [_table("products", 40, 16384)], age_days=1)
    (project / "ops").symlink_to(other, target_is_directory=True)
    run = run_cli("lint", project / "versions", "--table-stats", project / "ops" / "snap.json", "--no-config")
    assert run.exit_code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "not read: a symlink to" in run.stderr and "outside the project" in run.stderr


def test_verify_follows_a_rename_since_the_snapshot(tmp_path: Path, postgres_service_url: str) -> None:
    """verify reads revision files header-only; table stats still see what their bodies rename."""
    versions = tmp_path / "versions"
    versions.mkdir()
    revisions = {
        "a1.py": ('"a1"', "None", 'op.create_table("products", sa.Column("id", sa.Integer, primary_key=True), '
                  'sa.Column("name", sa.Text))', 'op.drop_table("products")'),
        "b2.py": ('"b2"', '"a1"', 'op.rename_table("products", "items")', 'op.rename_table("items", "products")'),
        "c3.py": ('"c3"', '"b2"', 'op.create_index("ix_items_name", "items", ["name"])',
                  'op.drop_index("ix_items_name", table_name="items")'),
    }
    for name, (rev, down, up, back) in revisions.items():
        (versions / name).write_text(
            f"from alembic import op\nimport sqlalchemy as sa\nrevision = {rev}\ndown_revision = {down}\n"
            f"def upgrade():\n    {up}\ndef downgrade():\n    {back}\n", encoding="utf-8")
    snapshot = _snapshot(tmp_path / "s.json", [_table("products", 48_000_000, 21 << 30)], heads=["a1"])
    sized = run_cli("verify", versions, "--db-url", postgres_service_url, "--no-config", "--format", "json",
                    "--table-stats", snapshot)
    assert sized.exit_code in (0, 1), sized.stderr
    locks = [f for f in sized.json()["findings"] if f["rule"] == "dangerous-lock"]
    assert len(locks) == 1 and "items" in locks[0]["message"], sized.stdout
    assert "~48 M rows" in locks[0]["message"], locks[0]["message"]
