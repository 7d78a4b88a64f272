"""CONCURRENTLY after ``op.execute("COMMIT")`` (held-out-9 #37-#41, h): whether it fails depends on the driver.

Checked through Alembic on PostgreSQL 15 (SQLAlchemy 2.1.9): psycopg2 and asyncpg do not notice a COMMIT sent
as SQL and open no transaction, so the index is built; psycopg 3 sends BEGIN again and PostgreSQL refuses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.sources.envinfo import read_env

CASES = FIXTURES / "rules" / "concurrent-index-in-transaction"


def _lint(case: str) -> tuple[int, dict[int, tuple[str, str]]]:
    run = run_cli("lint", CASES / case, "--format", "json", "--no-config", "--dialect", "postgresql",
                  "--select", "concurrent-index-in-transaction", "--fail-on", "error")
    return run.exit_code, {f["line"]: (f["severity"], f["message"]) for f in run.json()["findings"]}


def test_psycopg3_named_in_env_py_makes_the_commit_useless_an_error_that_names_it() -> None:
    code, found = _lint("bad_commit_psycopg3")
    assert code == 1
    assert set(found) == {16, 21}
    severity, message = found[16]
    assert severity == "error"
    assert message.startswith("CREATE INDEX CONCURRENTLY of ix_orders_customer_id relies on the COMMIT sent as SQL "
                              "at line 15: env.py connects with psycopg, which sees the session idle")
    assert "cannot run inside a transaction block" in message
    assert found[21][1].startswith("DROP INDEX CONCURRENTLY of ix_orders_customer_id relies on the COMMIT sent as "
                                   "SQL at line 20")


def test_an_unknown_driver_is_a_warning_saying_it_works_only_under_psycopg2() -> None:
    code, found = _lint("bad_commit_driver_unknown")
    assert code == 0  # warnings only: --fail-on error passes
    assert {line: severity for line, (severity, _) in found.items()} == {16: "warning", 21: "warning"}
    assert "works only under psycopg2" in found[16][1]
    assert "psycopg 3, SQLAlchemy 2.1's default PostgreSQL driver" in found[16][1]


def test_psycopg2_keeps_the_commit_but_a_begin_after_it_opens_a_transaction_again() -> None:
    assert _lint("safe_commit_psycopg2") == (0, {})
    code, found = _lint("bad_begin_after_commit_psycopg2")
    assert code == 1
    assert set(found) == {23}
    assert "runs inside the migration's transaction" in found[23][1]


@pytest.mark.parametrize(("source", "driver"), [
    ('url = "postgresql+psycopg2://app@db/app"', "psycopg2"),
    ('url = os.environ.get("DB", "postgresql+asyncpg://app@db/app")', "asyncpg"),
    ('url = "postgresql://app@db/app"', None),  # psycopg2 or psycopg 3, by the SQLAlchemy version
    ('a = "postgresql+psycopg2://x"\nb = "postgresql+psycopg://x"', None),  # they disagree
    ('# postgresql+psycopg://x in a comment names nothing', None),
])
def test_the_driver_is_read_from_env_py_urls(tmp_path: Path, source: str, driver: str | None) -> None:
    env = tmp_path / "env.py"
    env.write_text(f"import os\n{source}\n", encoding="utf-8")
    assert read_env(env).pg_driver == driver
