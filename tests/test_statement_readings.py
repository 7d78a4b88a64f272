"""The readings of SQL statements kept between runs (extract/readings.py, sources/cache.py): a revision edited
outside its SQL is read without sqlglot, and says exactly what it said when its SQL was parsed."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, revision_text, run_cli, where, write_files
from migcheck.extract import readings
from migcheck.extract import sql as sql_module
from migcheck.extract.sql import copies as sql_copies
from migcheck.extract.sql import statements as sql_statements
from migcheck.extract.sql import tree as sql_tree
from migcheck.extract.sql import where as sql_where
from migcheck.sources import cache as cache_module
from migcheck.sources.cache import Cache
from migcheck.sources.load import LoadError, load_python
from test_speed import _generate


def _sql_revisions() -> list[Path]:
    """Every fixture revision that executes SQL text (rules, real-world patterns, reviews: about 400 files)."""
    found = []
    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "execute" in text or "text(" in text:
            found.append(path)
    return found


def _load(path: Path, dialect: str) -> object:
    try:
        return load_python(path, dialect)
    except LoadError as exc:
        return ("error", exc.message, exc.line)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_every_fixture_reads_the_same_from_remembered_statements(
        dialect: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each SQL-bearing fixture loaded three ways: without readings, while they are remembered, and from them
    with sqlglot's parser made to fail. The three migrations are equal, field by field (``Change.__eq__``)."""
    paths = _sql_revisions()
    assert len(paths) > 300
    fresh = [_load(p, dialect) for p in paths]
    store = Cache.open(dialect)
    assert store is not None
    held = store.readings()
    with readings.used(held):
        remembering = [_load(p, dialect) for p in paths]
    held.save()
    assert remembering == fresh

    parsed = _counting_parses(monkeypatch)
    again = store.readings()  # read back from the file, as the next run does
    with readings.used(again):
        recalled = [_load(p, dialect) for p in paths]
    assert parsed == []
    assert recalled == fresh


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements sqlglot parses from now on."""
    parsed: list[str] = []
    real = sql_tree._parse

    def counting(sql: str, dialect: str) -> object:
        parsed.append(sql)
        return real(sql, dialect)

    for module in (sql_tree, sql_statements, sql_where, sql_copies):  # each module that parses holds the name
        monkeypatch.setattr(module, "_parse", counting)
    return parsed


def test_readings_made_in_forked_workers_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From 2,000 files the loader forks workers; the readings they make come back with their outcomes, so the
    statements of every file are kept, not only those of the parent's share."""
    from migcheck.sources import parallel

    project = _generate(40, tmp_path / "project")
    paths = sorted((project / "migrations" / "versions").glob("*.py"))
    fresh, _ = parallel.load_python_files(paths, "postgresql", 1, cache=False)
    parallel.load_python_files(paths, "postgresql", 2)  # the pool: this process and one worker
    _edit_all(project / "migrations" / "versions")
    parsed = _counting_parses(monkeypatch)
    again, _ = parallel.load_python_files(paths, "postgresql", 1)
    assert parsed == []
    assert [m.upgrade for m in again] == [m.upgrade for m in fresh]
    assert [m.downgrade for m in again] == [m.downgrade for m in fresh]


def test_a_recalled_reading_is_built_afresh_each_time() -> None:
    """The Python front end changes the changes it gets (lines, placeholders shown as written): one use of a
    reading must not change the next."""
    store = Cache.open("postgresql")
    assert store is not None
    held = store.readings()
    text = "ALTER TABLE t ADD COLUMN c integer NOT NULL DEFAULT 0; UPDATE t SET c = 1 WHERE c IS NULL"
    with readings.used(held):
        first = sql_module.changes_from_sql(text, 3, dialect="postgresql")
        first[0].line = 99
        first[0].column.name = "changed"  # type: ignore[attr-defined]
        second = sql_module.changes_from_sql(text, 7, dialect="postgresql", phase="downgrade")
    expected = sql_module.changes_from_sql(text, 7, dialect="postgresql", phase="downgrade")
    assert second == expected and second[0] is not first[0]
    assert [c.line for c in second] == [7, 7] and {c.phase for c in second} == {"downgrade"}


def _edit_all(folder: Path) -> None:
    """A new last line in every revision: the cache of whole files holds none of them any more."""
    for path in sorted(folder.glob("*.py")):
        path.write_text(path.read_text() + "# edited\n")


