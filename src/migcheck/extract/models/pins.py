"""The major version of a library the project pins, read from its requirements without installing anything.

SQLModel maps some fields differently under pydantic 1 and 2 (``x: str = None`` is a nullable column under
pydantic 1, NOT NULL under 2), so the reader asks which one the project installs; Alembic compares column types
in autogenerate by default only from 1.12 on, so the drift rule asks whether the project's is older. Read from
pyproject.toml (PEP 621 ``[project] dependencies``, Poetry's ``[tool.poetry.dependencies]``), Pipenv's Pipfile
(``[packages]``) and requirements.txt; None when none of them says, or they disagree.
"""

from __future__ import annotations

import re

from migcheck.extract.models.files import ProjectFiles
from migcheck.extract.models.resolve import toml_file

#: One requirement line: the name, then its version specifiers (``pydantic[email]>=1.10,<2``).
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;#]*)")
#: More digits than any real major version: ``int()`` refuses over 4,300 digits, and such a pin says nothing.
_MAX_MAJOR_DIGITS = 6


def below_major(files: ProjectFiles, package: str, major: int) -> bool | None:
    """Whether the project's requirements of ``package`` allow only versions below ``major`` (True), only
    ``major`` or later (False); None when they say neither, are absent, or disagree."""
    return below_version(files, package, (major,))


def _specifiers(files: ProjectFiles, package: str) -> list[str]:
    data = toml_file(files, "pyproject.toml")
    project = data.get("project")
    dependencies = project.get("dependencies") if isinstance(project, dict) else None  # ``dependencies = 1``: none
    lines = [d for d in dependencies if isinstance(d, str)] if isinstance(dependencies, list) else []
    lines += (files.read("requirements.txt") or "").splitlines()
    specs = [m.group(2) for line in lines if (m := _REQUIREMENT.match(line)) and _same(m.group(1), package)]
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    pipenv = toml_file(files, "Pipfile").get("packages")  # Pipenv: ``[packages] sqlalchemy = "~=1.3.24"``
    for name, value in [*(deps.items() if isinstance(deps, dict) else []),
                        *(pipenv.items() if isinstance(pipenv, dict) else [])]:
        if _same(name, package):
            version = value.get("version") if isinstance(value, dict) else value
            if isinstance(version, str):
                specs.append(version)
    return specs


def _same(name: str, package: str) -> bool:
    return re.sub(r"[-_.]+", "-", name).lower() == package


#: One specifier with its whole version (``<0.7.0``, ``~=1.8``, ``==1.11.*``): an operator (Poetry's ``^`` and ``~``
#: too, none for a bare Poetry version), spaces only after it: ``(op)?\s*`` searched over a run of spaces was
#: quadratic (20,000 spaces in a requirements file: 6 s).
_FULL_SPECIFIER = re.compile(r"(?:(===|==|~=|>=|<=|!=|>|<|\^|~)\s*)?v?(\d+(?:\.\d+){0,3})(\.\*)?")


def below_version(files: ProjectFiles, package: str, version: tuple[int, ...]) -> bool | None:
    """Whether the project's requirements of ``package`` allow only releases before ``version`` (True), only
    ``version`` or later (False); None when they say neither, are absent, or disagree (``alembic<0.7`` is
    before 1.12; ``alembic>=1.13`` is not)."""
    answers: set[bool | None] = set()
    for spec in _specifiers(files, package.lower()):
        low, high = (_trimmed(v) if v is not None else None for v in _range(spec))
        if high is not None and high <= _trimmed(version):
            answers.add(True)
        elif low is not None and low >= _trimmed(version):
            answers.add(False)
        else:
            answers.add(None)
    return answers.pop() if len(answers) == 1 else None


def _range(spec: str) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """The lowest version ``spec`` allows and the first one above it that it no longer allows (exclusive); None
    for a side left open or unreadable. ``<=1.11`` counts as before 1.11.1, close enough for a release boundary."""
    low: tuple[int, ...] | None = None
    high: tuple[int, ...] | None = None
    for part in spec.split(","):
        match = _FULL_SPECIFIER.search(part)
        if match is None or len(match.group(2)) > 4 * _MAX_MAJOR_DIGITS:
            continue
        op, wildcard = match.group(1) or "==", bool(match.group(3))
        version = tuple(int(x) for x in match.group(2).split("."))
        top: tuple[int, ...] | None = None
        bottom: tuple[int, ...] | None = None
        if op in {"==", "==="}:
            bottom, top = version, _bump(version, len(version) - 1) if wildcard else (*version, 0, 0, 1)
        elif op == "~=" and len(version) > 1:
            bottom, top = version, _bump(version, len(version) - 2)
        elif op == "^":
            first = next((i for i, x in enumerate(version) if x), len(version) - 1)
            bottom, top = version, _bump(version, first)
        elif op == "~":
            bottom, top = version, _bump(version, min(1, len(version) - 1))
        elif op in {">=", ">"}:
            bottom = version
        elif op == "<":
            top = version
        elif op == "<=":
            top = (*version, 0, 0, 1)
        if bottom is not None:
            low = bottom if low is None else max(low, bottom)
        if top is not None:
            high = top if high is None else min(high, top)
    return low, high


def _trimmed(version: tuple[int, ...]) -> tuple[int, ...]:
    """``version`` without trailing zeros, so that 2.0 and 2 compare equal (``<2.0`` is below 2, ``^1.10`` ends at 2)."""
    end = len(version)
    while end > 1 and version[end - 1] == 0:
        end -= 1
    return version[:end]


def _bump(version: tuple[int, ...], at: int) -> tuple[int, ...]:
    """The first release after every one that starts like ``version`` up to index ``at``: (1, 8, 2), 1 -> (1, 9)."""
    return (*version[:at], version[at] + 1)
