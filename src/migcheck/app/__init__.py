"""The application reader: what the project's models map, read statically (never imported).

``read_application(project, env_py) -> Application`` with ``.tables`` (name -> MappedTable with
its MappedColumns), ``.naming_convention`` (env.py's target metadata) and ``.type_decorators``
(TypeDecorator classes with their impl per dialect). See docs/architecture.md.
"""

from migcheck.app.files import GitTree, ProjectFiles, WorkingTree
from migcheck.app.model import Application, MappedColumn, MappedTable, Note, TypeDecoratorInfo
from migcheck.app.reader import read_application

__all__ = ["Application", "GitTree", "MappedColumn", "MappedTable", "Note", "ProjectFiles", "TypeDecoratorInfo",
           "WorkingTree", "read_application"]
