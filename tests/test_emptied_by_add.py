"""An ADD COLUMN NOT NULL without a default proves the table empty for the steps after it on PostgreSQL
(held-out-16 #24, held-out-14 #47, held-out-13 #78, #79): the ADD COLUMN stays reported, each of several;
a later drop keeps its finding but claims no data loss; a DELETE before the ADD still leaves its rows to an
index build; MySQL and SQLite prove nothing by it. The per-rule safe cases and twins are under
fixtures/rules/*/safe_after_not_null_add.py and bad_rows_written_after_not_null_add.py."""

from __future__ import annotations

from conftest import FIXTURES, run_cli

CASE = FIXTURES / "emptied_by_add" / "0002_rebuild.py"


def _findings(*args: str) -> list[dict[str, object]]:
    run = run_cli("lint", CASE, "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return list(run.json()["findings"])


def test_every_not_null_add_stays_reported() -> None:
    found = _findings("--select", "add-not-null-column-without-default")
    assert sorted(f["line"] for f in found) == [15, 16]  # the DELETE before line 19 lets that ADD succeed


def test_a_drop_after_it_breaks_the_running_release_but_loses_no_data() -> None:
    (drop,) = _findings("--select", "drop-column")
    message = str(drop["message"])
    assert drop["line"] == 17
    assert "the table is empty when it runs (the ADD COLUMN can_write NOT NULL without a default at line 16" in message
    assert "no data is lost" in message and "data is lost" not in message.replace("no data is lost", "")
    assert "the application version still running during the deploy fails" in message


def test_an_index_after_a_delete_and_an_add_still_reads_the_deleted_rows() -> None:
    (index,) = _findings("--select", "create-index-not-concurrently")
    assert index["line"] == 20
    assert "the DELETE FROM grant_log at line 18 empties it only for queries" in str(index["message"])


def test_mysql_and_sqlite_prove_nothing_by_it() -> None:
    """MySQL fills an implicit default (the ADD succeeds on rows), SQLite refuses it whatever the rows: the
    drop's data loss stays claimed there."""
    for dialect in ("mysql", "sqlite"):
        (drop,) = _findings("--select", "drop-column", "--dialect", dialect)
        assert "its data is lost" in str(drop["message"]), dialect
