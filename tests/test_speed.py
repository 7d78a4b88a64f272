"""Loading across processes and the content-hash cache change how fast a lint is, never what it says."""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, Run, run_cli
from migcheck.sources import cache as cache_module
from migcheck.sources import parallel
from migcheck.sources.cache import Cache


def _generate(count: int, target: Path) -> Path:
    """A realistic history from the benchmark generator (raw SQL, data migrations, batch ops, merges)."""
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.generate(count, target)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = _generate(120, tmp_path_factory.mktemp("history") / "project")
    # a broken file and a helper module sit among the revisions, as they do in real projects
    versions = project / "migrations" / "versions"
    (versions / "zz_broken.py").write_text('revision = "broken"\ndown_revision = None\ndef upgrade(:\n    pass\n')
    (versions / "helpers.py").write_text("def backfill(table):\n    return table\n")
    return project


def _entries(directory: Path) -> list[Path]:
    """The packs of a cache (not its tag, its key nor its statements' readings)."""
    return [p for p in directory.rglob("*") if p.is_file() and p.name not in ("CACHEDIR.TAG", cache_module.KEY_NAME)
            and not p.name.startswith(cache_module.READINGS_PREFIX)]


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is read long after it was written, so each entry gets its stat signature on the first run
    (otherwise a file younger than SETTLE_NS gets it on the first run after it settles, which rewrites the pack)."""
    monkeypatch.setattr(cache_module, "now_ns", lambda: time.time_ns() + 3600 * 10**9)


def test_parallel_loading_gives_the_same_report(history: Path) -> None:
    serial = run_cli("lint", history, "--format", "json", "--jobs", "1", "--no-cache")
    pooled = run_cli("lint", history, "--format", "json", "--jobs", "2", "--no-cache")
    assert serial.exit_code == pooled.exit_code == 1
    assert pooled.stdout == serial.stdout
    report = serial.json()
    assert report["summary"]["revisions"] == 120
    broken = [f for f in report["findings"] if f["rule"] == "invalid-migration-file"]
    assert [(Path(f["path"]).name, f["line"]) for f in broken] == [("zz_broken.py", 3)]
    assert {"create-index-not-concurrently", "add-not-null-column-without-default"} <= set(serial.rules())


def test_large_history_uses_the_pool_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    assert parallel._workers(parallel.PARALLEL_MIN_FILES - 1, None) == 1
    assert parallel._workers(10_000, None) == 2
    assert parallel._workers(10_000, 1) == 1
    assert parallel._workers(3, 8) == 3


def test_loading_falls_back_in_process_when_no_pool_can_start(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = run_cli("lint", history, "--format", "json", "--jobs", "1", "--no-cache").stdout

    def no_pool(*args: object) -> None:
        return None

    monkeypatch.setattr(parallel, "_load_in_pool", no_pool)
    assert run_cli("lint", history, "--format", "json", "--jobs", "2", "--no-cache").stdout == expected


def _packs(directory: Path) -> dict[Path, tuple[int, int]]:
    """Pack files of the cache, with what changes when one is written again (os.replace: a new inode)."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in _entries(directory)}


