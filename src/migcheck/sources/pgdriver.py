"""Which PostgreSQL driver a project installs, when its env.py's URLs name none.

Most env.py files take the URL from the environment or alembic.ini (``postgresql://`` with no driver,
``%(DB_URL)s``), yet whether ``CREATE INDEX CONCURRENTLY`` after ``op.execute("COMMIT")`` works depends on
the driver. The project says which it installs: alembic.ini's ``sqlalchemy.url`` when it names a driver,
else its dependency declarations (pyproject.toml, a Pipfile's package categories but ``[dev-packages]``, requirements*.txt / *.in,
requirements/*.txt / *.in).
All are read as data through :class:`WorkingTree` (regular files of bounded size, no symlink out of the
project root), never imported or run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migcheck.extract.models.files import ProjectFiles, WorkingTree
from migcheck.extract.models.pins import _REQUIREMENT, _same
from migcheck.extract.models.resolve import toml_file
from migcheck.vocabulary.lazyregex import lazy_regex

#: The driver a PostgreSQL URL names: ``postgresql+psycopg2://`` (a bare ``postgresql://`` names none).
PG_DRIVER = lazy_regex(r"\bpostgres(?:ql)?\+(\w+)://", re.I)

#: Distribution name -> the driver family it installs.
_FAMILIES = {"psycopg2": "psycopg2", "psycopg2-binary": "psycopg2", "psycopg": "psycopg",
             "psycopg-binary": "psycopg", "psycopg-c": "psycopg", "asyncpg": "asyncpg"}
#: What marks the folder that declares the project's dependencies, looked for from env.py's folder upward.
_DEPENDENCY_MARKERS = ("pyproject.toml", "Pipfile", "requirements.txt", "requirements")
#: At most this many requirement files are read (a tree of thousands must not slow a lint).
_MAX_FILES = 64
#: At most this many names are checked for those files (symlinks out of the tree and FIFOs do not count).
_MAX_CHECKED = 16 * _MAX_FILES
#: ``<2.1`` / ``==2.0.25`` / ``>=2.1``: one SQLAlchemy specifier, its major and minor. Spaces only after an
#: operator: searched over a hostile run of spaces, ``\s*`` first was quadratic (40,000 spaces: 28 s).
_SPEC = re.compile(r"(?:(===|==|~=|>=|<=|!=|>|<|\^|~)\s*)?v?(\d{1,6})(?:\.(\d{1,6}|\*))?")


@dataclass(frozen=True)
class Guess:
    """A driver (None when unknown) and where it was read from, for the finding's message."""

    driver: str | None
    source: str


def project_driver(env_py: Path, boundary: Path | None, runs_async: bool) -> Guess:
    """The driver the project of ``env_py`` installs: alembic.ini's and the dependency declarations' folders are
    the nearest from env.py's up to ``boundary`` (the linted tree, never above it) holding them."""
    ini_root = _root(env_py, boundary, ("alembic.ini",))
    driver = _ini_driver(WorkingTree(ini_root)) if ini_root is not None else None
    if driver is not None:
        return Guess(driver, "alembic.ini's sqlalchemy.url names it")
    # alembic.ini often sits in a package (src/app/db/alembic.ini) below the folder that declares dependencies.
    root = _root(env_py, boundary, _DEPENDENCY_MARKERS)
    if root is None:
        return Guess(None, "neither env.py, alembic.ini nor the project's requirements name a driver")
    files = WorkingTree(root)
    pyproject = toml_file(files, "pyproject.toml")  # parsed once: the driver and SQLAlchemy's pins read it
    pipfile = _pipfile_packages(files)
    named: dict[str, list[str]] = {}
    for rel, names in _declared(files, pyproject, pipfile):
        for name in names:
            family = next((f for dist, f in _FAMILIES.items() if _same(name, dist)), None)
            if family is not None and rel not in named.setdefault(family, []):
                named[family].append(rel)
    if runs_async:  # an async engine needs an async driver: psycopg2 cannot serve it
        named.pop("psycopg2", None)
    else:  # asyncpg serves only async engines
        named.pop("asyncpg", None)
    if not named:
        return Guess(None, "neither env.py, alembic.ini nor the project's requirements name a driver")
    if len(named) > 1:
        both = " and ".join(f"{family} ({_listed(rels)})" for family, rels in sorted(named.items()))
        return Guess(None, f"the project's requirements name {both}")
    family, rels = next(iter(named.items()))
    where = f"{_listed(rels)} {'names' if len(rels) == 1 else 'name'} {family}"
    if family == "psycopg2" and _sqlalchemy_from_2_1(files, pyproject, pipfile):
        # A bare postgresql:// is psycopg 3 from SQLAlchemy 2.1: unless the URL names psycopg2, it would not
        # connect at all, and psycopg 3 may come in undeclared; not certain, so unknown.
        return Guess(None, f"{where}, but SQLAlchemy is pinned to 2.1 or later, where a bare postgresql:// "
                           "is psycopg 3")
    return Guess(family, where)


