"""What the lint rules see of the application: the models at HEAD and, in pull-request mode, on the
base (the release serving traffic while the migration runs)."""

from __future__ import annotations

import re
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from migcheck.extract.models.files import WorkingTree
from migcheck.extract.models.model import Application
from migcheck.extract.models.reader import read_application
from migcheck.extract.models.resolve import ModuleFinder, module_roots
from migcheck.guard.readfile import UnreadableFile, read_regular
from migcheck.vocabulary.lazyregex import lazy_regex

if TYPE_CHECKING:
    from migcheck.run.pullrequest import PullRequest
    from migcheck.vocabulary.settings import Settings

_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py")
#: Text of a module that declares a table or a column (models.reader reads the rest).
_DECLARES = lazy_regex(r"__tablename__|__table__|\bTable\(|\bColumn\(|mapped_column\(")
#: How many Python files a project may have for its models to be searched for without target_metadata.
_MAX_FILES = 3000


def project_root(env_py: Path, settings: Settings) -> Path:
    """The folder the application's imports are resolved from: the config file's folder when it holds
    env.py, else the nearest folder above env.py that makes a Python project (pyproject.toml,
    setup.cfg, setup.py), else the one with alembic.ini, else env.py's grandparent.

    An alembic.ini beside env.py (Flask-Migrate's ``migrations/alembic.ini``) sits inside the script
    folder, which the application's commands run from above: the project is the folder holding it
    (held-out-21 #88, okpy's ``from server import models``); the folders above env.py stay module roots."""
    env_dir = env_py.resolve().parent
    if settings.config_file is not None:
        config_dir = settings.config_file.resolve().parent
        if env_dir.is_relative_to(config_dir):
            return config_dir
    for folder in (env_dir, *env_dir.parents):
        if any((folder / marker).is_file() for marker in _PROJECT_MARKERS):
            return folder
    for folder in (env_dir, *env_dir.parents):
        if (folder / "alembic.ini").is_file():
            return env_dir.parent if folder == env_dir and not (env_dir / ".git").exists() else folder
    return _own_package_root(env_py.resolve()) or env_dir.parent


#: An absolute import of a dotted module name at a line's start (``from app.db.schema import Base``).
_ENV_IMPORT = lazy_regex(r"^[ \t]*(?:from|import)[ \t]+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)", re.M)


def _own_package_root(env_py: Path) -> Path | None:
    """With no project file and no alembic.ini, the folder env.py's own package is imported from: env.py sits in
    ``app/db/migrations/`` and imports ``app.db.schema`` (held-out-26 #98: alembic run with ``-c
    app/db/migrations/x_alembic.ini``, the package put on ``sys.path`` by env.py): only from the folder above
    ``app`` does that name ``app``'s modules. Never above the checkout (the nearest folder with ``.git``); outside a
    checkout never above the working directory when env.py is in it (attack26e: ``service/migrations/env.py``
    importing ``service.models`` made the folder above the project the root, and a model in a sibling folder of it
    was read and reported), and never the file system's root. None when no dotted import of env.py starts with the
    name of a folder it sits in."""
    try:
        text = read_regular(env_py, 2 * 1024 * 1024).decode("utf-8", "replace")
    except UnreadableFile:
        return None
    ancestors = list(env_py.parent.parents)
    checkout = next((i for i, folder in enumerate([env_py.parent, *ancestors]) if (folder / ".git").exists()), None)
    if checkout is None:
        cwd = Path.cwd().resolve()
        checkout = next((i for i, folder in enumerate([env_py.parent, *ancestors]) if folder == cwd),
                        len(ancestors) - 1)  # the last folder below the file system's root
    for module in dict.fromkeys(_ENV_IMPORT.findall(text)):
        parts = module.split(".")
        for at, folder in enumerate([env_py.parent, *ancestors][:-1]):
            root = folder.parent
            if at + 1 > checkout:
                break
            if folder.name == parts[0] and parts[0] not in _NOT_OWN:
                return root
    return None


#: Top-level names that are libraries, whatever folder env.py sits in.
_NOT_OWN = frozenset({*sys.stdlib_module_names, "alembic", "sqlalchemy", "sqlmodel", "flask_migrate"})


def read_head(env_py: Path | None, settings: Settings) -> tuple[Path, Application | None]:
    if env_py is None:
        return Path.cwd(), None
    root = project_root(env_py, settings)
    rel = env_py.resolve().relative_to(root).as_posix()
    return root, read_application(root, rel, settings.models, dialect=settings.dialect)


def read_base(root: Path, env_py: Path, settings: Settings, pr: PullRequest) -> Application | None:
    """The models as they are at the merge base, read from git (never from the working tree)."""
    try:
        prefix = root.relative_to(pr.repo).as_posix()
    except ValueError:
        return None
    prefix = "" if prefix == "." else prefix
    from migcheck.sources.gittree import GitTree  # git's machinery: pull-request mode only

    files = GitTree(pr.checkout, pr.merge_base, prefix, root)
    rel = env_py.resolve().relative_to(root).as_posix()
    return read_application(root, rel, settings.models, files=files, dialect=settings.dialect)


def read_declared(env_py: Path, settings: Settings, named: list[Path] | None = None) -> Application | None:
    """The models of a project whose env.py gives Alembic no ``target_metadata`` (its tables made by
    ``metadata.create_all()``): every module outside the migrations and the tests that declares a table, read as
    ``[tool.migcheck] models`` would be; None when there is none or the project is too big to search. Searched from
    the project's root (project_root), or the folder above env.py's when that is env.py's own."""
    root = project_root(env_py, settings)
    if root == env_py.resolve().parent:
        root = root.parent  # alembic.ini beside env.py (rootthebox's alembic/): the application is the folder above
    # every module under root is read: never above the folders named to lint (review: the jump above, or an
    # ancestor's pyproject.toml, searched folders outside the project)
    inside = [n.resolve() for n in named or [] if env_py.resolve().is_relative_to(n.resolve())]
    if named is not None and not any(root.is_relative_to(n) for n in inside):
        if not inside:
            return None
        root = max(inside, key=lambda n: len(n.parts))
    rel = env_py.resolve().relative_to(root).as_posix()
    files = WorkingTree(root)
    listed = files.python_files("", _MAX_FILES)
    if not listed:
        return None
    migrations = PurePosixPath(rel).parent
    finder = ModuleFinder(files, module_roots(files, rel))
    modules: list[str] = []
    for path in listed:
        parts = PurePosixPath(path)
        in_migrations = parts.is_relative_to(migrations) if migrations != PurePosixPath(".") \
            else parts.parts[0] == "versions" or path == rel  # env.py at the root searched: skip its revisions only
        if in_migrations or any(p in {"test", "tests"} for p in parts.parts[:-1]):
            continue
        text = files.read(path)
        name = finder.name_of(path) if text and _DECLARES.search(text) else None
        if name is not None:
            modules.append(name)
    return read_application(root, rel, modules, files=files, dialect=settings.dialect) if modules else None
