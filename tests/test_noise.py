"""Noise a team would drown in (issue #16): the lock-timeout advice said once, identical fixes printed
once, and ``--statistics`` to see where the findings come from."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli
from gitrepo import git, make_repo

ENV_WITHOUT_TIMEOUT = textwrap.dedent('''\
    from alembic import context


    def run_migrations_online():
        with connectable.connect() as connection:
            context.configure(connection=connection, target_metadata=None)
            with context.begin_transaction():
                context.run_migrations()
    ''')


def revision(rev: str, down: str | None, body: str) -> str:
    lines = "\n".join("    " + line for line in textwrap.dedent(body).strip().splitlines())
    return (f'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "{rev}"\n'
            f"down_revision = {down!r}\n\n\ndef upgrade():\n{lines}\n\n\ndef downgrade():\n    pass\n")


def project(root: Path, env: str | None = ENV_WITHOUT_TIMEOUT) -> Path:
    """Three revisions: a table, then two that each take two strong locks on it."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    if env is not None:
        (root / "migrations" / "env.py").write_text(env)
    (versions / "0001_users.py").write_text(revision("0001", None, '''\
        op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.Text))
        '''))
    (versions / "0002_note.py").write_text(revision("0002", "0001", '''\
        op.add_column("users", sa.Column("note", sa.Text))
        op.add_column("users", sa.Column("memo", sa.Text))
        '''))
    (versions / "0003_tag.py").write_text(revision("0003", "0002", '''\
        op.add_column("users", sa.Column("tag", sa.Text))
        op.drop_column("users", "memo")
        '''))
    return root


