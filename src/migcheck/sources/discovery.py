"""Find revision files from what the user points at.

A PATH may be a versions directory, an ``alembic.ini`` (``script_location``,
``version_locations``, ``%(here)s``), a ``pyproject.toml`` with
``[tool.alembic]``, a project root holding either, a single revision file, or
an offline ``.sql`` file. Several version locations merge into one graph.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migcheck.guard import toml
from migcheck.guard.readfile import UnreadableFile, read_regular

if TYPE_CHECKING:
    import configparser

SKIP_DIRS = {"__pycache__", "node_modules", ".git", ".hg", ".tox", ".nox", ".venv", "venv", "site-packages"}
_SEPARATORS = {"os": os.pathsep, "space": " ", "comma": ",", "colon": ":", "semicolon": ";", "newline": "\n"}


class DiscoveryError(Exception):
    """A path that names no migrations; the message is the one line the user sees."""


@dataclass(eq=False, repr=False)
class Sources:
    """The files to lint, and where they came from (for messages and ``migcheck config``)."""

    python: list[Path] = field(default_factory=list)
    sql: list[Path] = field(default_factory=list)
    version_dirs: list[Path] = field(default_factory=list)
    #: env.py of the script location, when known (rules about transaction settings read it).
    env_py: list[Path] = field(default_factory=list)
    #: Script locations met while walking that show no env.py (a checkout that lost its env.py symlink), known
    #: by their template (script.py.mako) beside versions/: each is an Alembic environment of its own.
    script_dirs: list[Path] = field(default_factory=list)
    #: Version locations (resolved) of an alembic.ini that names several environments in sections of their own
    #: (``alembic --name=main``, ``--name=static``) sharing one script location, each with the env.py that runs it:
    #: each location is a history of its own, not one script location's.
    version_homes: dict[Path, Path | None] = field(default_factory=dict)
    #: Sibling revisions of files named one by one (pre-commit passes only the changed files):
    #: loaded to complete the revision graph, never reported on.
    context: list[Path] = field(default_factory=list)
    #: What the user should know about files that were not read (printed on stderr, not findings).
    notes: list[str] = field(default_factory=list)
    #: Files found but not read, and why (each becomes an ``invalid-migration-file`` finding).
    refused: list[tuple[Path, str]] = field(default_factory=list)
    #: The folders named to lint (a named file's folder), absolute: what the project's files (requirements,
    #: alembic.ini) are read from stays inside them.
    named: list[Path] = field(default_factory=list)
    _seen: set[Path] = field(default_factory=set, repr=False)
    #: The project of the path being discovered: symlinks may not lead out of it.
    _project: Path | None = field(default=None, repr=False)

    def add_python(self, path: Path) -> None:
        if path not in self._seen:
            self._seen.add(path)
            if self._admits(path):
                self.python.append(path)

    def add_sql(self, path: Path) -> None:
        if path not in self._seen:
            self._seen.add(path)
            if self._admits(path):
                self.sql.append(path)

    def _admits(self, path: Path) -> bool:
        """False (and the file refused) for a symlink, or a file under one, that leads out of the project."""
        reason = escapes(path, self._project)
        if reason is not None:
            self.refused.append((path, reason))
        return reason is None


def checkout_top(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a directory, or a worktree's file).

    Found without running git (see gitbase.locate). ``GIT_CEILING_DIRECTORIES`` is honoured as git
    honours it: the search does not climb into them.
    """
    ceilings = {Path(c).resolve() for c in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(os.pathsep) if c}
    for folder in (start, *start.parents):
        if folder != start and folder in ceilings:
            return None
        marker = folder / ".git"
        if marker.is_dir() or marker.is_file():
            return folder
    return None


def project_of(path: Path) -> Path:
    """Where a named path's files may live: its git checkout, else the (resolved) directory named."""
    folder = Path(os.path.abspath(path))
    folder = (folder if folder.is_dir() else folder.parent).resolve()
    return checkout_top(folder) or folder


