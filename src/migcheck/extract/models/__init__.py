"""The application reader: what the project's models map, read statically (never imported).

``read_application(project, env_py) -> Application`` with ``.tables`` (name -> MappedTable with
its MappedColumns), ``.naming_convention`` (env.py's target metadata) and ``.type_decorators``
(TypeDecorator classes with their impl per dialect). See docs/architecture.md.

The names below are imported on first use (PEP 562): the rules import ``models.model`` for its
types, and importing this package must not load the reader (a tenth of a pre-commit run's imports)
when no rule reads the application.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migcheck.extract.models.files import ProjectFiles, WorkingTree
    from migcheck.extract.models.model import Application, MappedColumn, MappedTable, Note, TypeDecoratorInfo
    from migcheck.extract.models.reader import read_application

__all__ = ["Application", "MappedColumn", "MappedTable", "Note", "ProjectFiles", "TypeDecoratorInfo",
           "WorkingTree", "read_application"]

_HOME = {"ProjectFiles": "files", "WorkingTree": "files", "read_application": "reader",
         **dict.fromkeys(["Application", "MappedColumn", "MappedTable", "Note", "TypeDecoratorInfo"], "model")}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