def findings(path: Path, *args: str) -> list[dict[str, Any]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    return [f for f in run.json()["findings"] if f["rule"] == "missing-lock-timeout"]


def where(found: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((Path(f["path"]).name, f["line"]) for f in found)


def test_env_py_without_a_timeout_is_one_finding_on_env_py(tmp_path: Path) -> None:
    """Before: one finding per revision, each with the same three-line fix. Now one, where the fix goes."""
    root = project(tmp_path / "p")
    found = findings(root / "migrations", "--dialect", "postgresql")
    assert where(found) == [("env.py", 6)]  # the context.configure() line
    message = found[0]["message"]
    assert message.startswith("env.py sets no lock_timeout, and 2 revisions take a strong lock")
    assert "0002_note.py:9" in message and "0003_tag.py:9" in message
    assert found[0]["fix"] == "connection.execute(sa.text(\"SET lock_timeout = '5s'\"))  # before context.configure()"


def test_mysql_names_its_own_setting(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    found = findings(root / "migrations", "--dialect", "mysql")
    assert where(found) == [("env.py", 6)]
    assert found[0]["message"].startswith("env.py sets no lock_wait_timeout, and 2 revisions take")
    assert "lock_wait_timeout = 5" in found[0]["fix"]


def test_env_py_with_a_timeout_is_silent(tmp_path: Path) -> None:
    env = ENV_WITHOUT_TIMEOUT.replace(
        "        context.configure(", "        connection.exec_driver_sql(\"SET lock_timeout = '5s'\")\n"
                                    "        context.configure(")
    root = project(tmp_path / "p", env)
    assert findings(root / "migrations", "--dialect", "postgresql") == []


def test_without_env_py_once_per_revision_not_per_statement(tmp_path: Path) -> None:
    root = project(tmp_path / "p", env=None)
    found = findings(root / "migrations" / "versions", "--dialect", "postgresql")
    # two strong statements in each revision, one finding each, at the first
    assert where(found) == [("0002_note.py", 9), ("0003_tag.py", 9)]
    assert [f["revision"] for f in sorted(found, key=lambda f: f["path"])] == ["0002", "0003"]


def test_a_revision_that_sets_its_own_timeout_is_not_counted(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    path = root / "migrations" / "versions" / "0002_note.py"
    path.write_text(path.read_text().replace(
        '    op.add_column("users", sa.Column("note"', '    op.execute("SET LOCAL lock_timeout = \'5s\'")\n'
                                                     '    op.add_column("users", sa.Column("note"'))
    [found] = findings(root / "migrations", "--dialect", "postgresql")
    assert "1 revision takes a strong lock" in found["message"] and "0003_tag.py:9" in found["message"]
    assert "0002_note.py" not in found["message"]


@pytest.mark.skipif(shutil.which("git") is None, reason="pull-request mode needs git")
def test_pull_request_that_leaves_env_py_alone_hears_about_its_own_revision(tmp_path: Path) -> None:
    """env.py is outside the pull request: the finding goes to the new revision, never lost."""
    root = make_repo(tmp_path / "repo")
    project(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    (root / "migrations" / "versions" / "0004_drop.py").write_text(revision("0004", "0003", '''\
        op.drop_column("users", "tag")
        '''))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "drop tag")
    run = run_cli("lint", root / "migrations", "--format", "json", "--no-config", "--fail-on", "never",
                  "--base", "main")
    assert run.exit_code == 0, run.stderr
    found = [f for f in run.json()["findings"] if f["rule"] == "missing-lock-timeout"]
    assert where(found) == [("0004_drop.py", 9)]


def test_text_output_prints_an_identical_fix_once(tmp_path: Path) -> None:
    root = project(tmp_path / "p", env=None)
    run = run_cli("lint", root / "migrations" / "versions", "--no-config", "--select", "missing-lock-timeout",
                  "--dialect", "postgresql")
    out = run.stdout
    assert out.count("SET LOCAL lock_timeout") == 1
    first = f"{Path(run.stdout.splitlines()[0].split('  ')[0]).as_posix()}"
    assert f"fix: the same as {first}" in out


def test_statistics_counts_findings_per_rule(tmp_path: Path) -> None:
    root = project(tmp_path / "p", env=None)
    run = run_cli("lint", root / "migrations" / "versions", "--no-config", "--dialect", "postgresql",
                  "--statistics", "--select", "missing-lock-timeout,drop-column")
    assert run.exit_code == 1  # --fail-on is unchanged: statistics only changes what is printed
    lines = run.stdout.splitlines()
    assert lines[0].split()[:3] == ["2", "missing-lock-timeout", "warning"]
    assert lines[1].split()[:3] == ["1", "drop-column", "error"]
    assert lines[-1].startswith("Found 1 error, 2 warnings")
    assert "0002_note.py" not in run.stdout  # counts instead of findings


def test_statistics_as_json_and_a_complete_report_to_a_file(tmp_path: Path) -> None:
    root = project(tmp_path / "p", env=None)
    report = tmp_path / "report.json"
    run = run_cli("lint", root / "migrations" / "versions", "--no-config", "--dialect", "postgresql",
                  "--fail-on", "never", "--statistics", "--select", "missing-lock-timeout,drop-column", "--format", "json", "--format", f"json:{report}")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout) == [
        {"rule": "missing-lock-timeout", "severity": "warning", "count": 2},
        {"rule": "drop-column", "severity": "error", "count": 1},
    ]
    assert len(json.loads(report.read_text())["findings"]) == 3


def test_statistics_refuses_a_format_it_cannot_print(tmp_path: Path) -> None:
    root = project(tmp_path / "p", env=None)
    run = run_cli("lint", root / "migrations" / "versions", "--no-config", "--statistics", "--format", "sarif")
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        "migcheck: error: --statistics prints text or json on standard output, not sarif; write the sarif "
        "report to a file: --output-format sarif:PATH"]


def test_mysql_version_on_the_command_line(tmp_path: Path) -> None:
    root = project(tmp_path / "p", env=None)
    [old, _] = sorted(findings(root / "migrations" / "versions", "--dialect", "mysql", "--mysql-version", "5.7"),
                      key=lambda f: f["path"])
    assert "ADD COLUMN copies the table on MySQL 5.7" in old["message"]
    [new, _] = sorted(findings(root / "migrations" / "versions", "--dialect", "mysql", "--mysql-version",
                               "10.11"), key=lambda f: f["path"])
    assert "ADD COLUMN is INSTANT on MariaDB 10.11" in new["message"]


def test_attach_partition_names_where_its_access_exclusive_lock_falls(tmp_path: Path) -> None:
    """PostgreSQL 12+ attaches a partition under SHARE UPDATE EXCLUSIVE on the parent (reads and writes go on) and
    ACCESS EXCLUSIVE on the partition and the default partition (tests/test_rules_postgres_live.py reads
    pg_locks). The message said the ALTER TABLE took ACCESS EXCLUSIVE, as if on the parent."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_attach.py").write_text(revision("0001", None, '''\
        op.execute("ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM (1) TO (2)")
        '''))
    found = findings(versions, "--dialect", "postgresql")
    assert where(found) == [("0001_attach.py", 9)]
    message = found[0]["message"]
    assert message.startswith("ATTACH PARTITION events_2027 to events takes an ACCESS EXCLUSIVE lock on "
                              "events_2027 and on the default partition of events")
    assert "only SHARE UPDATE EXCLUSIVE on events itself" in message