@pytest.fixture
def small_histories_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache skips runs on a handful of files (pre-commit on changed files); these tests use it anyway."""
    monkeypatch.setattr(parallel, "CACHE_MIN_FILES", 1)


INDEX_REVISION = """
    from alembic import op
    revision = "a1"
    down_revision = None
    def upgrade():
        op.create_index("ix_users_email", "users", ["email"])
    def downgrade():
        op.drop_index("ix_users_email", table_name="users")
    """


_PARENT = os.getpid()


def _dies_in_a_worker(path: Path, dialect: str, store: object = None) -> object:
    """load_one, except that in a worker process it dies as the out-of-memory killer would make it."""
    if os.getpid() != _PARENT:
        os._exit(9)
    return _REAL_LOAD_ONE(path, dialect, store)


_REAL_LOAD_ONE = parallel.load_one


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked only on Linux")
def test_a_worker_that_dies_costs_only_time(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = run_cli("lint", history, "--format", "json", "--jobs", "1", "--no-cache").stdout
    monkeypatch.setattr(parallel, "load_one", _dies_in_a_worker)
    assert run_cli("lint", history, "--format", "json", "--jobs", "2", "--no-cache").stdout == expected


@pytest.mark.usefixtures("settled")
def test_second_run_reads_the_cache_and_reports_the_same(history: Path, _private_cache: Path) -> None:
    first = run_cli("lint", history, "--format", "json")
    packs = _packs(_private_cache)
    assert len(packs) == 1  # one folder of revisions
    second = run_cli("lint", history, "--format", "json")
    assert second.stdout == first.stdout
    assert second.exit_code == first.exit_code == 1
    assert _packs(_private_cache) == packs  # nothing was parsed again, so nothing was written


@pytest.mark.usefixtures("small_histories_cached")
def test_an_edited_file_is_parsed_again(write_revision: Callable[..., Path], tmp_path: Path,
                                        _private_cache: Path) -> None:
    path = write_revision("a1_index.py", INDEX_REVISION)
    only = ("--select", "create-index-not-concurrently")  # this test is about the cache, not the catalogue
    first = run_cli("lint", tmp_path / "versions", "--format", "json", *only)
    assert first.rules() == ["create-index-not-concurrently"]
    assert len(_packs(_private_cache)) == 1
    path.write_text(path.read_text().replace('["email"])', '["email"], postgresql_concurrently=True)'))
    second = run_cli("lint", tmp_path / "versions", "--format", "json", *only)
    assert "create-index-not-concurrently" not in second.rules()


@pytest.mark.usefixtures("small_histories_cached")
def test_a_cached_file_is_reported_where_it_is_now(
    write_revision: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_revision("a1_index.py", INDEX_REVISION)
    monkeypatch.chdir(tmp_path)
    first = run_cli("lint", "versions", "--format", "json")
    assert {f["path"] for f in first.json()["findings"]} == {"versions/a1_index.py"}
    monkeypatch.chdir(tmp_path / "versions")
    second = run_cli("lint", ".", "--format", "json")  # the same file, spelled from elsewhere
    assert {f["path"] for f in second.json()["findings"]} == {"a1_index.py"}


@pytest.mark.usefixtures("settled")
def test_a_run_on_some_files_keeps_the_entries_of_the_others(history: Path, _private_cache: Path) -> None:
    versions = history / "migrations" / "versions"
    run_cli("lint", history, "--quiet")
    some = sorted(versions.glob("*.py"))[:30]
    edited = some[0]
    original = edited.read_text()
    try:
        edited.write_text(original + "\n# edited\n")
        run_cli("lint", *some, "--quiet")  # parses the edited file, rewrites the pack
        edited.write_text(original)
        run_cli("lint", *some, "--quiet")
        packs = _packs(_private_cache)
        run_cli("lint", history, "--quiet")  # every other file still has its entry
        assert _packs(_private_cache) == packs
    finally:
        edited.write_text(original)


def test_no_cache_writes_nothing(history: Path, _private_cache: Path) -> None:
    run_cli("lint", history, "--no-cache", "--quiet")
    assert _entries(_private_cache) == []


def test_each_dialect_has_its_own_entries(history: Path, _private_cache: Path) -> None:
    run_cli("lint", history, "--quiet")
    run_cli("lint", history, "--quiet", "--dialect", "mysql")
    assert len(_packs(_private_cache)) == 2


def test_new_code_starts_a_new_cache_and_drops_the_old(
    _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Cache.open("postgresql")
    assert old is not None
    monkeypatch.setattr(cache_module, "VERSION", "99.0.0")
    new = Cache.open("postgresql")
    assert new is not None
    assert new.directory != old.directory
    assert not old.directory.exists()
    assert new.key(b"x") != old.key(b"x")


def test_a_cache_directory_of_the_users_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine"
    keep = [mine / "venv", mine / ("v1-" + "0" * 32)]  # the second looks like a stale cache, but is not ours
    for directory in keep:
        directory.mkdir(parents=True)
    monkeypatch.setenv("MIGCHECK_CACHE_DIR", str(mine))
    assert Cache.open("postgresql") is not None
    assert all(d.is_dir() for d in keep)
    assert not (mine / "CACHEDIR.TAG").exists()


@pytest.mark.usefixtures("small_histories_cached")
def test_a_planted_pack_is_never_executed(write_revision: Callable[..., Path], tmp_path: Path) -> None:
    path = write_revision(
        "a1_plain.py",
        """
        revision = "a1"
        down_revision = None
        def upgrade():
            pass
        def downgrade():
            pass
        """,
    )
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.mkdir, (str(marker),))

    store = Cache.open("postgresql")
    assert store is not None
    planted = pickle.dumps({os.path.abspath(path): (store.key(path.read_bytes()), Evil(), None)})
    pack = store.pack_path(os.path.dirname(os.path.abspath(path)))
    foreign = Cache(store.directory, store.salt, b"k" * cache_module.KEY_SIZE)  # a key that is not this cache's
    for data in (planted, cache_module.MAGIC + foreign.digest(planted) + planted):
        pack.write_bytes(data)
        result: Run = run_cli("lint", tmp_path / "versions", "--format", "json")
        assert not marker.exists()
        assert result.exit_code == 0
        assert result.json()["summary"]["revisions"] == 1


def test_an_unusable_cache_directory_only_costs_speed(
    history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = run_cli("lint", history, "--format", "json", "--no-cache").stdout
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setenv("MIGCHECK_CACHE_DIR", str(not_a_dir / "cache"))
    result = run_cli("lint", history, "--format", "json")
    assert result.stdout == expected
    assert result.stderr == ""


def test_a_warm_run_never_imports_sqlglot(tmp_path: Path, _private_cache: Path) -> None:
    """Whether an UPDATE's WHERE still matches the whole table is decided when its SQL is parsed, so a run
    that reads every file from the cache does not import sqlglot (a tenth of a second) and still finds the
    unbatched backfill, with the WHERE it shows."""
    project = _generate(30, tmp_path / "project")
    versions = project / "migrations" / "versions"
    last = sorted(p for p in versions.glob("*.py"))[-1]
    head = last.read_text().split('revision = "')[1].split('"')[0]
    (versions / "zz_backfill.py").write_text(
        f'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "zzbackfill"\ndown_revision = "{head}"\n\n\n'
        'def upgrade():\n    op.add_column("t1", sa.Column("note", sa.String(10)))\n'
        '    op.execute("UPDATE t1 SET note = \'x\' WHERE note IS NULL")\n\n\n'
        'def downgrade():\n    pass\n')
    code = (
        "import json, sys\n"
        "from migcheck.cli import main\n"
        f"sys.argv = ['migcheck', 'lint', {str(project)!r}, '--format', 'json', '--fail-on', 'never']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('SQLGLOT', 'sqlglot' in sys.modules, file=sys.stderr)\n"
    )
    env = {**os.environ, "MIGCHECK_CACHE_DIR": str(_private_cache)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            for _ in range(2)]
    assert "SQLGLOT True" in runs[0].stderr  # the first run parses the SQL
    assert "SQLGLOT False" in runs[1].stderr
    assert runs[0].stdout == runs[1].stdout
    backfills = [f for f in json.loads(runs[1].stdout)["findings"] if f["rule"] == "unbatched-backfill"
                 and f["path"].endswith("zz_backfill.py")]
    # (t1.name is NOT NULL since t1 was made: `WHERE name IS NULL` would match no row, so a new column here)
    assert [f["line"] for f in backfills] == [10] and "WHERE (note IS NULL)" in backfills[0]["message"]


@pytest.mark.parametrize("args", [["--version"], ["rules"], ["explain", "drop-table"]])
def test_commands_that_only_print_import_neither_sqlglot_nor_the_engine(args: list[str]) -> None:
    """Start-up: what these commands print needs the rule catalogue at most, never the SQL parser."""
    code = (
        "import sys\n"
        "from migcheck.cli import main\n"
        f"sys.argv = ['migcheck', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] == 'sqlglot' or m in "
        "('migcheck.run.engine', 'migcheck.extract.sql', 'migcheck.extract.python'))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stderr
    assert out.stdout.strip()


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_alone_imports_no_typer_and_says_what_the_cli_says(flag: str) -> None:
    """``migcheck --version`` is answered by the entry point before typer is imported (nine tenths of that
    run); the line and the exit code are those of the typer command."""
    code = (
        "import sys\n"
        "from migcheck.launch import main\n"
        f"sys.argv = ['migcheck', {flag!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    print('EXIT', exc.code, file=sys.stderr)\n"
        "print('TYPER', 'typer' in sys.modules, file=sys.stderr)\n"
    )
    fast = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "TYPER False" in fast.stderr and "EXIT 0" in fast.stderr
    through_typer = run_cli(flag, "--help")  # not the version alone: the typer command answers (eager option)
    assert through_typer.exit_code == 0 and through_typer.stdout == fast.stdout == "alembic-migcheck 0.1.0\n"
    assert run_cli(flag).stdout == fast.stdout


def test_a_lazy_regex_compiles_on_first_use_and_then_is_the_compiled_pattern(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Module-level patterns are compiled when first used (lint imports every rule); every method answers
    as ``re.compile``'s, and after the first use the methods are the compiled pattern's own."""
    import re

    from migcheck.vocabulary.lazyregex import lazy_regex

    compiled: list[str] = []
    real = re.compile
    monkeypatch.setattr(re, "compile", lambda p, f=0: compiled.append(p) or real(p, f))
    lazy = lazy_regex(r"(?P<word>[a-z]+)(\d*)", re.I)
    assert compiled == []
    eager = real(r"(?P<word>[a-z]+)(\d*)", re.I)
    text = "Ab1 cd22 -- EF"
    assert lazy.match(text).span() == eager.match(text).span()  # type: ignore[union-attr]
    assert compiled == [r"(?P<word>[a-z]+)(\d*)"]
    assert lazy.search(text, 3).span() == eager.search(text, 3).span()  # type: ignore[union-attr]
    assert lazy.fullmatch(text) is None and lazy.fullmatch("ab1").span() == (0, 3)  # type: ignore[union-attr]
    assert lazy.findall(text) == eager.findall(text) and lazy.split(text) == eager.split(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert lazy.sub("x", text) == eager.sub("x", text) and lazy.subn("x", text) == eager.subn("x", text)
    assert (lazy.pattern, lazy.flags, lazy.groups, lazy.groupindex) == (
        eager.pattern, eager.flags, eager.groups, eager.groupindex)
    assert lazy.match.__self__ is lazy.search.__self__  # type: ignore[attr-defined]  # bound to one compiled
    assert isinstance(lazy.match.__self__, re.Pattern)  # type: ignore[attr-defined]
    assert compiled == [r"(?P<word>[a-z]+)(\d*)"]  # once
    assert repr(lazy) == repr(eager)


def test_files_are_parsed_with_the_collector_on_even_when_the_caller_paused_it(tmp_path: Path) -> None:
    """``lint`` pauses the cyclic collector for the whole run; parsing is where cyclic garbage is made
    (sqlglot's trees), so reading a revision or a .sql file turns it on for that file and off again."""
    import gc

    from migcheck.sources import load

    revision = tmp_path / "a1.py"
    revision.write_text('revision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n'
                        '    op.execute("UPDATE t SET a = 1 WHERE b IS NULL")\n\n\ndef downgrade():\n    pass\n')
    offline = tmp_path / "up.sql"
    offline.write_text("BEGIN;\nCREATE TABLE t (a int);\nUPDATE alembic_version SET version_num='a1';\nCOMMIT;\n")
    seen: list[bool] = []
    real_python, real_sql = load._load_python, load.load_sql_file
    gc.disable()
    try:
        load._load_python = lambda *a: seen.append(gc.isenabled()) or real_python(*a)  # type: ignore[assignment]
        load.load_sql_file = lambda *a: seen.append(gc.isenabled()) or real_sql(*a)  # type: ignore[assignment]
        migration = load.load_python(revision, "postgresql")
        assert migration is not None and migration.upgrade_changes
        assert not gc.isenabled()
        assert load.load_sql(offline, "postgresql")
        assert not gc.isenabled()
    finally:
        load._load_python, load.load_sql_file = real_python, real_sql  # type: ignore[assignment]
        gc.enable()
    assert seen == [True, True]
    load.load_python(revision, "postgresql")
    assert gc.isenabled()  # a caller that had it on keeps it on


def test_lint_collects_only_while_parsing(tmp_path: Path, _private_cache: Path) -> None:
    """The command pauses the collector for the whole run (what it builds lives until it exits; each pass
    walked the revisions read from the cache again): a pre-commit run (the newest revision named alone, its
    siblings from the cache) collects only while that file is parsed, and reports what it did before.
    (Passes before ``main`` runs, while Python starts, are not the command's.)"""
    project = _generate(30, tmp_path / "project")
    newest = sorted((project / "migrations" / "versions").glob("*.py"))[-1]
    code = (
        "import gc, sys\n"
        "outside = []\n"
        "def seen(phase, info):\n"
        "    frame = sys._getframe(1)\n"
        "    names = set()\n"
        "    while frame is not None:\n"
        "        names.add(frame.f_code.co_name)\n"
        "        frame = frame.f_back\n"
        "    if phase == 'start' and 'main' in names and not names & {'load_python', 'load_sql'}:\n"
        "        outside.append(info['generation'])\n"
        "gc.callbacks.append(seen)\n"
        "from migcheck.launch import main\n"
        "sys.argv = ['migcheck', 'lint', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('OUTSIDE', outside, file=sys.stderr)\n"
    )
    env = {**os.environ, "MIGCHECK_CACHE_DIR": str(_private_cache)}
    args = ["--format", "json", "--fail-on", "never"]
    subprocess.run([sys.executable, "-c", code, str(project), *args], capture_output=True, env=env, check=True)
    run = subprocess.run([sys.executable, "-c", code, str(newest), *args], capture_output=True, text=True, env=env,
                         check=True)
    assert "OUTSIDE []" in run.stderr
    assert run.stdout == run_cli("lint", newest, *args).stdout  # the typer app in-process, collector on


def test_reading_a_pack_pauses_the_collector_and_restores_it(tmp_path: Path) -> None:
    """The cyclic collector is off while a pack is unpickled (it only slows that down) and comes back
    as it was, also when the pack is damaged."""
    import gc

    store = Cache.open("postgresql")
    folder = str(tmp_path)
    store.write(folder, {})
    assert gc.isenabled()
    store.read(folder)
    assert gc.isenabled()
    Path(store.pack_path(folder)).write_bytes(b"\x80\x05damaged")
    assert store.read(folder) == {}
    assert gc.isenabled()
    gc.disable()
    try:
        store.read(folder)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


@pytest.mark.parametrize("command", ["lint", "verify", "stats", "rules", "explain", "config", "init"])
def test_one_command_app_says_what_the_whole_app_says(command: str) -> None:
    """``main`` builds only the command named (start-up time); help and usage errors stay the same."""
    from typer.testing import CliRunner

    from migcheck.cli import app, app_for

    for args in ([command, "--help"], [command, "--no-such-option"], [command, "-h", "extra"]):
        narrow = app_for(args)
        assert narrow is not app and [c.callback for c in narrow.registered_commands] == [
            c.callback for c in app.registered_commands if c.callback is not None and
            (c.name or c.callback.__name__.replace("_", "-")) == command]
        whole = CliRunner().invoke(app, args)
        one = CliRunner().invoke(narrow, args)
        assert (one.exit_code, one.stdout, one.stderr) == (whole.exit_code, whole.stdout, whole.stderr)
    for args in ([], ["--version"], ["lnit"], ["-V", command]):
        assert app_for(args) is app


def test_packs_hold_no_paths_and_cached_outcomes_get_the_path_given(history: Path, _private_cache: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Outcomes are stored without their path (a Path per sibling was a tenth of reading a pack); each
    one read back is named by the path of this run, the broken file's error too."""
    import pickletools

    first = run_cli("lint", history, "--format", "json")
    [pack] = _entries(_private_cache)
    payload = pack.read_bytes()[cache_module.HEADER_SIZE:]
    names = {arg for op, arg, _ in pickletools.genops(payload) if op.name == "SHORT_BINUNICODE"}
    assert "PosixPath" not in names and "pathlib" not in names
    monkeypatch.chdir(history)
    second = run_cli("lint", ".", "--format", "json")
    assert {f["path"] for f in second.json()["findings"]} == {
        os.path.relpath(f["path"], history) for f in first.json()["findings"]}
    assert "migrations/versions/zz_broken.py" in {f["path"] for f in second.json()["findings"]}


def test_the_code_fingerprint_reads_every_module_of_the_package(tmp_path: Path) -> None:
    """The fingerprint lists the package with os.walk (faster than rglob): the same files, in a fixed order,
    and any of them edited is a new fingerprint."""
    package = Path(cache_module.__file__).resolve().parent.parent
    listed = cache_module._package_sources(str(package))
    assert listed == sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py"))
    assert "sources/cache.py" in listed and "cli.py" in listed
    copy = tmp_path / "migcheck"
    (copy / "sub" / "__pycache__").mkdir(parents=True)
    (copy / "a.py").write_text("")
    (copy / "sub" / "b.py").write_text("")
    (copy / "sub" / "__pycache__" / "c.py").write_text("")
    (copy / "sub" / "notes.txt").write_text("")
    assert cache_module._package_sources(str(copy)) == ["a.py", "sub/b.py"]


def _revisions(folder: Path, count: int = 25) -> list[Path]:
    folder.mkdir()
    for index in range(count):
        (folder / f"r{index:02}.py").write_text(
            f'revision = "r{index:02}"\ndown_revision = {f"{chr(34)}r{index - 1:02}{chr(34)}" if index else None}\n'
            'from alembic import op\n\n\ndef upgrade():\n    op.drop_column("t", "c")\n\n\ndef downgrade():\n'
            '    pass\n')
    return sorted(folder.glob("*.py"))


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the loader reads from now on (a cached file whose stat still matches is not read)."""
    read: list[Path] = []
    real = parallel.read_bytes_stat

    def counting(path: Path) -> tuple[bytes, os.stat_result]:
        read.append(path)
        return real(path)

    monkeypatch.setattr(parallel, "read_bytes_stat", counting)
    return read


@pytest.mark.usefixtures("settled")
def test_an_unchanged_settled_file_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its stat (device, inode, size, mtime, ctime) is the one recorded when it was hashed: no read, no hash."""
    paths = _revisions(tmp_path / "versions")
    first = parallel.load_python_files(paths, "postgresql", 1)
    read = _counting_reads(monkeypatch)
    second = parallel.load_python_files(paths, "postgresql", 1)
    assert read == []
    assert [m.upgrade for m in second[0]] == [m.upgrade for m in first[0]]
    assert [m.path for m in second[0]] == paths
    time.sleep(0.02)  # past the filesystem's timestamp tick: the edit moves mtime and ctime
    before = os.stat(paths[3])
    paths[3].write_text(paths[3].read_text().replace('"c"', '"d"'))  # same size
    assert os.stat(paths[3]).st_size == before.st_size and os.stat(paths[3]).st_ctime_ns != before.st_ctime_ns
    third = parallel.load_python_files(paths, "postgresql", 1)
    assert read == [paths[3], paths[3]]  # hashed (a miss), then parsed
    assert third[0][3].upgrade is not None and third[0][3].upgrade.changes[0].column == "d"


def _one_tick_filesystem(monkeypatch: pytest.MonkeyPatch, tick: int, read_at: int) -> None:
    """Every file's mtime and ctime are ``tick`` (a filesystem whose timestamps are that coarse, or an edit in
    the same tick), and the loader reads at ``read_at``."""
    real = cache_module.signature

    def coarse(info: os.stat_result) -> cache_module.Signature:
        dev, ino, size, _mtime, _ctime = real(info)
        return dev, ino, size, tick, tick

    monkeypatch.setattr(cache_module, "signature", coarse)
    monkeypatch.setattr(cache_module, "now_ns", lambda: read_at)


def test_a_same_size_edit_in_the_timestamp_tick_of_the_read_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git's racy case: the file was read in the tick it was written in, then written again in the same tick
    with the same size: its stat is the same. Such a file gets no signature, so it is hashed on every run."""
    paths = _revisions(tmp_path / "versions")
    tick = time.time_ns()
    _one_tick_filesystem(monkeypatch, tick, read_at=tick + 10**9)  # read one second after the write
    parallel.load_python_files(paths, "postgresql", 1)
    paths[3].write_text(paths[3].read_text().replace('"c"', '"d"'))  # same size, same (simulated) tick
    read = _counting_reads(monkeypatch)
    migrations, _ = parallel.load_python_files(paths, "postgresql", 1)
    assert migrations[3].upgrade is not None and migrations[3].upgrade.changes[0].column == "d"
    assert sorted(set(read)) == paths  # every file was as young: each was hashed again


def test_a_file_settled_before_it_was_read_is_trusted_by_its_stat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The twin: the same one-tick filesystem, read SETTLE_NS after the tick: a later write moves mtime or
    ctime past the tick on any filesystem whose clock is this one's, so the signature is recorded and used."""
    paths = _revisions(tmp_path / "versions")
    tick = time.time_ns()
    _one_tick_filesystem(monkeypatch, tick, read_at=tick + cache_module.SETTLE_NS + 1)
    parallel.load_python_files(paths, "postgresql", 1)
    read = _counting_reads(monkeypatch)
    parallel.load_python_files(paths, "postgresql", 1)
    assert read == []


def test_a_racy_entry_gets_its_signature_once_it_has_settled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _private_cache: Path) -> None:
    """Hashed while young, the entry is rewritten with its signature on the first run after it settled."""
    paths = _revisions(tmp_path / "versions")
    tick = time.time_ns()
    _one_tick_filesystem(monkeypatch, tick, read_at=tick)
    parallel.load_python_files(paths, "postgresql", 1)
    packs = _packs(_private_cache)
    parallel.load_python_files(paths, "postgresql", 1)  # still young: hashed, nothing to write
    assert _packs(_private_cache) == packs
    monkeypatch.setattr(cache_module, "now_ns", lambda: tick + cache_module.SETTLE_NS + 1)
    parallel.load_python_files(paths, "postgresql", 1)  # settled: hashed once more, signatures recorded
    assert _packs(_private_cache) != packs
    read = _counting_reads(monkeypatch)
    parallel.load_python_files(paths, "postgresql", 1)
    assert read == []


def test_a_damaged_or_foreign_pack_is_rejected_whole_and_rebuilt(history: Path, _private_cache: Path) -> None:
    """A pack is read only when its keyed digest is this cache's: one flipped byte, a truncation or a pack
    made under another key is a miss for the whole folder, and the run writes a sound pack again."""
    expected = run_cli("lint", history, "--format", "json", "--no-cache").stdout
    run_cli("lint", history, "--quiet")
    [pack] = _entries(_private_cache)
    store = Cache.open("postgresql")
    assert store is not None
    folder = os.path.abspath(history / "migrations" / "versions")
    genuine = pack.read_bytes()
    assert len(store.read(folder)) == 122
    payload = genuine[cache_module.HEADER_SIZE:]
    foreign = Cache(store.directory, store.salt, b"k" * cache_module.KEY_SIZE)
    flipped = bytearray(genuine)
    flipped[-100] ^= 1
    for damaged in (bytes(flipped), genuine[:-1], cache_module.MAGIC + foreign.digest(payload) + payload):
        pack.write_bytes(damaged)
        assert store.read(folder) == {}
        assert run_cli("lint", history, "--format", "json").stdout == expected
        assert len(store.read(folder)) == 122  # rebuilt


def test_a_key_that_is_not_private_turns_the_cache_off(_private_cache: Path) -> None:
    """The key is made 0600 with the cache's own directory; one readable by others is not used (a private one
    of the wrong size, this user's own key damaged, is replaced: tests/security/test_cache.py)."""
    store = Cache.open("postgresql")
    assert store is not None and len(store.secret) == cache_module.KEY_SIZE
    key = store.directory / cache_module.KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert Cache.open("postgresql").secret == store.secret  # type: ignore[union-attr]
    key.chmod(0o644)
    assert Cache.open("postgresql") is None
    key.chmod(0o600)
    key.write_bytes(b"short")
    replaced = Cache.open("postgresql")
    assert replaced is not None and len(replaced.secret) == cache_module.KEY_SIZE != len(b"short")


def test_a_run_that_loses_the_race_to_make_the_entry_directory_still_uses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first runs at once (a pre-commit hook and an editor's): both saw no entry directory, one made
    it, and the other's ``mkdir`` failed, so it ran without the cache (neither read nor wrote a pack). The
    directory appearing between the check and the ``mkdir`` is simulated by hiding it from ``is_dir``."""
    root = tmp_path / "cache"
    made = Cache.open("postgresql", root=root)
    assert made is not None
    real_is_dir, hidden = Path.is_dir, [made.directory]

    def is_dir(self: Path) -> bool:  # the first look at the entry directory misses it, as in the race
        if self in hidden:
            hidden.remove(self)
            return False
        return real_is_dir(self)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    racer = Cache.open("postgresql", root=root)
    assert racer is not None and racer.directory == made.directory and racer.secret == made.secret


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the loader parses from now on (read from the cache: not parsed)."""
    parsed: list[Path] = []
    real = parallel.load_python

    def counting(path: Path, dialect: str, raw: bytes | None = None) -> object:
        parsed.append(path)
        return real(path, dialect, raw)

    monkeypatch.setattr(parallel, "load_python", counting)
    return parsed


@pytest.mark.usefixtures("settled")
def test_a_file_named_alone_comes_from_its_siblings_pack_when_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _private_cache: Path) -> None:
    """Pre-commit: one revision named, its siblings the context. The siblings' pack is read anyway, so a named
    file whose content it holds is not parsed again; a changed one is parsed, and the pack is not rewritten
    for it (a changed file named alone costs what it did)."""
    paths = _revisions(tmp_path / "versions")
    whole, _ = parallel.load_python_files(paths, "postgresql", 1)  # a full run fills the pack
    named, context = paths[-1:], paths[:-1]
    parsed = _counting_parses(monkeypatch)
    migrations, errors, around = parallel.load_with_context(named, context, "postgresql", 1)
    assert parsed == [] and errors == []
    assert [m.path for m in migrations] == named and [m.path for m in around] == context
    assert [m.upgrade for m in migrations + around] == [m.upgrade for m in whole[-1:] + whole[:-1]]
    packs = _packs(_private_cache)
    time.sleep(0.02)  # past the filesystem's timestamp tick
    named[0].write_text(named[0].read_text().replace('"c"', '"d"'))
    migrations, _, _ = parallel.load_with_context(named, context, "postgresql", 1)
    assert parsed == named
    assert migrations[0].upgrade is not None and migrations[0].upgrade.changes[0].column == "d"
    assert _packs(_private_cache) == packs


def test_files_named_alone_read_no_pack_without_siblings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _private_cache: Path) -> None:
    """The twin: fewer named files than CACHE_MIN_FILES and no context (or too little) use no cache at all,
    as before: parsing them is cheaper than reading a pack."""
    paths = _revisions(tmp_path / "versions")
    parallel.load_python_files(paths, "postgresql", 1)
    parsed = _counting_parses(monkeypatch)
    parallel.load_with_context(paths[-1:], paths[:3], "postgresql", 1)
    assert parsed == paths[-1:] + paths[:3]