def _listed(rels: list[str]) -> str:
    """Files for a message: the first two, then how many more."""
    return ", ".join(rels[:2]) + (f" and {len(rels) - 2} more" if len(rels) > 2 else "")


def _root(env_py: Path, boundary: Path | None, markers: tuple[str, ...]) -> Path | None:
    """The nearest folder from env.py's up to ``boundary`` holding one of ``markers``."""
    folder = Path(os.path.abspath(env_py)).parent
    top = Path(os.path.abspath(boundary)) if boundary is not None else folder
    if not folder.is_relative_to(top):
        top = folder
    for candidate in (folder, *folder.parents):
        if not candidate.is_relative_to(top):
            return None
        if any(os.path.lexists(candidate / marker) for marker in markers):
            return candidate
    return None


def _ini_driver(files: ProjectFiles) -> str | None:
    """The driver alembic.ini's ``sqlalchemy.url`` names; never interpolated (``%(DB_URL)s`` names none)."""
    text = files.read("alembic.ini")
    if text is None:
        return None
    import configparser  # only when the file is there

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    urls = {parser.get(s, "sqlalchemy.url", fallback="") for s in parser.sections()}
    drivers = {m.group(1).lower() for url in urls for m in PG_DRIVER.finditer(url)}
    return drivers.pop() if len(drivers) == 1 else None


#: SQLAlchemy's extras that install a PostgreSQL driver (``sqlalchemy[postgresql-psycopg]``), as the
#: distribution names they bring.
_SQLALCHEMY_EXTRAS = {"postgresql": "psycopg2", "postgresql-psycopg2binary": "psycopg2",
                      "postgresql-psycopg2cffi": "psycopg2", "postgresql-psycopg": "psycopg",
                      "postgresql-psycopgbinary": "psycopg", "postgresql-asyncpg": "asyncpg"}
_EXTRAS = re.compile(r"^\s*sqlalchemy\s*\[([^\]]{0,200})\]", re.I)
#: Dependency groups, optional extras and requirement files for development only (tests, linters, docs):
#: a driver they name is not the one the deployed migrations run with.
_DEV_WORDS = frozenset({"dev", "develop", "development", "test", "tests", "testing", "functests", "lint", "linting",
                        "docs", "doc", "typing", "typecheck", "mypy", "ci", "check", "checks", "format",
                        "formatting", "coverage", "bench", "benchmark", "benchmarks"})


def _for_development(name: str) -> bool:
    """``requirements-dev.txt``, ``requirements/tests.in``, ``[project.optional-dependencies] test``."""
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    return any(word in _DEV_WORDS for word in re.split(r"[-_.]", stem))


def _with_extras(line: str, name: str) -> list[str]:
    """The distribution name, and the drivers a ``sqlalchemy[...]`` extra on the line installs."""
    m = _EXTRAS.match(line)
    extras = [_extra(e) for e in m.group(1).split(",")] if m else []
    return [name, *(_SQLALCHEMY_EXTRAS[e] for e in extras if e in _SQLALCHEMY_EXTRAS)]


