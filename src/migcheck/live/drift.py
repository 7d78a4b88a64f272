"""``--check-models module:attribute``: does the migrated database match the application's models?

After the heads are reached, Alembic's own ``compare_metadata`` (the engine of
``alembic revision --autogenerate``) lists what the models have that the
database lacks and the reverse; each difference becomes a ``model-drift``
finding placed at the model class (or the module) it concerns.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migcheck.live import LiveError
from migcheck.sources.envcompare import CompareOptions


@dataclass
class Drift:
    message: str
    path: Path
    line: int


@dataclass
class Target:
    metadata: Any
    module_file: Path
    #: Table name -> (file, line) of the mapped class that defines it.
    where: dict[str, tuple[Path, int]]


def load_target(spec: str, search_paths: list[Path]) -> Target:
    """Import ``module:attribute`` (a MetaData, a declarative Base, or anything with ``.metadata``)."""
    from sqlalchemy import MetaData

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise LiveError(f"--check-models {spec!r}: expected module:attribute, e.g. myapp.models:Base")
    added = [str(p) for p in search_paths if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise LiveError(f"--check-models: cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    finally:
        for p in added:
            if p in sys.path:
                sys.path.remove(p)
    obj: Any = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise LiveError(f"--check-models: {module_name} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    metadata = obj if isinstance(obj, MetaData) else getattr(obj, "metadata", None)
    if not isinstance(metadata, MetaData):
        raise LiveError(f"--check-models {spec}: not a MetaData or a declarative Base")
    module_file = Path(inspect.getsourcefile(module) or module.__file__ or module_name)
    return Target(metadata, module_file, _class_locations(obj, module_file))


def _class_locations(obj: Any, module_file: Path) -> dict[str, tuple[Path, int]]:
    out: dict[str, tuple[Path, int]] = {}
    registry = getattr(obj, "registry", None)
    for mapper in getattr(registry, "mappers", ()):
        table = getattr(mapper, "local_table", None)
        if table is None:
            continue
        try:
            path = Path(inspect.getsourcefile(mapper.class_) or module_file)
            line = inspect.getsourcelines(mapper.class_)[1]
        except (OSError, TypeError):
            continue
        out.setdefault(table.name, (path, line))
    return out


def compare(conn: Any, target: Target, options: CompareOptions | None = None) -> list[Drift]:
    """Each difference between the database on ``conn`` and the models, as a sentence and a place.

    ``options`` are env.py's (include_schemas, include_object, compare_type, compare_server_default),
    so the answer is the one ``alembic check`` gives; Alembic's defaults without them.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(conn, opts=(options or CompareOptions()).opts())
    try:
        diffs = compare_metadata(context, target.metadata)
    except (TypeError, AttributeError, ValueError) as exc:  # env.py's include_object met an object it did not expect
        raise LiveError(f"--check-models: env.py's include_object failed: {type(exc).__name__}: {exc}") from None
    out: list[Drift] = []
    for diff in _flatten(diffs):
        message, table = describe(diff)
        path, line = target.where.get(table or "", (target.module_file, _line_of(target.module_file, table)))
        out.append(Drift(message, path, line))
    return out


def _flatten(diffs: list[Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for diff in diffs:
        if isinstance(diff, list):  # modify_* come grouped per column
            out.extend(diff)
        else:
            out.append(diff)
    return out


def describe(diff: tuple[Any, ...]) -> tuple[str, str | None]:
    """A sentence for one ``compare_metadata`` entry, and the table it concerns."""
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        table = diff[1].name
        where = (
            "in the models but not in the database"
            if kind == "add_table"
            else "in the database but not in the models"
        )
        return f"table {table} is {where} after upgrading to the heads", table
    if kind in ("add_column", "remove_column"):
        table, column = diff[2], diff[3]
        where = (
            "in the models but not in the database"
            if kind == "add_column"
            else "in the database but not in the models"
        )
        return f"column {table}.{column.name} is {where}", table
    if kind in ("add_index", "remove_index"):
        index = diff[1]
        where = (
            "in the models but not in the database"
            if kind == "add_index"
            else "in the database but not in the models"
        )
        return f"index {index.name} on {index.table.name} is {where}", index.table.name
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = diff[1]
        table = constraint.table.name
        where = (
            "in the models but not in the database"
            if kind.startswith("add")
            else "in the database but not in the models"
        )
        label = "foreign key" if kind.endswith("fk") else "constraint"
        return f"{label} {constraint.name or '(unnamed)'} on {table} is {where}", table
    if kind.startswith("modify_"):
        _, _schema, table, column, _kw, db_value, model_value = diff
        what = kind.removeprefix("modify_").replace("_", " ")
        what = "server default" if what == "default" else what  # modify_default is the server default
        if what == "nullable":
            return (
                f"column {table}.{column} is {_show(db_value)} in the database, "
                f"{_show(model_value)} in the models",
                table,
            )
        return (
            f"column {table}.{column}: {what} is {_show(db_value)} in the database, "
            f"{_show(model_value)} in the models",
            table,
        )
    return f"{kind}: {diff[1:]}", None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "NOT NULL" if value is False else "NULL"
    text = getattr(value, "arg", value)
    return str(getattr(text, "text", text))


def _line_of(path: Path, table: str | None) -> int:
    if not table:
        return 1
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if f'"{table}"' in line or f"'{table}'" in line:
                return number
    except OSError:
        pass
    return 1
