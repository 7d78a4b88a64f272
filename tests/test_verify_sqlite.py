"""verify on SQLite: a scratch file in a private temporary directory, batch mode's facts, locks not measured."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.live import LiveError
from migcheck.live.provision import provision

SQLITE = FIXTURES / "verify" / "sqlite" / "versions"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tempfile's directory for this test only, to see what verify leaves there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_verify_on_a_scratch_sqlite_file(tmp_path: Path, private_tmp: Path) -> None:
    mine = tmp_path / "mine.db"
    run = run_cli("verify", SQLITE, "--db-url", f"sqlite:///{mine}", "-f", "json")
    assert run.exit_code == 1, run.stderr
    doc = run.json()
    found = {(f["rule"], Path(f["path"]).name, f["line"]) for f in doc["findings"]}
    assert found == {
        ("downgrade-not-inverse", "0003_color.py", 15),
        ("upgrade-not-repeatable", "0003_color.py", 10),
        ("upgrade-failed", "0004_color_required.py", 10),
    }
    failed = next(f for f in doc["findings"] if f["rule"] == "upgrade-failed")
    assert failed["message"] == 'upgrade of 0004 fails: near "ALTER": syntax error'
    assert "op.batch_alter_table" in failed["fix"]
    steps = doc["verify"]["steps"]
    # 0002 alters a column in batch mode and cycles cleanly; 0004 ran after 0003's state was rebuilt.
    assert [(s["revision"], s["status"], s["locks_measured"]) for s in steps] == [
        ("0001", "ok", "no"), ("0002", "ok", "no"), ("0003", "failed", "no"), ("0004", "failed", "no")]
    assert steps[2]["restored"] is True
    assert any("on SQLite" in n and "not measured for any revision" in n for n in doc["verify"]["notes"])
    assert doc["summary"]["verify"]["checked"] == 4
    assert not mine.exists()  # the user's file is never opened
    assert list(private_tmp.iterdir()) == []  # the scratch directory is gone


def test_the_text_table_says_not_measured_per_revision(private_tmp: Path) -> None:
    run = run_cli("verify", SQLITE, "--db-url", "sqlite://")
    rows = [line for line in run.stdout.splitlines() if line.startswith("000")]
    assert len(rows) == 4 and all("not measured" in row for row in rows)
    assert run.stdout.startswith("Verified on SQLite ")


def test_the_scratch_directory_is_private_and_removed_on_an_error(private_tmp: Path) -> None:
    with pytest.raises(LiveError), provision("sqlite:///ignored.db", None, None, False) as scratch:
        folder = Path(scratch.url.database).parent
        assert folder.parent == private_tmp
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        raise LiveError("stop")
    assert not folder.exists()


def test_verify_lints_the_paths_the_config_names(tmp_path: Path, private_tmp: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`[tool.migcheck] paths` says what to check when the command line names nothing: lint honoured
    it, verify looked at the working directory instead (and found no history there)."""
    import shutil

    import migcheck

    project = tmp_path / "project"
    shutil.copytree(SQLITE, project / "db" / "versions")
    legacy = project / "legacy" / "versions"  # another history in the tree, not the one configured
    legacy.mkdir(parents=True)
    (legacy / "l1.py").write_text(
        'revision = "l1"\ndown_revision = None\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        'def upgrade():\n    op.create_table("legacy", sa.Column("id", sa.Integer, primary_key=True))\n\n'
        'def downgrade():\n    op.drop_table("legacy")\n', encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.migcheck]\npaths = ["db/versions"]\n', encoding="utf-8")
    monkeypatch.chdir(project)
    run = run_cli("verify", "--db-url", "sqlite://", "-f", "json")
    assert run.exit_code == 1, run.stderr
    assert run.json()["summary"]["verify"]["checked"] == 4
    assert {Path(s["path"]).parent.parent.name for s in run.json()["verify"]["steps"]} == {"db"}
    assert migcheck.verify(db_url="sqlite://").document["summary"]["verify"]["checked"] == 4


def test_the_table_stats_snapshot_is_read_once_before_the_cycle(tmp_path: Path, private_tmp: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """verify checked the snapshot before running, then read it again afterwards (CLI); the API read it
    only after the whole cycle, so a bad file cost a full run before its one-line error."""
    import json

    import migcheck
    from migcheck.run import tablesizes

    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"migcheck_table_stats": 1, "taken_at": "2026-12-01T00:00:00Z",
                                 "alembic_heads": [], "tables": []}), encoding="utf-8")
    reads: list[Path] = []
    real = tablesizes.load

    def counting(path: Path) -> tablesizes.Snapshot:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(tablesizes, "load", counting)
    run = run_cli("verify", SQLITE, "--db-url", "sqlite://", "--table-stats", stats, "-f", "json")
    assert run.exit_code == 1, run.stderr
    assert len(reads) == 1
    stats.write_text("{", encoding="utf-8")
    ran: list[object] = []
    monkeypatch.setattr("migcheck.live.cycle.verify", lambda options: ran.append(options))
    with pytest.raises(migcheck.UsageError, match="not valid JSON"):
        migcheck.verify(SQLITE, db_url="sqlite://", table_stats=str(stats))
    assert ran == []
