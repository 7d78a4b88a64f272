"""The siblings of revisions named one by one (pre-commit): the same files, in the same order, as a
glob of the folder, with symlinks that leave the project left out."""

from __future__ import annotations

import os
from pathlib import Path

from migcheck.sources.discovery import Sources, discover, escapes, project_of


def _reference(named: list[Path]) -> list[Path]:
    """The listing as it was written before it was made cheaper: glob, resolve and escapes per file."""
    sources = Sources()
    for path in named:
        sources.add_python(path)
    linted = {p.resolve() for p in sources.python}
    context: list[Path] = []
    folders: list[Path] = []
    for path in named:
        if path.parent not in folders:
            folders.append(path.parent)
    for folder in folders:
        project = project_of(folder)
        real_folder = folder.resolve()
        for child in sorted(folder.glob("*.py")):
            if child.name == "__init__.py" or escapes(child, project) is not None:
                continue
            real = child.resolve() if child.is_symlink() else real_folder / child.name
            if real not in linted:
                linted.add(real)
                context.append(child)
    return context


def test_context_is_the_globbed_siblings(tmp_path: Path) -> None:
    project = tmp_path / "project"
    versions = project / "migrations" / "versions"
    other = project / "migrations" / "other"
    versions.mkdir(parents=True)
    other.mkdir()
    (project / ".git").mkdir()  # the project's top: symlinks out of it are not followed
    outside = tmp_path / "outside.py"
    outside.write_text("revision = 'x'\n")
    for name in ["b.py", "a.py", "B.py", "a-b.py", "a_b.py", ".hidden.py", ".py", "__init__.py", "notes.txt",
                 "x.pyc", "ü.py"]:
        (versions / name).write_text("revision = None\n")
    (versions / "dir.py").mkdir()
    (other / "o.py").write_text("revision = None\n")
    (versions / "link-in.py").symlink_to(other / "o.py")
    (versions / "link-same.py").symlink_to(versions / "a.py")  # the same file as a sibling: listed once
    (versions / "link-out.py").symlink_to(outside)
    (versions / "dangling.py").symlink_to(tmp_path / "missing.py")
    linked = tmp_path / "linked-versions"
    linked.symlink_to(versions)  # the folder itself reached through a symlink
    cases = [
        [versions / "b.py"],
        [versions / "a.py", versions / "b.py"],
        [versions / "link-in.py"],
        [linked / "a.py"],
        [versions / "a.py", other / "o.py"],
    ]
    for named in cases:
        sources = discover(named)
        assert sources.context == _reference(named), named
    assert [p.name for p in discover([versions / "b.py"]).context][:3] == [".hidden.py", ".py", "B.py"]


def test_unlistable_folder_has_no_siblings(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root lists any folder
        return
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text("revision = None\n")
    os.chmod(versions, 0o300)
    try:
        assert discover([versions / "a.py"]).context == []
    finally:
        os.chmod(versions, 0o700)
