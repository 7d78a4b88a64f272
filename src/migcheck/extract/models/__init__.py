"""The application reader: what the project's models map, read statically (never imported).

``read_application(project, env_py) -> Application`` with ``.tables`` (name -> MappedTable with
its MappedColumns), ``.naming_convention`` (env.py's target metadata) and ``.type_decorators``
(TypeDecorator classes with their impl per dialect). See docs/architecture.md.
"""

from migcheck.extract.models.files import ProjectFiles, WorkingTree
from migcheck.extract.models.model import Application, MappedColumn, MappedTable, Note, TypeDecoratorInfo
from migcheck.extract.models.reader import read_application

__all__ = ["Application", "MappedColumn", "MappedTable", "Note", "ProjectFiles", "TypeDecoratorInfo",
           "WorkingTree", "read_application"]