def named_project(path: Path) -> Path:
    """The project a file named by a setting belongs to, found from where it is *named*: the checkout
    above its unresolved path (a symlinked folder on the way must not make its target the project),
    else the current directory. Both resolved, for ``escapes``.
    """
    top = checkout_top(Path(os.path.abspath(path)).parent)
    while top is not None:  # ops -> /elsewhere/other-checkout: a checkout reached through a link is not ours
        outer = checkout_top(top.parent) if top.parent != top else None
        anchor = outer or (Path.cwd() if top.is_relative_to(Path.cwd()) and top != Path.cwd() else None)
        if anchor is None or not _linked_below(anchor, top):
            break
        top = outer
    return (top or Path.cwd()).resolve()


def _linked_below(outer: Path, inner: Path) -> bool:
    """Whether a folder from ``inner`` up to (not including) ``outer`` is a symlink."""
    return any(folder.is_symlink() for folder in (inner, *inner.parents) if folder.is_relative_to(outer)
               and folder != outer)


def escapes(path: Path, project: Path | None) -> str | None:
    """Why ``path`` may not be read: it is reached through a symlink that leads out of ``project``.

    A pull request can commit ``versions/x.py -> /etc/passwd``; its content must not reach a report.
    Paths without a symlink are taken as given (version locations in alembic.ini may lie anywhere).
    """
    if project is None:
        return None
    absolute = os.path.abspath(path)
    if not os.path.islink(absolute) and _resolved_dir(os.path.dirname(absolute)) == os.path.dirname(absolute):
        return None
    target = Path(absolute).resolve()
    if target.is_relative_to(project):
        return None
    return f"not read: a symlink to {target}, outside the project ({project})"


@functools.lru_cache(maxsize=4096)
def _resolved_dir(folder: str) -> str:
    return os.path.realpath(folder)


def discover(paths: list[Path]) -> Sources:
    sources = Sources()
    named_dirs: list[Path] = []
    for raw in paths:
        path = raw.expanduser()
        if not path.exists():
            raise DiscoveryError(f"path not found: {raw}")
        sources._project = project_of(path)
        sources.named.append(Path(os.path.abspath(path if path.is_dir() else path.parent)))
        if not path.is_dir():  # a FIFO or device named alone is refused when read, not taken for a folder
            _add_file(path, sources)
            if path.suffix == ".py" and path.parent not in named_dirs:
                named_dirs.append(path.parent)
        elif (path / "alembic.ini").is_file() and (flask := _flask_migrate_dir(path)) is not None:
            _add_script_location(path, flask[1], flask[2], sources)
        elif (path / "alembic.ini").is_file():
            _from_ini(path / "alembic.ini", sources)
        elif _pyproject_alembic(path / "pyproject.toml") is not None:
            _from_pyproject(path / "pyproject.toml", sources)
        elif (path / "env.py").is_file() and (path / "versions").is_dir():
            _add_script_location(path, [path / "versions"], False, sources)
        else:
            _add_dir(path, sources, recursive=True)
    sources.python.sort()
    add_context(named_dirs, sources)
    return sources


def _flask_migrate_dir(path: Path) -> IniEnvironment | None:
    """``path`` as its own script location (env.py and versions/) when its alembic.ini names none that exists:
    Flask-Migrate's ``migrations/alembic.ini`` sets no ``script_location`` (``flask db`` passes the directory), or
    one relative to the project root where ``flask db`` runs (``script_location = migrations``, read from the
    folder itself as ``migrations/migrations``). ``migcheck lint migrations`` failed on both (held-out-30).
    The ini's ``version_locations`` still name where Alembic finds the revisions then (attack29c: a decoy
    ``versions/`` beside ``version_locations = %(here)s/real`` hid the revisions Alembic runs). None otherwise."""
    if not ((path / "env.py").is_file() and (path / "versions").is_dir()):
        return None
    ini = path / "alembic.ini"
    try:
        if any(script_dir.is_dir() for script_dir, _, _ in _read_ini(ini)):
            return None
    except DiscoveryError:
        pass  # no script_location, or an ini Alembic cannot read either
    except OSError:  # a script_location no file system takes
        pass
    try:
        environments = _read_ini(ini, script=path)
    except DiscoveryError:
        return path, [path / "versions"], False
    return environments[0] if len(environments) == 1 else (path, [path / "versions"], False)


