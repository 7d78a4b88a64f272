"""A statement sqlglot cannot read is reported in words a user can act on, not in the parser's class names."""

from __future__ import annotations

from pathlib import Path

from conftest import revision_text, run_cli, write_files


def _not_understood(tmp_path: Path, sql: str) -> list[dict[str, object]]:
    write_files(tmp_path, {"versions/a1_x.py": revision_text("a1", None, f"op.execute({sql!r})")})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select",
                  "raw-sql-not-understood")
    assert run.exit_code in (0, 1), run.stderr
    return [f for f in run.json()["findings"] if f["rule"] == "raw-sql-not-understood"]


def test_a_parser_internal_error_names_where_it_stopped_not_a_class(tmp_path: Path) -> None:
    # PostgreSQL accepts a column named values (a non-reserved keyword there); sqlglot's parser does not.
    found = _not_understood(tmp_path, "UPDATE t SET flag = 1 WHERE (values->>'k')::json->>'c' = 'x'")
    assert [(f["line"], f["message"].split(":")[0]) for f in found] == [
        (10, "migcheck could not check this statement (the SQL parser could not read it at line 1, column 42)")]
    assert "<class" not in found[0]["message"] and "sqlglot" not in found[0]["message"]


def test_a_plain_syntax_error_keeps_the_parsers_own_words(tmp_path: Path) -> None:
    # The user's SQL lacks its closing parenthesis: sqlglot's "Expecting )" says what is wrong.
    found = _not_understood(tmp_path, "ALTER TABLE price ADD CONSTRAINT price_pkey PRIMARY KEY (a, b")
    assert len(found) == 1
    assert "Expecting )" in found[0]["message"]
