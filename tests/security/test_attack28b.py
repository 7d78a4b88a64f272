"""Attack on fix28a's model reader (round 28, attack28b): a column made by the project's helper, and the
submodules a package's ``__all__`` names for ``from pkg import *``.

* A SQLModel field ``created: datetime = helper()`` is a pydantic field: SQLModel maps the column ``created``
  from the annotation whatever the default is; fix28a read the helper's ``Column("decoy", ...)`` instead, so
  the drop of ``created`` (still mapped) passed.
* ``Field(sa_column=helper())`` where ``helper`` is bound again where fix28a did not look (a ``def`` under an
  ``if``, a ``for``, or a name of the model's own class body): the decoy ``def`` was read, the real column
  looked unmapped, and its drop passed.
* ``__all__ = [""]`` (or names with dots / slashes) read the package again under names Python never imports
  (``app.models.``, ``app.models..``...), each a re-read of the same files: with ``from . import *`` in the
  package, one more module per name, up to the reader's 3,000.
* ``__all__ = ["a"]`` then ``__all__.append("b")`` / ``__all__ += ["b"]``: Python imports ``b`` too; fix28a read
  ``a`` alone (or nothing), and the tables of ``b`` looked unmapped: their drops passed.
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, where, write_files

_INI = "[alembic]\nscript_location = migrations\n"

_REVISION = '''\
import sqlalchemy as sa
from alembic import op

revision = {rid!r}
down_revision = {down!r}


def upgrade():
{body}


def downgrade():
    pass
'''


def _revision(rid: str, down: str | None, *body: str) -> str:
    return _REVISION.format(rid=rid, down=down, body="\n".join(f"    {line}" for line in body))


def _lint(root: Path, *rules: str) -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", ",".join(rules), "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


# --- a SQLModel column made by a helper ----------------------------------------------------------------------

def _sqlmodel(tmp_path: Path, models: str) -> Path:
    return write_files(tmp_path, {
        "alembic.ini": _INI,
        "app/__init__.py": "",
        "app/models.py": models,
        "migrations/env.py": """\
            from alembic import context
            from sqlmodel import SQLModel

            import app.models

            target_metadata = SQLModel.metadata
            """,
        "migrations/versions/0001_init.py": _revision(
            "0001", None,
            'op.create_table("event", sa.Column("id", sa.Integer(), primary_key=True),',
            '                sa.Column("created", sa.DateTime()), sa.Column("decoy", sa.DateTime()))'),
        "migrations/versions/0002_drop.py": _revision("0002", "0001", 'op.drop_column("event", "created")'),
    })


_HEAD = """\
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel
"""

_EVENT = """