def linted_tree(sources: Sources, path: Path) -> Path | None:
    """The deepest named folder ``path`` lies in: the project's files are never read above it."""
    absolute = Path(os.path.abspath(path))
    inside = [folder for folder in sources.named if absolute.is_relative_to(folder)]
    return max(inside, key=lambda folder: len(folder.parts)) if inside else None


def add_context(named_dirs: list[Path], sources: Sources) -> None:
    """The other revisions beside files named one by one (``sources.python``), so their parents are
    known; a sibling whose symlink leads out of the project is never read."""
    if not named_dirs:
        return
    normcase = os.path.normcase  # paths compared as strings compare as pathlib compares them
    linted = {normcase(str(p.resolve())) for p in sources.python}
    for folder in named_dirs:
        project = project_of(folder)
        real_folder = str(folder.resolve())  # once: resolving each of 1,000 siblings took a tenth of a second
        absolute = os.path.abspath(folder)
        plain = _resolved_dir(absolute) == absolute  # no symlink on the way to the folder itself
        for name, symlink in _python_names(folder):
            if name == "__init__.py":
                continue
            child = folder / name
            if (symlink or not plain) and escapes(child, project) is not None:
                continue  # only completes the graph: not worth a finding, never worth reading
            real = normcase(str(child.resolve()) if symlink else os.path.join(real_folder, name))
            if real not in linted:
                linted.add(real)
                sources.context.append(child)


def _python_names(folder: Path) -> list[tuple[str, bool]]:
    """The names ``sorted(folder.glob("*.py"))`` yields, in its order, each with "is it a symlink".

    One listing whose entries already know whether they are symlinks (no lstat, and no path built, per
    sibling): 1,000 siblings of a revision named alone took 15 ms through glob, resolve and escapes.
    """
    normcase = os.path.normcase  # glob matches and pathlib sorts case-insensitively where paths are
    try:
        with os.scandir(folder) as listing:
            found = [(entry.name, entry.is_symlink()) for entry in listing if normcase(entry.name).endswith(".py")]
    except PermissionError:  # as glob: a folder that cannot be listed has no siblings
        return []
    return sorted(found, key=lambda item: normcase(item[0]))


def _add_file(path: Path, sources: Sources) -> None:
    if path.name == "alembic.ini" or path.suffix == ".ini":
        _from_ini(path, sources)
    elif path.name == "pyproject.toml":
        _from_pyproject(path, sources)
    elif path.suffix == ".sql":
        sources.add_sql(path)
    elif path.suffix == ".py":
        sources.add_python(path)
        # A revision named alone (pre-commit) still runs under its project's env.py.
        env_py = path.parent.parent / "env.py"
        if env_py.is_file() and env_py not in sources.env_py:
            sources.env_py.append(env_py)
    else:
        raise DiscoveryError(f"not a migration file (expected .py, .sql, alembic.ini or pyproject.toml): {path}")


def _list_dir(path: Path) -> list[str]:
    """The names in a directory to be linted; one that cannot be listed is an error, not an empty one."""
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        raise DiscoveryError(f"cannot read {path}: {exc.strerror or exc}") from None