def _pack_read(paths: list[Path], collector_on: bool) -> int:
    """How many objects the collector has frozen after a pack of ``paths`` is read with it on or paused."""
    import gc

    store = Cache.open("postgresql")
    assert store is not None
    folder = os.path.dirname(os.path.abspath(paths[0]))
    was = gc.isenabled()
    gc.unfreeze()
    (gc.enable if collector_on else gc.disable)()
    try:
        pack = store.read(folder)
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()
    assert len(pack) == len(paths)
    return frozen


def test_a_pack_read_while_the_command_pauses_the_collector_is_frozen(tmp_path: Path) -> None:
    """``lint`` pauses the collector for its run and turns it on while a file is parsed: a named file parsed
    after its siblings' pack was read must not have the collector walk the whole pack."""
    paths = _revisions(tmp_path / "versions")
    parallel.load_python_files(paths, "postgresql", 1)
    assert _pack_read(paths, collector_on=False) > 1000


def test_a_pack_read_with_the_collector_on_freezes_nothing(tmp_path: Path) -> None:
    """The twin: ``migcheck.lint()`` in a host process with its collector on leaves the host's heap alone."""
    paths = _revisions(tmp_path / "versions")
    parallel.load_python_files(paths, "postgresql", 1)
    assert _pack_read(paths, collector_on=True) == 0


