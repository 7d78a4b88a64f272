"""Baseline: trusted history is not linted per revision; ``migcheck init`` adopts in one command."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FIXTURES, findings_of, run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LEGACY = FIXTURES / "adoption" / "legacy"
NEW_BAD_REVISION = '''
    """drop a column: added after adoption"""
    from alembic import op

    revision = "0005_drop_customer"
    down_revision = "0004_index_orders_status"


    def upgrade():
        op.drop_column("orders", "customer_id")


    def downgrade():
        pass
'''


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A copy of the legacy project without its [tool.migcheck] table (as before adoption)."""
    root = tmp_path / "shop"
    shutil.copytree(LEGACY, root)
    (root / "pyproject.toml").write_text(
        '# the shop\n[project]\nname = "legacy-shop"\nversion = "1.0"  # keep\n\n'
        '[tool.black]\nline-length = 100\n',
        encoding="utf-8",
    )
    return root


def test_baseline_hides_history_but_not_new_revisions() -> None:
    run = run_cli("lint", LEGACY, "--format", "json")
    assert [(Path(f["path"]).name, f["rule"]) for f in run.json()["findings"]] == [
        ("0004_index_orders_status.py", "create-index-not-concurrently"),
    ]
    assert run.json()["summary"]["linted_revisions"] == 1
    assert run.json()["summary"]["revisions"] == 4


def test_without_baseline_history_is_linted() -> None:
    run = run_cli("lint", LEGACY, "--no-config", "--format", "json")
    assert sorted(Path(f["path"]).name for f in run.json()["findings"]) == [
        "0002_index_orders.py", "0003_add_orders_status.py", "0004_index_orders_status.py",
    ]


def test_text_summary_says_how_much_was_linted() -> None:
    run = run_cli("lint", LEGACY)
    assert run.stdout.rstrip().endswith("Found 1 error (1 of 4 revisions linted, 4 files).")


def test_baseline_from_the_command_line() -> None:
    run = run_cli("lint", LEGACY, "--baseline", "0004_index_orders_status", "--format", "json")
    assert run.exit_code == 0
    assert run.rules() == []
    assert run.json()["summary"]["linted_revisions"] == 0


def test_baseline_accepts_a_unique_prefix() -> None:
    run = run_cli("lint", LEGACY, "--baseline", "0002_", "--format", "json")
    assert sorted(Path(f["path"]).name for f in run.json()["findings"]) == [
        "0003_add_orders_status.py", "0004_index_orders_status.py",
    ]


def test_unknown_baseline_is_an_error() -> None:
    run = run_cli("lint", LEGACY, "--baseline", "0003_add_order_status")
    assert run.exit_code == 2
    assert run.stderr == ("migcheck: error: baseline revision '0003_add_order_status' (from command line "
                          "(--baseline)) is not among the 4 revisions found; did you mean "
                          "'0003_add_orders_status'?\n")


def test_graph_rules_still_see_trusted_history(tmp_path: Path, write_revision: Callable[..., Path]) -> None:
    """A branch off an old revision makes two heads; the trusted head is still part of the fault."""
    write_revision("a.py", 'revision = "a"\ndown_revision = None\n')
    write_revision("b.py", 'revision = "b"\ndown_revision = "a"\n')
    write_revision("c.py", 'revision = "c"\ndown_revision = "a"\n')
    run = run_cli("lint", tmp_path / "versions", "--baseline", "b", "--format", "json")
    assert sorted(Path(f["path"]).name for f in findings_of(run, "multiple-heads")) == ["b.py", "c.py"]


def test_trusted_files_are_not_checked_for_suppressions(
    tmp_path: Path, write_revision: Callable[..., Path]
) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None  # migcheck: ignore[drop-table]\n')
    write_revision("b.py", 'revision = "b"\ndown_revision = "a"\n')
    assert sorted(run_cli("lint", tmp_path / "versions", "--format", "json").rules()) == [
        "suppression-without-reason", "unused-suppression",
    ]
    assert run_cli("lint", tmp_path / "versions", "--baseline", "a", "--format", "json").rules() == []


def test_baseline_with_two_heads(tmp_path: Path, write_revision: Callable[..., Path]) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None\nbranch_labels = ("app",)\n')
    write_revision("x.py", 'revision = "x"\ndown_revision = None\nbranch_labels = ("audit",)\n')
    write_revision("b.py", """
        revision = "b"
        down_revision = "a"
        from alembic import op

        def upgrade():
            op.drop_table("t")

        def downgrade():
            pass
    """)
    (tmp_path / "pyproject.toml").write_text('[tool.migcheck]\nbaseline = ["a", "x"]\n', encoding="utf-8")
    run = run_cli("lint", tmp_path / "versions", "--format", "json")
    assert sorted(run.rules()) == ["drop-table", "missing-downgrade", "missing-lock-timeout"]
    assert run.json()["summary"]["linted_revisions"] == 1


# --- migcheck init ----------------------------------------------------------------------------


