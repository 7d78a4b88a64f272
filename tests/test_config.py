"""[tool.migcheck] configuration: found upward, validated strictly, overridden by the command line."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FIXTURES, findings_of, run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the package depends on tomli there
    import tomli as tomllib

LEGACY = FIXTURES / "adoption" / "legacy"

INDEX_REVISION = """
    revision = "0002"
    down_revision = "0001"
    from alembic import op

    def upgrade():
        op.create_index("ix_users_email", "users", ["email"])

    def downgrade():
        op.drop_index("ix_users_email", table_name="users")
"""
BASE_REVISION = """
    import sqlalchemy as sa
    from alembic import op

    revision = "0001"
    down_revision = None

    def upgrade():
        op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.Text))

    def downgrade():
        op.drop_table("users")
"""


@pytest.fixture
def project(tmp_path: Path, write_revision: Callable[..., Path]) -> Path:
    """A project root holding ``versions/`` with one create-index-not-concurrently finding."""
    write_revision("0001_users.py", BASE_REVISION)
    write_revision("0002_index.py", INDEX_REVISION)
    # env.py sets lock_timeout, so missing-lock-timeout stays out of these configuration tests
    (tmp_path / "env.py").write_text('def on_connect(conn):\n    conn.exec_driver_sql("SET lock_timeout = \'5s\'")\n')
    return tmp_path


def write_config(root: Path, body: str, name: str = "pyproject.toml") -> Path:
    path = root / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def test_config_is_found_upward_from_the_linted_path(project: Path) -> None:
    write_config(project, """
        [project]
        name = "demo"

        [tool.migcheck]
        ignore = ["create-index-not-concurrently"]
    """)
    run = run_cli("lint", project / "versions", "--format", "json")
    assert run.exit_code == 0, run.stdout
    assert run.rules() == []


def test_without_config_the_defaults_apply(project: Path) -> None:
    run = run_cli("lint", project / "versions", "--format", "json")
    assert run.exit_code == 1
    assert run.rules() == ["create-index-not-concurrently"]


def test_a_pyproject_without_the_table_is_passed_over(project: Path, tmp_path: Path) -> None:
    write_config(project, '[tool.migcheck]\nignore = ["create-index-not-concurrently"]\n')
    (project / "versions" / "pyproject.toml").write_text('[project]\nname = "inner"\n', encoding="utf-8")
    run = run_cli("lint", project / "versions", "--format", "json")
    assert run.exit_code == 0


def test_explicit_config_file_with_top_level_keys(project: Path) -> None:
    config = write_config(project, 'ignore = ["create-index-not-concurrently"]\n', name="migcheck.toml")
    assert run_cli("lint", project / "versions", "--config", config).exit_code == 0
    assert run_cli("lint", project / "versions").exit_code == 1


def test_explicit_pyproject_without_table_is_an_error(project: Path) -> None:
    config = write_config(project, '[project]\nname = "demo"\n')
    run = run_cli("lint", project / "versions", "--config", config)
    assert run.exit_code == 2
    assert "has no [tool.migcheck] table" in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_config_file_is_an_error(project: Path) -> None:
    run = run_cli("lint", project / "versions", "--config", project / "nope.toml")
    assert run.exit_code == 2
    assert "config file not found" in run.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('fail_on = "warning"', "unknown key 'fail_on'"),
        ('fail_on = "warning"', "did you mean 'fail-on'?"),
        ('selct = ["drop-table"]', "did you mean 'select'?"),
        ('select = ["create-index-not-concurently"]', "did you mean 'create-index-not-concurrently'?"),
        ('ignore = ["drop-tabel"]', "did you mean 'drop-table'?"),
        ('dialect = "postgres"', "did you mean 'postgresql'?"),
        ('fail-on = "errors"', "did you mean 'error'?"),
        ('postgres-version = "fifteen"', "must be a PostgreSQL major version"),
        ("require-reason = 1", "must be true or false"),
        ('severity = { "drop-tabel" = "warning" }', "did you mean 'drop-table'?"),
        ('severity = { "drop-table" = "fatal" }', "unknown severity 'fatal'"),
    ],
)
def test_bad_config_is_one_clear_error(project: Path, body: str, expected: str) -> None:
    write_config(project, f"[tool.migcheck]\n{body}\n")
    run = run_cli("lint", project / "versions")
    assert run.exit_code == 2
    assert expected in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert "pyproject.toml" in run.stderr


def test_invalid_toml_mentioning_migcheck_is_an_error(project: Path) -> None:
    write_config(project, "[tool.migcheck\nignore = [\n")
    run = run_cli("lint", project / "versions")
    assert run.exit_code == 2
    assert "is not valid TOML" in run.stderr


def test_unrelated_broken_pyproject_is_ignored(project: Path) -> None:
    write_config(project, "[project\nname = \n")
    assert run_cli("lint", project / "versions").exit_code == 1


def test_command_line_overrides_the_file(project: Path) -> None:
    write_config(project, '[tool.migcheck]\nfail-on = "never"\n')
    assert run_cli("lint", project / "versions").exit_code == 0
    assert run_cli("lint", project / "versions", "--fail-on", "error").exit_code == 1


def test_command_line_ignore_adds_to_the_files_list(
    project: Path, write_revision: Callable[..., Path]
) -> None:
    write_revision("0003_drop.py", """
        revision = "0003"
        down_revision = "0002"
        from alembic import op

        def upgrade():
            op.drop_table("users")

        def downgrade():
            pass
    """)
    write_config(project, '[tool.migcheck]\nignore = ["create-index-not-concurrently"]\n')
    run = run_cli("lint", project / "versions", "--ignore", "missing-downgrade", "--format", "json")
    assert sorted(run.rules()) == ["drop-table"]


def test_command_line_select_replaces_the_files_select(project: Path) -> None:
    write_config(project, '[tool.migcheck]\nselect = ["drop-table"]\n')
    assert run_cli("lint", project / "versions", "--format", "json").rules() == []
    run = run_cli("lint", project / "versions", "--select", "create-index-not-concurrently",
                  "--format", "json")
    assert run.rules() == ["create-index-not-concurrently"]


def test_unknown_rule_on_the_command_line(project: Path) -> None:
    run = run_cli("lint", project / "versions", "--ignore", "create-index")
    assert run.exit_code == 2
    assert "command line (--ignore)" in run.stderr
    assert "did you mean 'create-index-not-concurrently'?" in run.stderr


def test_per_rule_severity(project: Path) -> None:
    write_config(project, '[tool.migcheck.severity]\ncreate-index-not-concurrently = "warning"\n')
    run = run_cli("lint", project / "versions", "--format", "json")
    assert run.exit_code == 0  # fail-on error, and the only finding is now a warning
    [finding] = findings_of(run, "create-index-not-concurrently")
    assert finding["severity"] == "warning"
    assert run_cli("lint", project / "versions", "--fail-on", "warning").exit_code == 1


def test_output_format_from_the_file(project: Path) -> None:
    write_config(project, '[tool.migcheck]\noutput-format = "json"\n')
    run = run_cli("lint", project / "versions")
    assert run.json()["findings"][0]["rule"] == "create-index-not-concurrently"
    text = run_cli("lint", project / "versions", "--format", "text").stdout
    assert "create-index-not-concurrently  error:" in text
    assert not text.lstrip().startswith("{")


def test_paths_are_relative_to_the_config_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(project, '[tool.migcheck]\npaths = ["versions"]\n')
    other = project / "docs"
    other.mkdir()
    (other / "helper.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.chdir(project)
    run = run_cli("lint", "--format", "json")
    assert run.rules() == ["create-index-not-concurrently"]
    assert run.json()["summary"]["files"] == 2


def test_exclude_leaves_files_unread(project: Path, write_revision: Callable[..., Path]) -> None:
    write_revision("template.py", 'revision = "${up_revision}"\ndown_revision = ${down_revision}\n')
    assert "invalid-migration-file" in run_cli("lint", project / "versions", "--format", "json").rules()
    write_config(project, '[tool.migcheck]\nexclude = ["versions/template.py"]\n')
    run = run_cli("lint", project / "versions", "--format", "json")
    assert run.rules() == ["create-index-not-concurrently"]
    assert run.json()["summary"]["files"] == 2


def test_exclude_by_file_name_pattern(project: Path) -> None:
    run = run_cli("lint", project / "versions", "--exclude", "0002_*.py", "--format", "json")
    assert run.exit_code == 0
    assert run.json()["summary"]["files"] == 1


def test_no_config_ignores_the_file(project: Path) -> None:
    write_config(project, '[tool.migcheck]\nignore = ["create-index-not-concurrently"]\n')
    assert run_cli("lint", project / "versions", "--no-config").exit_code == 1


def test_config_and_no_config_contradict(project: Path) -> None:
    run = run_cli("lint", project / "versions", "--no-config", "--config", project / "pyproject.toml")
    assert run.exit_code == 2
    assert "contradict" in run.stderr


def test_config_command_shows_values_and_origins(project: Path) -> None:
    write_config(project, '[tool.migcheck]\ndialect = "mysql"\nignore = ["drop-table"]\n')
    run = run_cli("config", project / "versions", "--fail-on", "warning", "--ignore", "drop-column")
    assert run.exit_code == 0, run.stderr
    lines = {line.split("=")[0].strip(): line for line in run.stdout.splitlines() if "=" in line}
    assert lines["dialect"].startswith('dialect = "mysql"')
    assert lines["dialect"].endswith(f"# {project / 'pyproject.toml'} [tool.migcheck]")
    assert '"warning"' in lines["fail-on"] and "command line (--fail-on)" in lines["fail-on"]
    assert lines["postgres-version"].rstrip().endswith("# default")
    assert 'ignore = ["drop-column", "drop-table"]' in lines["ignore"]
    assert "[tool.migcheck] + command line (--ignore)" in lines["ignore"]
    assert run.stdout.splitlines()[0].startswith("# config file: ")


def test_config_command_output_is_a_valid_table(project: Path) -> None:
    """What `migcheck config` prints can be pasted back into pyproject.toml."""
    write_config(project, '[tool.migcheck]\nbaseline = "0001"\n\n'
                          '[tool.migcheck.severity]\ndrop-table = "info"\n')
    run = run_cli("config", project / "versions")
    data = tomllib.loads(run.stdout)["tool"]["migcheck"]
    assert data["baseline"] == "0001"
    assert data["severity"] == {"drop-table": "info"}
    pasted = write_config(project, run.stdout, name="pasted.toml")
    assert run_cli("lint", project / "versions", "--config", pasted).exit_code == 1


def test_config_command_json(project: Path) -> None:
    write_config(project, '[tool.migcheck]\npostgres-version = 13\n')
    run = run_cli("config", project / "versions", "--json")
    data = json.loads(run.stdout)
    assert data["config_file"] == str((project / "pyproject.toml").resolve())
    assert data["settings"]["postgres-version"]["value"] == 13
    assert "pyproject.toml [tool.migcheck]" in data["settings"]["postgres-version"]["origin"]
    assert data["settings"]["dialect"] == {"value": "postgresql", "origin": "default"}


def test_config_command_reports_bad_config(project: Path) -> None:
    write_config(project, '[tool.migcheck]\nbaselin = "x"\n')
    run = run_cli("config", project / "versions")
    assert run.exit_code == 2
    assert "did you mean 'baseline'?" in run.stderr


def test_legacy_fixture_config_is_picked_up() -> None:
    run = run_cli("config", LEGACY)
    assert 'baseline = "0003_add_orders_status"' in run.stdout


def test_every_key_is_documented() -> None:
    from migcheck.run.config import KEY_NAMES

    reference = (FIXTURES.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key in KEY_NAMES:
        assert f"| `{key}` |" in reference, key


def test_config_command_shows_paths_as_written(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(project, '[tool.migcheck]\npaths = ["versions"]\n')
    monkeypatch.chdir(project / "versions")
    run = run_cli("config")
    assert 'paths = ["versions"]' in run.stdout


def test_config_prints_strings_as_toml_that_reads_back(tmp_path: Path) -> None:
    """A newline in a configured string was printed raw: the line broke in two and was no longer TOML."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    values = ["a\nb", "c\x1b[31m", 'q"\\', "tab\there", "del\x7f"]
    toml_list = json.dumps(values).replace("\x7f", "\\u007f")  # JSON's string escapes are TOML's
    (tmp_path / "pyproject.toml").write_text(f"[tool.migcheck]\nexclude = {toml_list}\n", encoding="utf-8")
    assert tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["migcheck"]["exclude"] == values
    run = run_cli("config", "--config", tmp_path / "pyproject.toml")
    [line] = [line for line in run.stdout.splitlines() if line.startswith("exclude")]
    shown = line.split("#")[0].strip()
    assert tomllib.loads(shown)["exclude"] == values