def test_revisions_edited_outside_their_sql_are_read_without_sqlglot(tmp_path: Path, _private_cache: Path) -> None:
    """The pre-commit case: the revision just edited is named; its SQL strings did not change, so their readings
    come from the cache and sqlglot is never imported; the report is the one ``--no-cache`` gives."""
    project = _generate(40, tmp_path / "project")
    versions = project / "migrations" / "versions"
    code = (
        "import sys\n"
        "from migcheck.cli import main\n"
        "sys.argv = ['migcheck', 'lint', *sys.argv[1:], '--format', 'json', '--fail-on', 'never']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('SQLGLOT', 'sqlglot' in sys.modules, file=sys.stderr)\n"
    )
    env = {**os.environ, "MIGCHECK_CACHE_DIR": str(_private_cache)}

    def lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env,
                              check=True, cwd=ROOT)

    assert "SQLGLOT True" in lint(project).stderr  # the first run parses the SQL, and keeps its readings
    _edit_all(versions)
    whole = lint(project)
    assert "SQLGLOT False" in whole.stderr
    assert whole.stdout == run_cli("lint", project, "--format", "json", "--fail-on", "never", "--no-cache").stdout
    newest = next(p for p in sorted(versions.glob("*.py")) if "trim(NEW.name)" in p.read_text())  # SQL in op.execute
    newest.write_text(newest.read_text() + "# edited again\n")
    one = lint(newest)
    assert "SQLGLOT False" in one.stderr
    assert one.stdout == run_cli("lint", newest, "--format", "json", "--fail-on", "never", "--no-cache").stdout
    newest.write_text(newest.read_text().replace("trim(NEW.name)", "upper(NEW.name)"))  # its SQL edited
    assert "SQLGLOT True" in lint(newest).stderr


def test_a_planted_or_damaged_readings_file_is_never_unpickled(tmp_path: Path, _private_cache: Path) -> None:
    """The readings file is guarded as the packs are: a file not written under this cache's key (planted, with
    or without a forged header, flipped, truncated) is a miss, never unpickled; the report is unchanged."""
    project = _generate(30, tmp_path / "project")
    expected = run_cli("lint", project, "--format", "json", "--no-cache").stdout
    assert run_cli("lint", project, "--format", "json").stdout == expected
    store = Cache.open("postgresql")
    assert store is not None
    path = store.readings().path
    assert path.name.startswith(cache_module.READINGS_PREFIX) and path.is_file()
    genuine = path.read_bytes()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.mkdir, (str(marker),))

    planted = pickle.dumps({"k": pickle.dumps(Evil())})
    foreign = Cache(store.directory, store.salt, b"k" * cache_module.KEY_SIZE)
    flipped = bytearray(genuine)
    flipped[-50] ^= 1
    for data in (planted, cache_module.MAGIC + foreign.digest(planted) + planted, bytes(flipped), genuine[:-1]):
        path.write_bytes(data)
        assert store.readings().recall("k") is None
        _edit_all(project / "migrations" / "versions")
        assert run_cli("lint", project, "--format", "json").stdout == expected
        assert not marker.exists()


def test_no_cache_keeps_no_readings(tmp_path: Path, _private_cache: Path) -> None:
    project = _generate(20, tmp_path / "project")
    run_cli("lint", project, "--format", "json", "--no-cache")
    assert not any(p.name.startswith(cache_module.READINGS_PREFIX) for p in _private_cache.rglob("*"))


def test_no_cache_parses_a_statement_many_revisions_run_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--no-cache`` keeps no readings between runs, but within its run a statement that every revision executes
    alike is parsed twice, not once per revision (issue 13: twelve revisions each dropping ``t1_legacy_check`` IF
    EXISTS parsed it twelve times), and the findings are those of a run that reads it from the cache."""
    drop = 'op.execute("ALTER TABLE t1 DROP CONSTRAINT IF EXISTS t1_legacy_check")'
    files = {"versions/r00.py": revision_text("r00", None, 'op.create_table("t1", sa.Column("id", sa.Integer()))')}
    for i in range(1, 13):
        files[f"versions/r{i:02}.py"] = revision_text(f"r{i:02}", f"r{i - 1:02}", f"{drop}\nop.execute(\"SELECT {i}\")")
    project = write_files(tmp_path / "project", files)
    cached = run_cli("lint", project, "--no-config", "--format", "json", "--fail-on", "never")
    parsed = _counting_parses(monkeypatch)
    run = run_cli("lint", project, "--no-config", "--no-cache", "--format", "json", "--fail-on", "never")
    assert parsed.count(drop[12:-2]) == 2
    assert parsed.count("SELECT 5") == 1
    assert run.exit_code == cached.exit_code == 0
    assert where(run.json()["findings"]) == where(cached.json()["findings"])
    assert ("missing-lock-timeout", "r12.py", 10) in where(run.json()["findings"])  # read as an ALTER TABLE


def test_only_the_newest_readings_are_kept_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_READINGS", 3)
    store = Cache.open("postgresql")
    assert store is not None
    for batch in (["a", "b"], ["c", "d"]):
        held = store.readings()
        for name in batch:
            held.remember(name, name.upper())
        held.save()
    kept = store.readings()
    assert [kept.recall(k) for k in "abcd"] == [None, ("B",), ("C",), ("D",)]
