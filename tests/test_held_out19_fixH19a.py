"""Held-out-19 (issue #16, precision): what each finding of the fixed patterns now says, on the fixtures of
fixtures/rules/ (rule, file, line, severity and message; the fixture tests check only rule, file and line)."""

from __future__ import annotations

from pathlib import Path

from conftest import findings_of, run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def _lint(path: Path, rule: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--no-config", "--dialect", "postgresql", "--format", "json", "--select", rule,
                  "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, findings_of(run, rule)


def test_an_index_on_a_materialized_view_says_reads_go_on_and_refresh_waits() -> None:
    """#30: no write reaches a materialized view and its SHARE lock lets reads go on; a REFRESH waits, and a plain
    one waiting holds up the reads behind it (checked on PostgreSQL 15): a warning that says so, not the error."""
    rule = "create-index-not-concurrently"
    code, found = _lint(FIXTURES / rule / "bad_index_on_materialized_view", rule)
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"], f["severity"]) for f in found] == [
        ("0002_unique.py", 11, "warning")]
    message = str(found[0]["message"])
    assert "materialized view repo_pr_counts" in message and "reads of the view go on" in message
    assert "REFRESH" in message and "INSERT" not in message
    # unnamed in SQL: the fix names it as PostgreSQL would (CREATE UNIQUE INDEX ON t (c) is t_c_idx)
    assert 'op.create_index("repo_pr_counts_repo_id_idx", "repo_pr_counts"' in str(found[0]["fix"])


def test_a_partition_name_built_at_run_time_keeps_its_literal_part(tmp_path: Path) -> None:
    """#60: ``partition = f"readings_{month}"`` then ``f"... ATTACH PARTITION {partition} ..."``: the statement names
    ``readings_{…}``, not a bare ``{…}``, and is still SQL built from a run-time value."""
    from migcheck.sources.load import load_python
    from migcheck.vocabulary.changes import RawSQL

    path = tmp_path / "0001_attach.py"
    path.write_text('revision = "0001"\ndown_revision = None\nfrom alembic import op\n\n\ndef upgrade():\n'
                    '    for month in months():\n'
                    '        partition = f"readings_{month}"\n'
                    '        op.execute(f"ALTER TABLE readings ATTACH PARTITION {partition} FOR VALUES IN (1)")\n')
    migration = load_python(path, "postgresql")
    assert migration is not None
    [change] = migration.upgrade_changes
    assert isinstance(change, RawSQL) and change.interpolated
    assert change.sql == "ALTER TABLE readings ATTACH PARTITION readings_{…} FOR VALUES IN (1)"


def test_tables_attached_as_partitions_are_left_to_their_parent() -> None:
    """#60-#64: month tables attached (by name, or by a loop over run-time names) get no json finding of their own;
    the parent and a table beside them whose name is no numbered partition's are still reported."""
    rule = "json-instead-of-jsonb"
    code, found = _lint(FIXTURES / rule / "safe_monthly_partitions", rule)
    assert (code, found) == (0, [])
    code, found = _lint(FIXTURES / rule / "bad_monthly_partitions", rule)
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [("0001_readings.py", 10), ("0001_readings.py", 15)]
    assert [str(f["message"]).split(" is ")[0] for f in found] == ["column readings.extra", "column readings_latest.extra"]


def test_a_key_after_a_delete_under_the_same_if_says_what_the_delete_leaves() -> None:
    """#17, #18: ``DELETE FROM t`` and the key under the same ``if upgrade:`` (the key runs only where the DELETE
    ran): the finding stays, as after any DELETE without WHERE (emptied.py), and says what is true: the lock is held
    since the DROP COLUMN before it, and the build reads and indexes the deleted rows still in the pages."""
    rule = "add-primary-key-to-existing-table"
    code, found = _lint(FIXTURES / rule / "bad_deleted_under_the_same_if.py", rule)
    assert code == 1
    assert [f["line"] for f in found] == [17, 25]
    message = str(found[0]["message"])
    assert "(held since the DROP COLUMN at line 15; this step keeps it longer)" in message
    assert "the DELETE FROM contributors at line 14 empties it only for queries" in message
    assert "puts each into the index" in message and "TRUNCATE it instead" in str(found[0]["fix"])
    assert "DELETE" not in str(found[1]["message"]) and "held since" not in str(found[1]["message"])