def _add_dir(path: Path, sources: Sources, recursive: bool, in_location: bool = False) -> None:
    """Read ``path``'s revisions (its subfolders too when ``recursive``); ``in_location``: a version location."""
    sources.version_dirs.append(path)
    env_py = path.parent / "env.py"
    if env_py.is_file() and env_py not in sources.env_py:
        sources.env_py.append(env_py)
    before = len(sources.python)
    sql: list[Path] = []
    if not recursive:
        for name in _list_dir(path):
            if name.endswith(".py") and name != "__init__.py":
                sources.add_python(path / name)
            elif name.endswith(".sql"):
                sql.append(path / name)
        _add_sql_of_a_sql_only_dir(path, sources, before, sql)
        nested = _nested_python_files(path)
        if nested:
            sources.notes.append(
                f"{nested} .py file(s) in subdirectories of {path} were not read: the config does not set "
                f"recursive_version_locations = true, so Alembic does not read them either; if your tooling "
                f"adds them (expand/contract trees per release), lint that directory itself"
            )
        return
    _list_dir(path)  # the directory itself must be readable
    unreadable: list[str] = []
    for root, dirs, files in os.walk(path, onerror=lambda exc: unreadable.append(
            f"cannot read {exc.filename}: {exc.strerror or exc}; files under it were not linted")):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if "pyvenv.cfg" in files:
            dirs[:] = []
            continue
        # A script location met on the way down (env.py beside versions/): projects that build their
        # Alembic config in code have no alembic.ini to lead there, but env.py still says how they run.
        env_py = Path(root) / "env.py"
        # Alembic reads revisions from its version locations only: a draft parked in another folder of
        # the script location (temp/, data_migrations/) is no part of the history. Only an alembic.ini
        # on the way says which they are; without one (a config above the linted folder, pyproject's
        # [tool.alembic], a config built in code) every folder is read, as before (review14). An env.py with
        # no versions/ beside it is a script location only when an alembic.ini on the way names it one.
        located = _walked_locations(Path(root), path, "versions" not in dirs) if "env.py" in files else None
        if "env.py" in files and ("versions" in dirs or located):
            if env_py not in sources.env_py:
                sources.env_py.append(env_py)
            if located is not None:
                dirs[:] = []
                for environment in located:
                    for location, nested in environment:
                        _add_dir(location, sources, nested, in_location=True)
                _record_homes(located, env_py, sources)
        elif "script.py.mako" in files and "versions" in dirs and Path(root) not in sources.script_dirs \
                and not in_location:  # in a version location, a folder of its revisions: not a history of its own
            sources.script_dirs.append(Path(root))
        for name in sorted(files):
            if name.endswith(".py") and name != "__init__.py":
                sources.add_python(Path(root) / name)
            elif name.endswith(".sql"):
                sql.append(Path(root) / name)
    sources.notes.extend(unreadable)
    _add_sql_of_a_sql_only_dir(path, sources, before, sql)


Locations = list[tuple[Path, bool]]


def _walked_locations(script: Path, top: Path, named_only: bool = False) -> list[Locations] | None:
    """The version locations of a script location met while walking a plain directory, each with whether
    Alembic reads its subfolders (``recursive_version_locations``), one list per environment the alembic.ini
    names (its ``[alembic]`` section, else each named section of its own): from the alembic.ini whose
    script_location is this folder (in it or above it, up to the walked directory), else (not when
    ``named_only``) from one in the folder or beside it whose script_location names no folder here (a path of
    the deployed image). None when no alembic.ini on the way says: then nothing tells which folders Alembic
    reads, and all are read."""
    found: list[tuple[list[Path], bool]] | None = None
    try:
        real = script.resolve()
        for folder in [script, *script.parents]:
            ini = folder / "alembic.ini"
            if ini.is_file():
                try:
                    environments = _read_ini(ini)
                except DiscoveryError:
                    environments = []
                here = [(versions, recursive) for script_dir, versions, recursive in environments
                        if script_dir.is_dir() and script_dir.resolve() == real]
                if here:
                    found = here
                    break
                if found is None and not named_only and folder in (script, script.parent) and environments \
                        and not any(script_dir.is_dir() for script_dir, _, _ in environments):
                    found = [([v for v in versions if v.is_dir()], recursive) for _, versions, recursive in environments]
            if folder == top or not folder.is_relative_to(top):
                break
        if found is None:
            return None
        located = [[(v, recursive) for v in (versions or [script / "versions"]) if v.is_dir()]
                   for versions, recursive in found]
        return None if named_only and not any(located) else located
    except (OSError, ValueError):  # a path no file system takes (a 5,000-character script_location)
        return None


