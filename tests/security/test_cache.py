"""Threat: a cache directory that someone else controls.

With a shared cache root (``HOME=/tmp`` in arbitrary-UID containers, ``XDG_CACHE_HOME`` under
/tmp) another user can plant a pack that says every revision is empty (every finding hidden,
exit 0), or a symlink where migcheck writes its temp file, so that root's lint overwrites a file
root owns. A structurally wrong entry crashed with a traceback although a damaged entry is
promised to be only a miss. Now the root is created 0700, a root or entry directory not owned by
this user or writable by others is not used (one note), temp files come from ``mkstemp``, and a
pack is read only when its keyed digest (under a 0600 key of this cache's own) is right: a pack
migcheck did not write under that key is a miss before it is unpickled, whatever it holds.
"""

from __future__ import annotations

import os
import signal
import stat
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Run, run_cli
from migcheck.sources.cache import Cache
from migcheck.vocabulary.revision import Body

OTHER_UID = 65534  # nobody

DANGEROUS = textwrap.dedent('''\
    revision = "danger"
    down_revision = None

    from alembic import op


    def upgrade():
        op.drop_table("accounts")


    def downgrade():
        pass
    ''')


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    """Enough revisions for the cache to be used (parallel.CACHE_MIN_FILES), one of them dangerous."""
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "danger.py").write_text(DANGEROUS)
    for index in range(24):
        (folder / f"r{index:02}.py").write_text(f'revision = "r{index}"\ndown_revision = None\n'
                                                f'branch_labels = ("r{index}",)\n')
    return folder


def lint(versions: Path, root: Path) -> Run:
    return run_cli("lint", versions, "--no-config", "--format", "json",
                   env={"MIGCHECK_CACHE_DIR": str(root)})


def pack_of(versions: Path, root: Path) -> tuple[Cache, str]:
    cache = Cache.open("postgresql", root=root)
    assert cache is not None
    return cache, os.path.abspath(versions)


def chown_tree(root: Path, uid: int) -> None:
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            os.lchown(Path(folder) / name, uid, uid)
    os.chown(root, uid, uid)


needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="planting files as another user needs root")


def test_root_and_entry_directory_are_private(versions: Path, tmp_path: Path) -> None:
    root = tmp_path / "home" / ".cache" / "migcheck"
    assert lint(versions, root).exit_code == 1
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    [entries] = [p for p in root.iterdir() if p.is_dir()]
    assert stat.S_IMODE(entries.stat().st_mode) == 0o700
    files = list(entries.iterdir())
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_root_writable_by_others_is_not_used(versions: Path, tmp_path: Path) -> None:
    root = tmp_path / "shared-cache"
    root.mkdir()
    root.chmod(0o777)
    run = lint(versions, root)
    assert run.exit_code == 1 and "drop-table" in run.rules()
    [note] = run.stderr.splitlines()
    assert note.startswith("migcheck: note: cache not used:") and "writable by others" in note
    assert list(root.iterdir()) == []


@needs_root
def test_planted_pack_does_not_hide_findings(versions: Path, tmp_path: Path) -> None:
    """Another user owns the cache root and plants a pack whose entries are right but empty."""
    root = tmp_path / "tmp-home-cache"
    assert lint(versions, root).exit_code == 1  # builds a genuine pack
    cache, folder = pack_of(versions, root)
    pack = cache.read(folder)
    for _key, outcome, _sig in pack.values():
        if outcome is not None and not isinstance(outcome, tuple):
            outcome.upgrade = Body(line=outcome.upgrade.line if outcome.upgrade else 1)
    cache.write(folder, pack)
    chown_tree(root, OTHER_UID)
    for folder_path, dirs, _ in os.walk(root):
        for name in ["", *dirs]:
            (Path(folder_path) / name).chmod(0o755)
    run = lint(versions, root)
    assert run.exit_code == 1, run.stdout
    assert "drop-table" in run.rules()
    assert f"belongs to uid {OTHER_UID}" in run.stderr


@needs_root
def test_planted_symlink_is_not_written_through(versions: Path, tmp_path: Path) -> None:
    """The temp file's name was predictable (``.<pack>.<pid>.tmp``): a symlink there redirected the write."""
    victim = tmp_path / "victim.txt"
    victim.write_text("root's own file\n")
    root = tmp_path / "tmp-home-cache"
    cache, folder = pack_of(versions, root)
    target = cache.pack_path(folder)
    (target.parent / f".{target.name}.{os.getpid()}.tmp").symlink_to(victim)
    chown_tree(root, OTHER_UID)
    run = lint(versions, root)
    assert run.exit_code == 1 and "drop-table" in run.rules()
    assert victim.read_text() == "root's own file\n"


