"""``migcheck init``: adopt migcheck on an existing project in one commit.

It writes a starter ``[tool.migcheck]`` table whose ``baseline`` is the current
head(s), so the history that is already in production is trusted and only new
revisions are linted. The user's file is edited as text, never re-serialised:
the table is appended (or, with ``--force``, put where the old one was), and
the result is parsed back and compared with the original before anything is
written, so the rest of ``pyproject.toml`` (comments, order, formatting) is
byte-for-byte what it was. When that check fails, nothing is written.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

from migcheck.guard import toml
from migcheck.run.config import migcheck_table, short_path, toml_string

_HEADER = re.compile(r"^\s*\[\s*tool\s*\.\s*migcheck\s*(?:\.[^\]]*)?\]\s*(?:#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


class AdoptError(Exception):
    """``init`` cannot (or must not) write; the message is the one line the user sees."""


def init_config(paths: list[Path], *, target: Path | None = None, dialect: str | None = None,
                force: bool = False) -> str:
    """Write the starter table; return the message for the user."""
    from migcheck.sources.discovery import DiscoveryError, discover
    from migcheck.sources.load import LoadError, load_python
    from migcheck.vocabulary.graph import RevisionGraph

    try:
        sources = discover(paths)
    except DiscoveryError as exc:
        raise AdoptError(str(exc)) from None
    migrations = []
    unreadable = 0
    for path in sources.python:
        try:
            migration = load_python(path, dialect or "postgresql", extract=False)
        except LoadError:
            unreadable += 1
            continue
        if migration is not None:
            migrations.append(migration)
    heads = [m.revision for m in RevisionGraph.build(migrations).heads]

    pyproject = target or _target_for(paths[0])
    text = _read(pyproject)
    before = _parse(text, pyproject)
    if migcheck_table(before) is not None and not force:
        raise AdoptError(f"{pyproject} already has a [tool.migcheck] table; edit it (`migcheck config` shows "
                         f"the effective settings) or run `migcheck init --force` to replace it")
    newline = "\r\n" if "\r\n" in text else "\n"
    table, expected = _starter_table(heads, dialect or "postgresql", _relative_paths(paths, pyproject.parent))
    new_text = _replace_table(text, table, newline) if migcheck_table(before) is not None \
        else _append_table(text, table, newline)
    after = _parse(new_text, pyproject, ours=True)
    if _without_migcheck(after) != _without_migcheck(before) or migcheck_table(after) != expected:
        raise AdoptError(f"cannot update {pyproject} safely (its [tool.migcheck] is written in a form "
                         f"migcheck does not edit); remove that table by hand and run `migcheck init` again")
    try:
        with pyproject.open("w", encoding="utf-8", newline="") as handle:
            handle.write(new_text)
    except OSError as exc:
        raise AdoptError(f"cannot write {pyproject}: {exc.strerror or exc}") from None

    action = "Replaced the [tool.migcheck] table in" if migcheck_table(before) is not None else "Wrote"
    action += "" if action.startswith("Replaced") else " [tool.migcheck] to"
    if not heads:
        trust = "no revisions found, so no baseline is set: every revision will be linted"
    else:
        what = "head" if len(heads) == 1 else f"{len(heads)} heads"
        trust = (f"baseline = {', '.join(heads)} (the current {what}; {len(migrations)} revision"
                 f"{'s' if len(migrations) != 1 else ''} trusted as history)")
    lines = [f"{action} {short_path(pyproject)}: {trust}.",
             "From now on `migcheck lint` reports problems in revisions added after the baseline; graph "
             "checks still cover every revision."]
    if unreadable:
        lines.append(f"{unreadable} file(s) could not be read as revisions; `migcheck lint` reports them.")
    if dialect is None:
        lines.append('dialect = "postgresql" was assumed; change it in the table if production runs MySQL '
                     "or SQLite.")
    return "\n".join(lines)


def _target_for(first: Path) -> Path:
    """The nearest pyproject.toml above ``first`` (where lint will look); else a new one next to it."""
    start = first.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate / "pyproject.toml"
    cwd = Path.cwd().resolve()
    return (cwd if folder.is_relative_to(cwd) else folder) / "pyproject.toml"


def _read(path: Path) -> str:
    if not path.exists():
        return ""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise AdoptError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _parse(text: str, path: Path, ours: bool = False) -> dict[str, Any]:
    try:
        return toml.loads(text)
    except toml.TomlError as exc:
        if ours:
            raise AdoptError(f"cannot update {path} safely ({exc}); add the [tool.migcheck] table by hand "
                             f"(see `migcheck config`)") from None
        raise AdoptError(f"{path} is not valid TOML ({exc}); fix it first, nothing was written") from None


def _relative_paths(paths: list[Path], base: Path) -> list[str]:
    out = []
    for path in paths:
        rel = Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
        out.append(rel)
    return out


def _starter_table(heads: list[str], dialect: str, paths: list[str]) -> tuple[list[str], dict[str, Any]]:
    lines = [
        "[tool.migcheck]",
        "# Written by `migcheck init`. Revisions up to the baseline (and their ancestors) are trusted",
        "# history: per-revision rules skip them, graph rules still check every revision.",
        "# `migcheck config` prints every setting and where it came from.",
    ]
    expected: dict[str, Any] = {}
    if len(heads) == 1:
        lines.append(f"baseline = {toml_string(heads[0])}")
        expected["baseline"] = heads[0]
    elif heads:
        lines.append(f"baseline = [{', '.join(toml_string(h) for h in heads)}]")
        expected["baseline"] = heads
    lines.append(f"dialect = {toml_string(dialect)}")
    expected["dialect"] = dialect
    lines.append(f"paths = [{', '.join(toml_string(p) for p in paths)}]")
    expected["paths"] = paths
    lines.append('fail-on = "error"')
    expected["fail-on"] = "error"
    lines.append("require-reason = true")
    expected["require-reason"] = True
    lines += [
        "# Table sizes from a replica make index builds and scans on tiny tables info, not errors:",
        "#   migcheck stats --db-url postgresql://reader@replica/app  (then commit the file)",
        '# table-stats = "migcheck-stats.json"',
        "# Data-migration checks for `migcheck verify`: <revision id>.toml files, rows inserted before",
        "# that revision and checked after it (docs/verify.md, Data checks):",
        '# verify-data = "migrations/verify-data"',
    ]
    return lines, expected


def _append_table(text: str, table: list[str], newline: str) -> str:
    if not text:
        return newline.join(table) + newline
    if not text.endswith(("\n", "\r")):
        text += newline
    return text + newline + newline.join(table) + newline


def _replace_table(text: str, table: list[str], newline: str) -> str:
    """Put ``table`` where ``[tool.migcheck]`` (and its sub-tables) were; the rest stays as it was."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    placed = False
    while i < len(lines):
        if not _HEADER.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not (_ANY_HEADER.match(lines[end]) and not _HEADER.match(lines[end])):
            end += 1
        # Comments and blank lines right before the next table belong to that table.
        keep_from = end
        while keep_from > i + 1 and (not lines[keep_from - 1].strip() or lines[keep_from - 1].lstrip()
                                     .startswith("#")):
            keep_from -= 1
        if not placed:
            out.extend(line + newline for line in table)
            placed = True
            if keep_from == end and end < len(lines):
                out.append(newline)
        out.extend(lines[keep_from:end])
        i = end
    return "".join(out)


def _without_migcheck(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    tool = data.get("tool")
    if isinstance(tool, dict):
        tool.pop("migcheck", None)
        if not tool:
            data.pop("tool")
    return data
