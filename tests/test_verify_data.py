"""verify-data: rows inserted before a revision and checked after it, on the real servers.

``fixtures/verify/data_split`` splits ``users.name`` into first and last name with a correct
backfill; ``data_split_wrong`` is the same history whose backfill copies the first name twice.
Both are checked against ``data_split/verify-data/0002.toml`` (rows in 0001's shape before
0002, the split rows after it, the joined rows after its downgrade).
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, Run, findings_of, run_cli

VERIFY = FIXTURES / "verify"
GOOD = VERIFY / "data_split"
WRONG = VERIFY / "data_split_wrong"
DATA = GOOD / "verify-data"

pytest_plugins = ["pytester"]  # the plugin test runs a real inner pytest, in its own process


@pytest.fixture(params=["postgres15", "mariadb"])
def server(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL 15 and MariaDB services (verify makes and drops its own scratch database)."""
    name = {"postgres15": "postgres_service_url", "mariadb": "mariadb_service_url"}[request.param]
    return str(request.getfixturevalue(name))


def verify(project: Path, url: str, *args: str | Path) -> Run:
    run = run_cli("verify", project, "--db-url", url, "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return run


def data_folder(tmp_path: Path, text: str, revision: str = "0002") -> Path:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / f"{revision}.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def notes(run: Run) -> list[str]:
    return list(run.json()["verify"]["notes"])


def test_a_correct_split_passes_its_data_checks_from_the_config_key(server: str) -> None:
    run = verify(GOOD, server)  # data_split/pyproject.toml: verify-data = "verify-data"
    assert findings_of(run, "data-check-failed") == []
    assert run.exit_code == 0
    assert "verify-data: 2 rows inserted and 3 checks run for 1 revision, 0 failed" in notes(run)
    assert {s["status"] for s in run.json()["verify"]["steps"]} == {"ok"}


def test_a_wrong_backfill_fails_with_the_row_it_got(server: str) -> None:
    run = verify(WRONG, server, "--verify-data", DATA)
    assert run.exit_code == 1
    found = findings_of(run, "data-check-failed")
    assert [f["path"] for f in found] == ["fixtures/verify/data_split_wrong/migrations/versions/0002_split_name.py"] * 2
    after, down = sorted(found, key=lambda f: f["line"])
    assert after["severity"] == "error" and after["revision"] == "0002"
    assert after["line"] == 13  # def upgrade()
    assert after["message"] == (
        "data check of 0002: fixtures/verify/data_split/verify-data/0002.toml [[after]] #1: row 1 "
        "{id = 101, first_name = 'Ada', last_name = 'Lovelace'} not found in users after the upgrade: "
        "the row with id = 101 has first_name = 'Ada', last_name = 'Ada' (and 1 more row)"
    )
    # the downgrade joins what the upgrade stored, so the original name is lost
    assert down["line"] == 23  # def downgrade()
    assert "[[after_downgrade]] #1" in down["message"] and "has name = 'Ada Ada'" in down["message"]
    step = {s["revision"]: s for s in run.json()["verify"]["steps"]}["0002"]
    assert step["status"] == "failed"
    assert "verify-data: 2 rows inserted and 3 checks run for 1 revision, 2 failed" in notes(run)


def test_the_text_report_names_the_rule_and_the_exit_code_is_1(postgres_service_url: str) -> None:
    run = run_cli("verify", WRONG, "--db-url", postgres_service_url, "--verify-data", DATA, "-q")
    assert run.exit_code == 1
    assert "0002_split_name.py:13  data-check-failed  error: data check of 0002:" in run.stdout


def test_seed_rows_and_declared_rows_coexist(server: str) -> None:
    run = verify(GOOD, server, "--seed-rows", "5")
    assert run.exit_code == 0, run.json()["findings"]
    assert "verify-data: 2 rows inserted and 3 checks run for 1 revision, 0 failed" in notes(run)


def test_rows_the_database_refuses_and_failing_queries_are_findings(server: str, tmp_path: Path) -> None:
    folder = data_folder(tmp_path, """
        [[before]]
        table = "users"
        rows = [{id = 7}]

        [[before]]
        table = "customers"
        rows = [{id = 1}]

        [[after]]
        sql = "SELECT count(*) = 5 FROM users"

        [[after]]
        table = "users"
        rows = [{nickname = "ada"}]

        [[after]]
        sql = "SELECT no_such_column FROM users"
        """)
    run = verify(GOOD, server, "--verify-data", folder)
    assert run.exit_code == 1
    messages = [f["message"] for f in findings_of(run, "data-check-failed")]
    assert len(messages) == 5, messages
    text = "\n".join(messages)
    assert "[[before]] #1: row 1 {id = 7} cannot be inserted into users before the upgrade:" in text
    assert "[[before]] #2: cannot insert into customers before the upgrade: table customers does not exist" in text
    assert "[[after]] #1: query `SELECT count(*) = 5 FROM users` returned " in text
    assert "after the upgrade (it must return true)" in text
    assert "[[after]] #2: row 1 {nickname = 'ada'}: table users has no column 'nickname' after the upgrade" in text
    assert "[[after]] #3: query `SELECT no_such_column FROM users` failed after the upgrade:" in text


def test_a_row_without_a_key_shows_what_the_table_holds(postgres_service_url: str, tmp_path: Path) -> None:
    folder = data_folder(tmp_path, """
        [[before]]
        table = "users"
        rows = [{id = 5, name = "Grace Hopper"}]

        [[after]]
        table = "users"
        rows = [{first_name = "Grace", last_name = "Brewster"}]
        """)
    [found] = findings_of(verify(GOOD, postgres_service_url, "--verify-data", folder), "data-check-failed")
    assert found["message"].endswith(
        "not found in users after the upgrade: it has 1 row, e.g. {first_name = 'Grace', last_name = 'Hopper'}"
    )


def test_at_rows_are_inserted_after_the_upgrade(postgres_service_url: str, tmp_path: Path) -> None:
    folder = data_folder(tmp_path, """
        [[at]]
        table = "users"
        rows = [{first_name = "Ada", last_name = "Lovelace"}]

        [[after]]
        sql = "SELECT count(*) = 1 FROM users WHERE last_name = 'Lovelace'"

        [[after_downgrade]]
        table = "users"
        rows = [{name = "Ada Lovelace"}]
        """)
    run = verify(GOOD, postgres_service_url, "--verify-data", folder)
    assert findings_of(run, "data-check-failed") == []
    assert "verify-data: 1 row inserted and 2 checks run for 1 revision, 0 failed" in notes(run)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[before]\n", "0002.toml is not valid TOML: Expected ']]' at the end of an array declaration"),
        ("[[befor]]\ntable = 'users'\n", "0002.toml: unknown key 'befor'; did you mean [[before]]?"),
        ("[[after]]\ntable = 'users'\n", "0002.toml: [[after]] #1: rows must be a non-empty array"),
        ("[[after]]\nsql = 'SELECT 1'\ntable = 'users'\n", "[[after]] #1: give either sql, or table and rows"),
        ("before = 3\n", "0002.toml: before must be an array of tables ([[before]])"),
        ("[[after]]\ntable = 'users'\nrows = [{id = 1}]\nkey = 'name'\n",
         "[[after]] #1: every row must give the key column 'name'"),
    ],
)
def test_a_bad_data_file_is_one_line_and_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    folder = data_folder(tmp_path, text)
    run = run_cli("verify", GOOD, "--verify-data", folder)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("migcheck: error: verify-data: ") and run.stderr.count("\n") == 1
    assert expected in run.stderr


