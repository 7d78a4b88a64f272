"""Wrong or missed against PostgreSQL itself (issue #16): what migcheck said that PostgreSQL contradicts."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


def lint(path: Path, *args: str) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    findings: list[dict[str, object]] = run.json()["findings"]
    return findings


def test_offline_downgrade_sql_belongs_to_the_revision_it_undoes(tmp_path: Path) -> None:
    """`-- Running downgrade a044 -> a043` undoes a044: a finding there is a044's, not a043's."""
    sql = tmp_path / "down.sql"
    sql.write_text(
        "BEGIN;\n\n-- Running downgrade a044 -> a043\n\nDROP INDEX CONCURRENTLY ix_tills_drawer;\n\n"
        "UPDATE alembic_version SET version_num='a043' WHERE alembic_version.version_num = 'a044';\n\n"
        "-- Running upgrade a042 -> a043\n\nDROP INDEX CONCURRENTLY ix_tills_float;\n\nCOMMIT;\n")
    found = [(f["rule"], f["revision"], f["line"]) for f in lint(sql, "--select", "concurrent-index-in-transaction")]
    assert found == [("concurrent-index-in-transaction", "a044", 5),
                     ("concurrent-index-in-transaction", "a043", 11)]


def test_reindex_system_is_not_offered_a_concurrent_form_postgresql_refuses(tmp_path: Path) -> None:
    """PostgreSQL 15: `REINDEX SYSTEM CONCURRENTLY` fails with 'cannot reindex system catalogs concurrently'."""
    sql = tmp_path / "reindex.sql"
    sql.write_text("REINDEX SYSTEM shop;\nREINDEX TABLE tills;\n")
    found = {f["line"]: f for f in lint(sql, "--select", "reindex-not-concurrently")}
    assert "REINDEX SYSTEM CONCURRENTLY" not in str(found[1]["fix"])
    assert "REINDEX SYSTEM has no CONCURRENTLY form" in str(found[1]["fix"])
    assert 'REINDEX TABLE CONCURRENTLY tills' in str(found[2]["fix"])
