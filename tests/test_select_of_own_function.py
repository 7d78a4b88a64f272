"""``op.execute("SELECT refresh_totals()")``: a SELECT in SQL text that calls the project's own function runs whatever
that function does (writes, locks, drops), so it is reported as not read, as the Core ``sa.select(sa.func.f())``
already was; a SELECT of the database's own functions stays a read."""

from __future__ import annotations

from pathlib import Path

from conftest import lint_rules, revision_text, where, write_files

_SELECTS = '''
op.execute("SELECT refresh_totals()")
op.execute("SELECT * FROM audit.rebuild(1)")
op.execute(sa.text("SELECT id FROM users UNION SELECT purge_old() FROM jobs"))
op.execute("SELECT count(*) FROM users")
op.execute("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
op.execute("SELECT pg_catalog.now()")
op.execute("SELECT uuid_generate_v4()")
'''


def test_a_select_calling_the_projects_own_function_is_reported_not_passed(tmp_path: Path) -> None:
    # fails on the code before: the three statements were read as plain reads and nothing was reported
    write_files(tmp_path, {"versions/a1_calls.py": revision_text("a1", None, _SELECTS)})
    code, found = lint_rules(tmp_path, "postgresql", "raw-sql-not-understood")
    assert code == 1
    assert where(found) == [("raw-sql-not-understood", "a1_calls.py", line) for line in (10, 11, 12)]
    assert found[0]["message"].startswith(
        "migcheck could not check this statement (it calls refresh_totals(), a function migcheck does not know: "
        "what it does in the database is not read): `SELECT refresh_totals()`"), found[0]["message"]
    assert "it calls audit.rebuild()" in found[1]["message"]  # a schema's function is always the project's
    assert "it calls purge_old()" in found[2]["message"]
    assert found[0]["fix"] == "read the function's definition and check by hand what it locks, writes and how long it runs"


def test_a_select_of_the_databases_own_functions_stays_silent(tmp_path: Path) -> None:
    safe = "\n".join(line for line in _SELECTS.splitlines() if "refresh" not in line and "rebuild" not in line
                     and "purge" not in line)
    write_files(tmp_path, {"versions/a1_reads.py": revision_text("a1", None, safe)})
    for dialect in ("postgresql", "mysql"):
        code, found = lint_rules(tmp_path, dialect, "raw-sql-not-understood")
        assert (code, found) == (0, []), found
    mysql = 'op.execute("SELECT GET_LOCK(\'migrate\', 10)")\nop.execute("SELECT RELEASE_LOCK(\'migrate\')")'
    write_files(tmp_path, {"versions/a1_reads.py": revision_text("a1", None, mysql)})
    assert lint_rules(tmp_path, "mysql", "raw-sql-not-understood") == (0, [])