def _record_homes(environments: list[Locations], env_py: Path, sources: Sources, several: bool = False) -> None:
    """Each version location of an alembic.ini's several environments (``several``, or more than one given) is a
    history of its own, run by ``env_py`` (engine.py's ``environments``); one environment is its script
    location's, as ever."""
    if len(environments) < 2 and not several:
        return
    for environment in environments:
        for location, _ in environment:
            sources.version_homes.setdefault(location.resolve(), env_py if env_py.is_file() else None)


def _add_sql_of_a_sql_only_dir(path: Path, sources: Sources, before: int, sql: list[Path]) -> None:
    """A directory with ``.sql`` files and no ``.py`` file: offline ``alembic upgrade --sql`` output.

    Next to revisions, ``.sql`` files are seeds or schema dumps and stay unread; alone, skipping
    them would lint nothing and pass.
    """
    if len(sources.python) == before:
        for path in sql:
            sources.add_sql(path)


def _nested_python_files(path: Path) -> int:
    count = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        if Path(root) != path:
            count += sum(1 for name in files if name.endswith(".py") and name != "__init__.py")
    return count


def _add_script_location(script: Path, versions: list[Path], recursive: bool, sources: Sources) -> None:
    for version_dir in versions:
        try:
            found = version_dir.is_dir()
        except OSError as exc:  # a name longer than the file system takes (ENAMETOOLONG): not a traceback
            raise DiscoveryError(f"cannot read version location {_shown(version_dir)}: {exc.strerror}") from None
        if not found:
            raise DiscoveryError(f"version location does not exist: {_shown(version_dir)}")
        _add_dir(version_dir, sources, recursive, in_location=True)