def _kinds() -> list[type]:
    import dataclasses

    from migcheck.vocabulary import changes

    return [c for c in vars(changes).values()
            if isinstance(c, type) and issubclass(c, changes.Change) and dataclasses.is_dataclass(c)]


@pytest.mark.parametrize("kind", _kinds(), ids=lambda k: k.__name__)
def test_every_kind_of_change_compares_and_prints_as_a_generated_dataclass_method_would(kind: type) -> None:
    """The kinds share one ``__eq__`` and ``__repr__`` (compiling one per class at import was a twentieth of
    a pre-commit run): field by field in declaration order, NotImplemented for another class, unhashable."""
    import dataclasses

    required = {f.name: "x" for f in dataclasses.fields(kind)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    one, same = kind(**required), kind(**required)
    assert "__eq__" not in vars(kind) or kind.__name__ == "Change"
    assert one == same and (one != same) is False and one.__eq__(object()) is NotImplemented
    assert kind.__hash__ is None
    shown = ", ".join(f"{f.name}={getattr(one, f.name)!r}" for f in dataclasses.fields(kind) if f.repr)
    assert repr(one) == f"{kind.__qualname__}({shown})"
    for f in dataclasses.fields(kind):
        other = dataclasses.replace(same, **{f.name: ["differs"]})
        assert (one == other) is (not f.compare), f.name


def test_parse_statement_tries_each_pattern_only_under_its_first_word() -> None:
    """parse_statement tries a pattern only when the statement starts with that pattern's first word (so most
    statements compile and try none). That skips nothing only while every pattern starts with the word it is
    filed under and shares the dispatcher's flags; the answers, odd spellings included, are the full scan's."""
    import re

    from migcheck.facts import postgres as pg

    filed = {"LOCK": [pg._LOCK], "REINDEX": [pg._REINDEX], "VACUUM": [pg._VACUUM], "CLUSTER": [pg._CLUSTER],
             "REFRESH": [pg._REFRESH], "ALTER": [pg._DETACH, pg._ADD_VALUE], "TRUNCATE": [pg._TRUNCATE],
             "DROP": [pg._DROP_SCHEMA]}
    assert set(pg._VERB.groupindex) == set(filed)
    for verb, patterns in filed.items():
        for pattern in patterns:
            assert pattern.pattern.startswith("^" + verb), pattern.pattern
            assert pattern.flags & (re.I | re.S) == pg._VERB.flags & (re.I | re.S) == re.I | re.S
    # re.I folds U+017F (long s) to S and the Kelvin sign to K: the dispatcher agrees with the patterns
    assert pg.parse_statement("CLU\u017fTER t").verb == "CLUSTER"
    assert pg.parse_statement("LOC\u212a TABLE t IN SHARE MODE").kind == "SHARE"
    assert pg.parse_statement("alter table p detach partition c concurrently").verb == "DETACH"
    assert pg.parse_statement("ALTER TYPE mood ADD VALUE 'x'").value == "x"
    assert pg.parse_statement("ALTER TABLE t ADD COLUMN c int") is None
    assert pg.parse_statement("CREATE INDEX i ON t (a)") is None


def _fields_deep(value: object) -> object:
    """Every field of every data class in ``value``, read as rules read them (attributes), with its type."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, _fields_deep(getattr(value, f.name)))
                                            for f in dataclasses.fields(value)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_fields_deep(v) for v in value))
    if isinstance(value, dict):
        return tuple((k, _fields_deep(v)) for k, v in value.items())
    return (type(value).__name__, value)


@pytest.mark.usefixtures("settled")
def test_packs_leave_out_default_fields_and_read_back_the_same(history: Path, _private_cache: Path) -> None:
    """A pack stores no field that holds its class's (immutable) default: the class carries it, so every field
    of every object read back from the pack reads as it did when the file was parsed, with the same type."""
    versions = history / "migrations" / "versions"
    paths = sorted(versions.glob("*.py"))
    fresh, _ = parallel.load_python_files(paths, "postgresql", 1, cache=False)
    parallel.load_python_files(paths, "postgresql", 1)  # fills the pack
    cached, _ = parallel.load_python_files(paths, "postgresql", 1)
    assert _fields_deep(cached) == _fields_deep(fresh)
    assert cached == fresh
    change = next(c for m in cached if m.upgrade for c in m.upgrade.changes if not c.conditional)
    assert "conditional" not in vars(change) and change.conditional is False  # from the class
    from migcheck.vocabulary.changes import AddColumn, ColumnSpec

    kept = cache_module._compact(AddColumn(line=1, table="t", column=ColumnSpec(name="c"), in_transaction=1))  # type: ignore[arg-type]
    assert kept[2]["in_transaction"] == 1 and "phase" not in kept[2]  # 1 is no default True: kept as it is


def test_the_written_inits_of_the_ir_are_up_to_date() -> None:
    """``changeinits.py`` is what scripts/gen_change_inits.py writes from the classes as they are now."""
    spec = importlib.util.spec_from_file_location("gen_change_inits", ROOT / "scripts" / "gen_change_inits.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = (ROOT / "src" / "migcheck" / "vocabulary" / "changeinits.py").read_text(encoding="utf-8")
    assert module.source(module.change_classes()) == written, "run: PYTHONPATH=src python scripts/gen_change_inits.py"


def _required_values(cls: type) -> dict[str, object]:
    import dataclasses

    return {f.name: f"<{f.name}>" for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}


def _kinds_made_by_ir_class() -> list[type]:
    from migcheck.vocabulary import irinit

    return list(irinit.CLASSES)


@pytest.mark.parametrize("kind", _kinds_made_by_ir_class(), ids=lambda k: k.__name__)
def test_each_kind_of_change_is_built_as_a_dataclass_init_would(kind: type) -> None:
    """The written ``__init__`` takes the fields (keyword-only, in order, their defaults) and sets each, in order,
    as ``dataclass`` would; a factory's default is a new object every time; what is no field is refused."""
    import dataclasses
    import inspect

    from migcheck.vocabulary import changeinits, irinit

    assert kind.__init__ is getattr(changeinits, kind.__name__)  # type: ignore[misc]
    fields = dataclasses.fields(kind)
    parameters = list(inspect.signature(kind.__init__).parameters.values())[1:]  # type: ignore[misc]
    assert [(p.name, p.kind) for p in parameters] == [(f.name, inspect.Parameter.KEYWORD_ONLY) for f in fields]
    required = _required_values(kind)
    first, second = kind(**required), kind(**required)
    expected = {f.name: required[f.name] if f.name in required
                else f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
                for f in fields}
    assert list(vars(first).items()) == list(expected.items())
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(first, f.name) is not getattr(second, f.name)
    given = {f.name: f"<{f.name} given>" for f in fields}
    assert vars(kind(**given)) == given
    with pytest.raises(TypeError):
        kind(**required, not_a_field=1)
    if required:
        with pytest.raises(TypeError):
            kind()
    assert irinit.takes_the_fields(kind.__init__, kind)  # type: ignore[misc]


def test_a_stale_written_init_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field added and changeinits.py not written again: the class reads its fields when built (slower, the
    same objects), never the stale function."""
    import dataclasses

    from migcheck.vocabulary import changeinits, irinit

    monkeypatch.setattr(changeinits, "FIELDS", {**changeinits.FIELDS, "RawSQL": ("line",)})

    made = len(irinit.CLASSES)
    monkeypatch.setattr(irinit, "CLASSES", irinit.CLASSES[:])  # the generator's list stays as it was

    @irinit.ir_class
    class RawSQL:  # the name of a kind whose written function no longer fits
        line: int
        text: str | None = None
        extra: list[str] = dataclasses.field(default_factory=list)

    assert irinit.CLASSES[made:] == [RawSQL]
    assert RawSQL.__init__ is not changeinits.RawSQL  # type: ignore[comparison-overlap]
    built = RawSQL(line=3)  # type: ignore[call-arg]
    assert vars(built) == {"line": 3, "text": None, "extra": []}
    with pytest.raises(TypeError):
        RawSQL()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        RawSQL(line=1, other=2)  # type: ignore[call-arg]