def _declared(files: ProjectFiles, pyproject: dict[str, Any],
              pipfile: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(file, distribution names) for each dependency declaration of the project root (``pyproject``: its
    pyproject.toml, parsed; ``pipfile``: its Pipfile's package categories but development ones), development-only groups and files
    left out."""
    found = [("pyproject.toml", _pyproject_names(pyproject)), ("Pipfile", _table_names(pipfile))]
    for rel in _requirement_files(files):
        if _for_development(rel):
            continue
        text = files.read(rel) or ""
        found.append((rel, [n for line in text.splitlines()
                            if (m := _REQUIREMENT.match(line)) and not line.lstrip().startswith("-")
                            for n in _with_extras(line, m.group(1))]))
    return found


def _pyproject_names(data: dict[str, Any]) -> list[str]:
    lines: list[object] = []
    project = data.get("project")
    if isinstance(project, dict):
        lines += project.get("dependencies", []) if isinstance(project.get("dependencies"), list) else []
        optional = project.get("optional-dependencies")
        for group_name, group in optional.items() if isinstance(optional, dict) else []:
            lines += group if isinstance(group, list) and not _for_development(str(group_name)) else []
    names = [n for line in lines if isinstance(line, str) and (m := _REQUIREMENT.match(line))
             for n in _with_extras(line, m.group(1))]
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies")]
        groups = poetry.get("group")
        tables += [g.get("dependencies") for group_name, g in groups.items()
                   if isinstance(g, dict) and not _for_development(str(group_name))] \
            if isinstance(groups, dict) else []
        for table in tables:
            names += _table_names(table)
    return names


def _table_names(table: object) -> list[str]:
    """The names of a TOML table of dependencies (Poetry's, Pipfile's ``[packages]``): ``name = "^1.2"`` or
    ``name = {version = ..., extras = [...]}``, with the drivers a SQLAlchemy extra installs."""
    names: list[str] = []
    for name, value in table.items() if isinstance(table, dict) else []:
        extras = value.get("extras") if isinstance(value, dict) else None
        names.append(name)
        if _same(name, "sqlalchemy") and isinstance(extras, list):
            names += [_SQLALCHEMY_EXTRAS[_extra(e)] for e in extras
                      if isinstance(e, str) and _extra(e) in _SQLALCHEMY_EXTRAS]
    return names


#: A Pipfile's tables that list no packages; every other table is a package category (pipenv 2022.10+).
_PIPFILE_SETTINGS = frozenset({"source", "requires", "pipenv", "scripts"})


def _pipfile_packages(files: ProjectFiles) -> dict[str, Any]:
    """Pipfile's ``[packages]``, what ``pipenv install --deploy`` installs, and its other package categories
    (``[database]``, installed with ``--categories``; attack29a: psycopg there beside psycopg2 in ``[packages]``
    read as psycopg2 alone), ``[dev-packages]`` and other development ones left out; {} when there is none."""
    merged: dict[str, Any] = {}
    for name, table in toml_file(files, "Pipfile").items():
        if isinstance(table, dict) and name not in _PIPFILE_SETTINGS and not _for_development(name):
            merged.update(table)
    return merged


def _extra(name: str) -> str:
    """An extra's name as pip compares it (PEP 685): ``postgresql_psycopg`` is ``postgresql-psycopg``."""
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def _requirement_files(files: ProjectFiles) -> list[str]:
    """requirements*.txt / *.in at the root and *.txt / *.in in requirements/, in name order."""
    rels = [name for name in _names(files.root)
            if name.startswith("requirements") and name.endswith((".txt", ".in"))]
    if files.is_dir("requirements"):
        rels += [f"requirements/{name}" for name in _names(files.root / "requirements")
                 if name.endswith((".txt", ".in"))]
    # Each name checked costs a resolve and a stat: a folder of 100,000 names (or of symlinks out of the tree,
    # none of which count) must not be checked whole (4 s before), so only the first _MAX_CHECKED are.
    found: list[str] = []
    for rel in rels[:_MAX_CHECKED]:
        if files.is_file(rel):
            found.append(rel)
            if len(found) == _MAX_FILES:
                break
    return found


def _names(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _sqlalchemy_from_2_1(files: ProjectFiles, pyproject: dict[str, Any], pipfile: dict[str, Any]) -> bool | None:
    """Whether the project's SQLAlchemy pins allow only 2.1 or later (True), only below it (False); None
    when they say neither, are absent or disagree."""
    specs: list[str] = []
    for line in _sqlalchemy_lines(files, pyproject) + _version_lines(pipfile):
        match = _REQUIREMENT.match(line)
        if match and _same(match.group(1), "sqlalchemy"):
            specs.append(match.group(2))
    answers = {_from_2_1(spec) for spec in specs}
    return answers.pop() if len(answers) == 1 else None


def _sqlalchemy_lines(files: ProjectFiles, data: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for rel in _requirement_files(files):
        lines += (files.read(rel) or "").splitlines()
    project = data.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    lines += [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    lines += _version_lines(poetry.get("dependencies") if isinstance(poetry, dict) else None)
    return lines


def _version_lines(table: object) -> list[str]:
    """``name version`` for each entry of a TOML table of dependencies that gives a version."""
    lines: list[str] = []
    for name, value in table.items() if isinstance(table, dict) else []:
        version = value.get("version") if isinstance(value, dict) else value
        if isinstance(version, str):
            lines.append(f"{name} {version}")
    return lines


def _from_2_1(spec: str) -> bool | None:
    """True when ``spec`` allows only SQLAlchemy >= 2.1, False when only < 2.1, else None."""
    low: tuple[int, int] | None = None
    high: tuple[int, int] | None = None  # exclusive
    for part in spec.split(","):
        match = _SPEC.search(part)
        if match is None:
            continue
        op = match.group(1) or "=="
        major = int(match.group(2))
        minor = None if match.group(3) in (None, "*") else int(match.group(3))
        here = (major, minor or 0)
        if op in {"==", "==="}:
            low, high = here, (major, minor + 1) if minor is not None else (major + 1, 0)
        elif minor is not None and (op == "~" or (op == "~=" and part.count(".") >= 2)):
            low, high = here, (major, minor + 1)  # Poetry's ~2.0 is >=2.0,<2.1; ~=2.0.25 is 2.0.*
        elif op in {"^", "~", "~="}:
            low, high = here, (major + 1, 0)
        elif op in {">=", ">"}:
            low = here
        elif op == "<":
            high = here
        elif op == "<=":
            high = (major, (minor or 0) + 1)
    if high is not None and high <= (2, 1):
        return False
    if low is not None and low >= (2, 1):
        return True
    return None