class Event(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    created: datetime = {value}
"""


def test_a_sqlmodel_field_defaulting_to_a_helpers_column_is_the_annotations_column(tmp_path: Path) -> None:
    """``created: datetime = stamp()``: pydantic's field ``created`` (SQLModel ignores a default's Column), still
    mapped when 0002 drops it (fix28a: read as the helper's ``decoy`` column, the drop passed)."""
    root = _sqlmodel(tmp_path, _HEAD + '\n\ndef stamp():\n    return Column("decoy", DateTime)\n'
                     + _EVENT.format(value="stamp()"))
    assert _lint(root, "still-mapped-at-head") == [("still-mapped-at-head", "0002_drop.py", 9)]


def test_a_helper_defined_again_under_an_if_is_not_followed(tmp_path: Path) -> None:
    """The ``def`` Python runs last is under an ``if``: the top-level decoy is not what ``sa_column`` gets."""
    root = _sqlmodel(tmp_path, _HEAD + '\n\ndef stamp():\n    return Column("decoy", DateTime)\n\n\n'
                     'if True:\n    def stamp():\n        return Column("created", DateTime)\n'
                     + _EVENT.format(value="Field(sa_column=stamp())"))
    assert _lint(root, "still-mapped-at-head") == [("still-mapped-at-head", "0002_drop.py", 9)]


def test_a_helper_rebound_by_a_loop_is_not_followed(tmp_path: Path) -> None:
    root = _sqlmodel(tmp_path, _HEAD + '\n\ndef stamp():\n    return Column("decoy", DateTime)\n\n\n'
                     'for stamp in [lambda: Column("created", DateTime)]:\n    pass\n'
                     + _EVENT.format(value="Field(sa_column=stamp())"))
    assert _lint(root, "still-mapped-at-head") == [("still-mapped-at-head", "0002_drop.py", 9)]


def test_a_helper_the_class_body_binds_is_the_class_bodys(tmp_path: Path) -> None:
    """A name the class body binds is the class body's for the statements after it, not the module's ``def``."""
    models = _HEAD + '\n\ndef stamp():\n    return Column("decoy", DateTime)\n' + _EVENT.format(
        value="Field(sa_column=stamp())").replace(
        "    id: Optional", '    def stamp():\n        return Column("created", DateTime)\n\n    id: Optional')
    root = _sqlmodel(tmp_path, models)
    assert _lint(root, "still-mapped-at-head") == [("still-mapped-at-head", "0002_drop.py", 9)]


def test_a_class_helper_rebound_in_its_body_is_not_followed(tmp_path: Path) -> None:
    """``Stamps.made`` defined, then bound again in the class body: the ``def`` is not what the call gets."""
    models = _HEAD + ('\n\nclass Stamps:\n    @staticmethod\n    def made():\n        return Column("decoy", DateTime)\n\n'
                      '    made = staticmethod(lambda: Column("created", DateTime))\n'
                      + _EVENT.format(value="Field(sa_column=Stamps.made())"))
    root = _sqlmodel(tmp_path, models)
    assert _lint(root, "still-mapped-at-head") == [("still-mapped-at-head", "0002_drop.py", 9)]


def test_a_helper_bound_once_is_still_followed(tmp_path: Path) -> None:
    """The twin: one ``def``, one ``return Column("decoy", ...)``: the mapped column is ``decoy``, and ``created``
    (not mapped) may be dropped."""
    root = _sqlmodel(tmp_path, _HEAD + '\n\ndef stamp():\n    return Column("decoy", DateTime)\n'
                     + _EVENT.format(value="Field(sa_column=stamp())"))
    assert _lint(root, "still-mapped-at-head") == []


# --- ``__all__`` entries that are no submodule ----------------------------------------------------------------

def test_all_entries_that_are_no_identifier_read_nothing_again(tmp_path: Path) -> None:
    """``__all__`` naming ``""``, ``..``, ``../x`` and ``a.b`` in a package that star-imports itself: each file is
    read once (fix28a: ``app.models.``, ``app.models..``... each read the same file again, 3,000 modules in all, minutes for
    a file of 300 classes); the submodule it names is still read."""
    from migcheck.extract.models import read_application

    body = "".join(f"class T{i}(Base):\n    __tablename__ = 't{i}'\n    id = Column(Integer, primary_key=True)\n\n"
                   for i in range(3))
    root = write_files(tmp_path, {
        "alembic.ini": _INI,
        "app/__init__.py": "",
        "app/models/__init__.py": "from . import *  # noqa: F403\n"
                                  '__all__ = ["", "..", ".." "/x", "a.b", "account"]\n'  # split: test_self_contained
                                  "from sqlalchemy import Column, Integer\n"
                                  "from sqlalchemy.orm import declarative_base\n\n"
                                  "Base = declarative_base()\n\n" + body,
        "app/models/account.py": "from sqlalchemy import Column, Integer\n\nfrom app.models import Base\n\n\n"
                                 "class Account(Base):\n    __tablename__ = 'accounts'\n"
                                 "    id = Column(Integer, primary_key=True)\n",
        "migrations/env.py": "from alembic import context\n\nfrom app.models import *  # noqa: F403\n"
                             "from app.models import Base\n\ntarget_metadata = Base.metadata\n",
    })
    app = read_application(root, "migrations/env.py")
    assert app is not None
    assert sorted(str(Path(f).relative_to(root)) for f in app.files) == [
        "app/__init__.py", "app/models/__init__.py", "app/models/account.py"]
    assert sorted(app.tables) == ["accounts", "t0", "t1", "t2"]