def test_init_adopts_in_one_command(legacy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(legacy)
    before = run_cli("lint")
    assert before.exit_code == 1  # 3 errors in old revisions

    run = run_cli("init")
    assert run.exit_code == 0, run.stderr
    assert "baseline = 0004_index_orders_status (the current head; 4 revisions trusted as history)" \
        in run.stdout

    after = run_cli("lint", "--format", "json")
    assert after.exit_code == 0
    assert after.rules() == []

    (legacy / "migrations" / "versions" / "0005_drop_customer.py").write_text(
        textwrap.dedent(NEW_BAD_REVISION).lstrip(), encoding="utf-8")
    new = run_cli("lint", "--format", "json")
    assert new.exit_code == 1
    assert sorted(new.rules()) == ["drop-column", "missing-downgrade"]


def test_init_keeps_the_rest_of_pyproject_byte_for_byte(legacy: Path) -> None:
    original = (legacy / "pyproject.toml").read_bytes()
    assert run_cli("init", legacy).exit_code == 0
    written = (legacy / "pyproject.toml").read_bytes()
    assert written.startswith(original)
    table = tomllib.loads(written.decode())["tool"]["migcheck"]
    assert table == {
        "baseline": "0004_index_orders_status",
        "dialect": "postgresql",
        "paths": ["."],
        "fail-on": "error",
        "require-reason": True,
    }
    assert tomllib.loads(written.decode())["tool"]["black"] == {"line-length": 100}


def test_init_keeps_windows_line_endings(legacy: Path) -> None:
    (legacy / "pyproject.toml").write_bytes(b'[project]\r\nname = "x"\r\n')
    assert run_cli("init", legacy).exit_code == 0
    text = (legacy / "pyproject.toml").read_bytes()
    assert b"\n" not in text.replace(b"\r\n", b"")


def test_init_refuses_an_existing_table(legacy: Path) -> None:
    assert run_cli("init", legacy).exit_code == 0
    first = (legacy / "pyproject.toml").read_bytes()
    run = run_cli("init", legacy)
    assert run.exit_code == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert "already has a [tool.migcheck] table" in run.stderr and "--force" in run.stderr
    assert (legacy / "pyproject.toml").read_bytes() == first


def test_init_force_replaces_only_the_table(legacy: Path) -> None:
    pyproject = legacy / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\n\n[tool.migcheck]\nbaseline = "0001_create_orders"\n'
        'ignore = ["drop-table"]\n\n'
        '[tool.migcheck.severity]\ndrop-column = "info"\n\n# ruff settings\n[tool.ruff]\nline-length = 99\n',
        encoding="utf-8",
    )
    run = run_cli("init", legacy, "--force")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith("Replaced the [tool.migcheck] table in")
    text = pyproject.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["tool"]["migcheck"]["baseline"] == "0004_index_orders_status"
    assert "ignore" not in data["tool"]["migcheck"] and "severity" not in data["tool"]["migcheck"]
    assert data["tool"]["ruff"] == {"line-length": 99}
    assert text.startswith('[project]\nname = "x"\n\n[tool.migcheck]\n')
    assert text.endswith('\n# ruff settings\n[tool.ruff]\nline-length = 99\n')


def test_init_refuses_a_table_it_cannot_edit_safely(legacy: Path) -> None:
    pyproject = legacy / "pyproject.toml"
    original = '[tool]\nmigcheck.dialect = "mysql"\n'
    pyproject.write_text(original, encoding="utf-8")
    run = run_cli("init", legacy, "--force")
    assert run.exit_code == 2
    assert "cannot update" in run.stderr
    assert pyproject.read_text(encoding="utf-8") == original


def test_init_with_two_heads_baselines_both(tmp_path: Path, write_revision: Callable[..., Path]) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None\n')
    write_revision("b.py", 'revision = "b"\ndown_revision = "a"\n')
    write_revision("c.py", 'revision = "c"\ndown_revision = "a"\n')
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    run = run_cli("init", tmp_path / "versions")
    assert run.exit_code == 0, run.stderr
    table = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["migcheck"]
    assert table["baseline"] == ["b", "c"]
    assert table["paths"] == ["versions"]


def test_init_creates_pyproject_when_there_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    write_revision: Callable[..., Path]) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None\n')
    monkeypatch.chdir(tmp_path)
    run = run_cli("init", "versions", "--dialect", "mysql")
    assert run.exit_code == 0, run.stderr
    table = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["migcheck"]
    assert (table["baseline"], table["dialect"], table["paths"]) == ("a", "mysql", ["versions"])
    assert "was assumed" not in run.stdout


def test_init_on_a_missing_path(tmp_path: Path) -> None:
    run = run_cli("init", tmp_path / "nope")
    assert run.exit_code == 2
    assert "path not found" in run.stderr
    assert not (tmp_path / "pyproject.toml").exists()


def test_init_leaves_broken_toml_alone(legacy: Path) -> None:
    pyproject = legacy / "pyproject.toml"
    pyproject.write_text("[project\nname=\n", encoding="utf-8")
    run = run_cli("init", legacy)
    assert run.exit_code == 2
    assert "is not valid TOML" in run.stderr and "nothing was written" in run.stderr
    assert pyproject.read_text(encoding="utf-8") == "[project\nname=\n"


def test_json_report_with_a_baseline_matches_the_schema() -> None:
    import json

    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "src" / "migcheck" / "schemas" / "report-v1.json")
                        .read_text(encoding="utf-8"))
    document = run_cli("lint", LEGACY, "--format", "json").json()
    jsonschema.validate(document, schema)
    assert document["summary"]["linted_revisions"] == 1


def test_init_writes_paths_with_quotes_and_newlines_as_valid_toml(legacy: Path) -> None:
    """`migcheck init` escaped only backslashes and quotes: a newline in a folder name made
    the written table invalid TOML. It now writes strings as `migcheck config` does."""
    odd = legacy / "migrations" / 'ver"s\nions'
    (legacy / "migrations" / "versions").rename(odd)
    assert run_cli("init", odd).exit_code == 0
    table = tomllib.loads((legacy / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["migcheck"]
    assert table["paths"] == ['migrations/ver"s\nions']