def test_a_revision_not_in_the_history_is_one_line_and_exit_2(tmp_path: Path) -> None:
    folder = data_folder(tmp_path, "[[after]]\nsql = 'SELECT 1'\n", revision="0003_typo")
    run = run_cli("verify", GOOD, "--verify-data", folder)
    assert run.exit_code == 2 and run.stderr.count("\n") == 1
    assert "0003_typo.toml names revision '0003_typo', which is not in the history" in run.stderr
    missing = run_cli("verify", GOOD, "--verify-data", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "is not a folder" in missing.stderr


def test_data_of_revisions_outside_the_run_gets_a_note(postgres_service_url: str, tmp_path: Path) -> None:
    folder = data_folder(tmp_path, "[[after]]\nsql = 'SELECT 1 = 1'\n")
    run = verify(GOOD, postgres_service_url, "--verify-data", folder, "--to", "0001")
    assert "verify-data: the data of 0002 was not used (the revision was not run in this verify)" in notes(run)


def test_the_pytest_plugin_shows_the_data_check_failure(
    pytester: pytest.Pytester, postgres_service_url: str
) -> None:
    shutil.copytree(WRONG, pytester.path, dirs_exist_ok=True)
    shutil.copytree(DATA, pytester.path / "verify-data")
    pytester.makepyprojecttoml('[tool.migcheck]\nverify-data = "verify-data"\n')
    result = pytester.runpytest_subprocess(
        "--migcheck-verify", "--migcheck-db-url", postgres_service_url, "-k", "verify", "-rA", "-p", "no:cacheprovider"
    )
    outcomes = {line.split()[1]: line.split()[0] for line in result.outlines
                if line.split()[:1] in (["PASSED"], ["FAILED"])}
    assert outcomes["migcheck::test_migcheck[verify:0001]"] == "PASSED"
    assert outcomes["migcheck::test_migcheck[verify:0002]"] == "FAILED"
    result.stdout.fnmatch_lines(["*0002_split_name.py:13  data-check-failed  error: data check of 0002: *"
                                 "verify-data/0002.toml *after* #1: row 1 *has first_name = 'Ada', last_name = 'Ada'*"])


def test_a_data_file_symlinked_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    """verify-data files come from the project; a symlink leading out of it is refused before anything runs."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.toml").write_text("[[after]]\nsql = 'SELECT 1'\n", encoding="utf-8")
    folder = tmp_path / "project" / "verify-data"
    folder.mkdir(parents=True)
    (folder / "0002.toml").symlink_to(outside / "x.toml")
    run = run_cli("verify", GOOD, "--verify-data", folder)
    assert run.exit_code == 2 and run.stderr.count("\n") == 1
    assert "0002.toml: not read: a symlink to" in run.stderr


def test_a_data_folder_under_a_symlinked_directory_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    """A symlinked directory on the way (``ops -> /elsewhere``, ``--verify-data ops/verify-data``) does not
    make its target the project: the files it leads to are refused before anything runs."""
    outside = tmp_path / "outside" / "verify-data"
    outside.mkdir(parents=True)
    (outside / "0002.toml").write_text("[[after]]\nsql = 'SELECT 1'\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "ops").symlink_to(tmp_path / "outside", target_is_directory=True)
    run = run_cli("verify", GOOD, "--verify-data", project / "ops" / "verify-data")
    assert run.exit_code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "0002.toml: not read: a symlink to" in run.stderr