@pytest.mark.parametrize("damage", ["outcome-not-a-migration", "field-of-wrong-type", "change-of-wrong-type"])
def test_structurally_wrong_entry_is_a_miss(versions: Path, tmp_path: Path, damage: str) -> None:
    """Written by anyone without this cache's key (here: the right format under another key), a wrong entry
    is never unpickled; the whole pack is a miss and the run reports what the files say."""
    root = tmp_path / "cache"
    first = lint(versions, root)
    cache, folder = pack_of(versions, root)
    pack = cache.read(folder)
    name = os.path.abspath(versions / "danger.py")
    key, migration, sig = pack[name]
    if damage == "outcome-not-a-migration":
        pack[name] = (key, "not a migration", sig)
    elif damage == "field-of-wrong-type":
        migration.upgrade = "op.drop_table('accounts')"
    else:
        migration.upgrade.changes[0].line = "one"
    Cache(cache.directory, cache.salt, b"another key, not this cache's!!").write(folder, pack)
    assert cache.read(folder) == {}
    second = lint(versions, root)
    assert "Traceback" not in second.stderr
    assert second.exit_code == 1
    assert second.json()["findings"] == first.json()["findings"]
    assert len(cache.read(folder)) == 25  # written again, under this cache's key


class _Hung(BaseException):
    """Raised by the alarm below: a BaseException, so that no ``except OSError`` of the cache swallows it."""


@pytest.fixture
def deadline() -> Iterator[None]:
    """Turn a run that blocks (an ``open`` waiting on a FIFO) into a failure after 10 s, not a hung suite."""

    def hung(signum: int, frame: object) -> None:
        raise _Hung("the run blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(signal, "SIGALRM"), reason="POSIX FIFOs")
@pytest.mark.parametrize("where", ["key", "pack"])
def test_fifo_in_the_cache_is_a_miss_not_a_hang(versions: Path, tmp_path: Path, where: str,
                                                deadline: None) -> None:
    """A cache restored from an archive (a CI cache, a copied home) can hold a FIFO where the key or a pack
    goes; opening it for reading waited for a writer for ever, before ``fstat`` could say it is no regular
    file. Now it is opened without blocking: the key is refused (cache off), a pack is a miss and rewritten."""
    root = tmp_path / "cache"
    first = lint(versions, root)
    cache, folder = pack_of(versions, root)
    target = cache.directory / "key" if where == "key" else cache.pack_path(folder)
    target.unlink()
    os.mkfifo(target, 0o600)
    second = lint(versions, root)
    assert second.exit_code == 1 and "Traceback" not in second.stderr
    assert second.json()["findings"] == first.json()["findings"]
    if where == "pack":
        assert stat.S_ISREG(os.lstat(target).st_mode) and len(cache.read(folder)) == 25
    else:
        assert Cache.open("postgresql", root=root) is None  # refused, the run went on without the cache


@pytest.mark.parametrize("content", [b"", b"k" * 5, b"k" * 33])
def test_a_cut_short_key_of_ours_is_replaced(versions: Path, tmp_path: Path, content: bytes) -> None:
    """The key was linked into place without being flushed: after a crash it can be there but empty, and a
    key of the wrong size turned the cache off for every later run, with no note. This user's own private
    key of the wrong size is replaced; the next run writes packs under the new key and reads them."""
    root = tmp_path / "cache"
    first = lint(versions, root)
    cache, folder = pack_of(versions, root)
    key = cache.directory / "key"
    key.write_bytes(content)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    second = lint(versions, root)
    assert second.json()["findings"] == first.json()["findings"]
    assert len(key.read_bytes()) == 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
    cache, folder = pack_of(versions, root)
    assert len(cache.read(folder)) == 25  # written by the second run, under the new key


@needs_root
@pytest.mark.parametrize("whose", ["other-user", "readable-by-others"])
def test_a_key_not_private_to_us_is_refused_not_replaced(versions: Path, tmp_path: Path, whose: str) -> None:
    """The twin: a key file another user owns, or one others can read (so others may forge packs), is not
    this user's key cut short: the cache stays off and the file is left as it is."""
    root = tmp_path / "cache"
    first = lint(versions, root)
    cache, _folder = pack_of(versions, root)
    key = cache.directory / "key"
    key.write_bytes(b"")
    if whose == "other-user":
        os.chown(key, OTHER_UID, OTHER_UID)
    else:
        key.chmod(0o644)
    second = lint(versions, root)
    assert second.exit_code == 1 and second.json()["findings"] == first.json()["findings"]
    [note] = second.stderr.splitlines()  # said once, not a silent cache that never works
    assert note.startswith("migcheck: note: cache not used: its key") and "not a private file of yours" in note
    assert key.read_bytes() == b"" and Cache.open("postgresql", root=root) is None
    assert (key.stat().st_uid == OTHER_UID) == (whose == "other-user")
