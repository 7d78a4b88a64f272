"""What the lint rules see of the application: the models at HEAD and, in pull-request mode, on the
base (the release serving traffic while the migration runs)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from migcheck.extract.models.model import Application
from migcheck.extract.models.reader import read_application

if TYPE_CHECKING:
    from migcheck.run.pullrequest import PullRequest
    from migcheck.vocabulary.settings import Settings

_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py")


def project_root(env_py: Path, settings: Settings) -> Path:
    """The folder the application's imports are resolved from: the config file's folder when it holds
    env.py, else the nearest folder above env.py that makes a Python project (pyproject.toml,
    setup.cfg, setup.py), else the one with alembic.ini, else env.py's grandparent."""
    env_dir = env_py.resolve().parent
    if settings.config_file is not None:
        config_dir = settings.config_file.resolve().parent
        if env_dir.is_relative_to(config_dir):
            return config_dir
    for markers in (_PROJECT_MARKERS, ("alembic.ini",)):
        for folder in (env_dir, *env_dir.parents):
            if any((folder / marker).is_file() for marker in markers):
                return folder
    return env_dir.parent


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
