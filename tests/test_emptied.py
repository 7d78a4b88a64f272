"""Tables emptied earlier in the same transaction (rules/emptied.py): which steps empty a table, and what the
scan rules say after a DELETE without WHERE, whose rows stay in the pages the scan reads (held-out-14 #19,
#114), against a TRUNCATE, after which they stay silent."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, run_cli
from migcheck.rules.history_index import emptied_tables, empties
from migcheck.vocabulary.changes import DataChange, DropTable, RawSQL

RULES = FIXTURES / "rules"


def _delete(table: str, schema: str | None = None, has_where: bool | None = False) -> DataChange:
    return DataChange(action="delete", table=table, schema=schema, has_where=has_where, line=1)


def _truncate(text: str) -> RawSQL:
    return RawSQL(text=text, keyword="TRUNCATE", line=1)


def test_the_steps_that_empty_a_table() -> None:
    """A DELETE without WHERE empties its table, in its schema (``public`` is the default one); a TRUNCATE
    every table it names; a DELETE with a WHERE or one migcheck cannot read empties none."""
    assert emptied_tables(_delete("Notice")) == {(None, "notice")}
    assert emptied_tables(_delete("notice", "public")) == {(None, "notice")}
    assert emptied_tables(_delete("notice", "archive")) == {("archive", "notice")}
    assert emptied_tables(_delete("notice", has_where=True)) == set()
    assert emptied_tables(_delete("notice", has_where=None)) == set()
    assert emptied_tables(_truncate("TRUNCATE TABLE a, archive.b, \"C\" RESTART IDENTITY CASCADE")) == {
        (None, "a"), ("archive", "b"), (None, "c")}
    # ONLY (per table): the inheritance children of `a` keep their rows, which a scan of `a` reads (review17)
    assert emptied_tables(_truncate("TRUNCATE TABLE ONLY a, archive.b, only \"C\" *, d")) == {("archive", "b"), (None, "d")}
    # the history walk's question (dropped, renamed or emptied, any schema) asks the same predicate; there ONLY
    # counts too: every row written into the table itself is gone
    assert empties(_truncate("TRUNCATE archive.b, a")) == {"a", "b"}
    assert empties(_truncate("TRUNCATE ONLY a, b")) == {"a", "b"}
    assert empties(DropTable(table="Gone", line=1)) == {"gone"}


def _messages(case: Path, rule: str) -> dict[int, str]:
    run = run_cli("lint", case, "--format", "json", "--select", rule)
    return {f["line"]: f["message"] + "\n" + (f.get("fix") or "") for f in run.json()["findings"]}


def test_a_scan_after_a_delete_says_the_deleted_rows_are_still_read() -> None:
    """The finding after ``DELETE FROM t`` stays, and says why: the DELETE leaves its rows to the scan, and is
    long itself; TRUNCATE is offered instead. A finding on rows written after a TRUNCATE says nothing of it."""
    found = _messages(RULES / "set-not-null" / "bad_table_deleted_or_refilled.py", "set-not-null")
    assert "the DELETE FROM notice at line 18 empties it only for queries" in found[19]
    assert "the scan reads every one of them again" in found[19]
    assert "TRUNCATE it instead of the DELETE" in found[19]
    assert "the DELETE FROM notice at line 20" in found[21]  # op.execute(sa.delete(notice))
    assert "DELETE" not in found[24] and "TRUNCATE" not in found[24]
    unique = _messages(RULES / "add-unique-constraint" / "bad_table_deleted_or_refilled.py", "add-unique-constraint")
    assert "the build reads every one of them and puts each into the index" in unique[17]
    assert "DELETE" not in unique[20]