def _shown(value: object, limit: int = 300) -> str:
    """A path the linted tree's configuration wrote, cut for an error line (it may be thousands of characters)."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _from_ini(ini: Path, sources: Sources) -> None:
    environments = _read_ini(ini, sources)
    for script_dir, versions, recursive in environments:
        _add_script_location(script_dir, versions, recursive, sources)
        if len(environments) > 1:
            _record_homes([[(v, recursive) for v in versions]], script_dir / "env.py", sources, True)


IniEnvironment = tuple[Path, list[Path], bool]


def _read_ini(ini: Path, sources: Sources | None = None, *, script: Path | None = None) -> list[IniEnvironment]:
    """The script location, version locations and ``recursive_version_locations`` of each environment an
    alembic.ini sets: its ``[alembic]`` section; without one, every section that sets ``script_location`` or
    ``version_locations`` itself (not only through ``[DEFAULT]``), each run as ``alembic --name=<section>``
    (Alembic's "multiple environments from one .ini file"). ``script``: the script location the runner passes
    (``flask db``), in place of the ini's."""
    import configparser  # only when an alembic.ini is read

    from migcheck.sources.inifile import ini_parser

    parser = ini_parser(str(ini.parent.resolve()))
    try:
        parser.read_string(read_regular(ini).decode("utf-8"), source=str(ini))
    except (configparser.Error, UnicodeDecodeError, UnreadableFile) as exc:
        raise DiscoveryError(f"cannot read {ini}: {str(exc).splitlines()[0]}") from None
    sections = ["alembic"] if parser.has_section("alembic") else _environment_sections(parser)
    if not sections:
        raise DiscoveryError(f"{ini} has no [alembic] section")
    stray = [name for name in parser.sections() if name.lower() in ("migcheck", "tool.migcheck", "tool:migcheck")]
    if stray and sources is not None:  # a natural guess that would otherwise be ignored without a word
        sources.notes.append(
            f"{ini} has a [{stray[0]}] section, which migcheck does not read: its settings go in the "
            "[tool.migcheck] table of pyproject.toml"
        )
    return [_ini_environment(ini, parser, section, script) for section in sections]


def _environment_sections(parser: configparser.ConfigParser) -> list[str]:
    """The sections that set ``script_location`` or ``version_locations`` themselves (a value of their own, not
    ``[DEFAULT]``'s, which every section sees), when some section has a script location to run."""
    import configparser  # only when an alembic.ini is read

    defaults = parser.defaults()
    out = []
    for section in parser.sections():
        try:
            own = any(key in parser.options(section) and parser.get(section, key, raw=True) != defaults.get(key)
                      for key in ("script_location", "version_locations"))
        except configparser.Error:
            own = False
        if own and parser.has_option(section, "script_location"):
            out.append(section)
    return out


def _ini_environment(ini: Path, parser: configparser.ConfigParser, section: str,
                     given: Path | None = None) -> IniEnvironment:
    import configparser  # only when an alembic.ini is read

    try:
        script = parser.get(section, "script_location", fallback=None)
        locations = parser.get(section, "version_locations", fallback=None)
        separator = parser.get(section, "path_separator", fallback=None) or parser.get(
            section, "version_path_separator", fallback=None
        )
        recursive = parser.getboolean(section, "recursive_version_locations", fallback=False)
    except (configparser.Error, ValueError) as exc:
        raise DiscoveryError(f"cannot read {ini}: {str(exc).splitlines()[0]}") from None
    if not script and given is None:
        raise DiscoveryError(f"{ini} has no script_location in [{section}]")
    script_dir = given if given is not None else _resolve_location(str(script), ini.parent)
    versions = [_resolve_location(v, ini.parent) for v in _split_locations(locations, separator)] if locations \
        else [script_dir / "versions"]
    return script_dir, versions, recursive


def _pyproject_alembic(pyproject: Path) -> dict[str, object] | None:
    if not pyproject.is_file():
        return None
    try:
        data = toml.loads(read_regular(pyproject).decode("utf-8"))
    except (toml.TomlError, UnreadableFile, UnicodeDecodeError):
        return None
    tool = data.get("tool")  # ``tool = 1`` in a pull request's pyproject.toml: no table, not a crash
    section = tool.get("alembic") if isinstance(tool, dict) else None
    return section if isinstance(section, dict) else None


def _from_pyproject(pyproject: Path, sources: Sources) -> None:
    section = _pyproject_alembic(pyproject)
    if section is None:
        raise DiscoveryError(f"{pyproject} has no [tool.alembic] table")
    here = str(pyproject.parent.resolve())
    script = section.get("script_location")
    if not isinstance(script, str):
        raise DiscoveryError(f"{pyproject} has no script_location in [tool.alembic]")
    script_dir = _resolve_location(script.replace("%(here)s", here), pyproject.parent)
    raw_locations = section.get("version_locations")
    if isinstance(raw_locations, list) and raw_locations:
        versions = [_resolve_location(str(v).replace("%(here)s", here), pyproject.parent)
                    for v in raw_locations]
    else:
        versions = [script_dir / "versions"]
    _add_script_location(script_dir, versions, bool(section.get("recursive_version_locations")), sources)


def _split_locations(value: str, separator: str | None) -> list[str]:
    if separator in _SEPARATORS:
        parts = value.split(_SEPARATORS[separator]) if separator != "space" else value.split()
    else:
        parts = re.split(r"[,\s]+", value)
    return [p.strip() for p in parts if p.strip()]


def _resolve_location(location: str, base: Path) -> Path:
    """A path, relative to the config file, or ``package:path`` resolved next to it without importing."""
    if ":" in location and not re.match(r"^[A-Za-z]:[\\/]", location) and not Path(location).exists():
        package, _, rest = location.partition(":")
        candidate = base.joinpath(*package.split("."), rest)
        if candidate.exists():
            return candidate
        candidate = base / "src" / Path(*package.split(".")) / rest
        if candidate.exists():
            return candidate
        raise DiscoveryError(f"cannot find package location {_shown(location)!r} next to {base}")
    path = Path(location)
    return path if path.is_absolute() else (base / path)
