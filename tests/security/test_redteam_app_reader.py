"""The application reader under attack: a pull request controls every model file it follows.

Each file env.py's imports lead to may be a FIFO, a symlink to a device, not UTF-8, a gigabyte
(that git compresses to a kilobyte), or source that makes the parser give up. None of it may
hang, crash or be skipped in silence: a model the reader cannot read is a note
(``models-not-readable``) and every table's absence counts as unknown, never "not mapped".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from migcheck.extract.models import Application, read_application
from migcheck.extract.models.files import MAX_FILE_BYTES
from migcheck.run.pullrequest import locate
from migcheck.sources.gittree import GitTree

ENV = "from alembic import context\nfrom app.models import Base\ntarget_metadata = Base.metadata\n"
BASE = "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def _project(root: Path, extra_import: str) -> Path:
    """app/models/__init__.py maps ``accounts`` and imports ``extra_import`` (the hostile module)."""
    files = {
        "migrations/env.py": ENV,
        "app/__init__.py": "",
        "app/models/base.py": BASE,
        "app/models/__init__.py": f"""\
            import sqlalchemy as sa
            from app.models.base import Base
            from app.models import {extra_import}


            class Account(Base):
                __tablename__ = "accounts"
                id = sa.Column(sa.Integer, primary_key=True)
            """,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _notes(app: Application) -> list[str]:
    return [n.message for n in app.notes]


def test_parser_memory_error_in_a_model_module_is_a_note(tmp_path: Path) -> None:
    root = _project(tmp_path, "evil")
    (root / "app/models/evil.py").write_text("__tablename__ = 'x'\nX = " + "-" * 7000 + "1\n")
    app = read_application(root, "migrations/env.py")  # was: MemoryError from ast.parse
    assert app is not None and "accounts" in app.tables
    assert any("evil.py cannot be parsed" in m for m in _notes(app)) and app.unknown_names


def test_env_py_the_parser_gives_up_on_is_no_traceback(tmp_path: Path) -> None:
    root = _project(tmp_path, "base")
    (root / "migrations/env.py").write_text(ENV + "X = " + "-" * 7000 + "1\n")
    assert read_application(root, "migrations/env.py") is None  # was: MemoryError


def test_model_file_that_is_not_utf8_is_a_note_not_a_silent_skip(tmp_path: Path) -> None:
    root = _project(tmp_path, "orders")
    (root / "app/models/orders.py").write_bytes(
        b"import sqlalchemy as sa\nfrom app.models.base import Base\n# \xff\xfe\n\n\n"
        b"class Order(Base):\n    __tablename__ = 'orders'\n    id = sa.Column(sa.Integer, primary_key=True)\n")
    app = read_application(root, "migrations/env.py")
    assert app is not None
    assert any(m.startswith("orders.py is not read (not UTF-8 text)") for m in _notes(app)), _notes(app)
    assert app.unknown_names and app.table_status("orders") == "unknown"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "outside"])
def test_model_file_that_is_not_a_regular_project_file_is_a_note(tmp_path: Path, kind: str) -> None:
    root = _project(tmp_path / "p", "orders")
    target = root / "app/models/orders.py"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        outside = tmp_path / "outside.py"
        outside.write_text("class Order(Base):\n    __tablename__ = 'orders'\n")
        target.symlink_to(outside)
    app = read_application(root, "migrations/env.py")
    assert app is not None and "accounts" in app.tables
    assert any(m.startswith("orders.py is not read") for m in _notes(app)), _notes(app)
    assert app.table_status("orders") == "unknown"


def test_huge_working_tree_model_file_is_a_note(tmp_path: Path) -> None:
    root = _project(tmp_path, "orders")
    (root / "app/models/orders.py").write_text("X = 1\n" + "#" * (MAX_FILE_BYTES + 10) + "\n")
    app = read_application(root, "migrations/env.py")
    assert app is not None
    assert any(m.startswith(f"orders.py is not read (larger than {MAX_FILE_BYTES:,} bytes)") for m in _notes(app))


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_base_commit_huge_blob_and_symlink_blob_are_notes_and_never_read(tmp_path: Path) -> None:
    """Under --base the models come from git: a blob's size is asked before it is read (a gigabyte
    of one character is a kilobyte in the repository), and a symlink entry is never followed."""
    root = _project(tmp_path, "orders")
    (root / "app/models/__init__.py").write_text(
        (root / "app/models/__init__.py").read_text().replace("import orders", "import orders, linked"))
    (root / "app/models/orders.py").write_text("X = 1\n" + "#" * (MAX_FILE_BYTES + 10) + "\n")
    (root / "app/models/linked.py").symlink_to("/etc/passwd")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    shutil.rmtree(root / "app")  # only the commit is read
    app = read_application(root, "migrations/env.py", files=GitTree(locate([root]), "main", "", root))
    assert app is not None and "accounts" in app.tables
    notes = _notes(app)
    assert any(m.startswith(f"orders.py is not read (larger than {MAX_FILE_BYTES:,} bytes)") for m in notes), notes
    assert any(m.startswith("linked.py is not read (a symlink") for m in notes), notes
    assert app.unknown_names


def test_dotted_names_thousands_deep_are_unknown_not_a_recursion_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "deep")
    (root / "migrations/env.py").write_text(ENV.replace("Base.metadata", "Base." * 2500 + "metadata"))
    (root / "app/models/deep.py").write_text(
        "import sqlalchemy as sa\nfrom app.models.base import Base\na = Base\n\n\n"
        f"class Deep({'a.' * 2500}Base):\n    __tablename__ = 'deep'\n    id = sa.Column(sa.Integer, primary_key=True)\n")
    app = read_application(root, "migrations/env.py")  # was: RecursionError in _resolve
    assert app is not None and "accounts" in app.tables
    assert app.table_status("accounts") == "mapped"


def test_import_cycles_and_the_module_cap_end_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Modules importing each other in a ring are each read once; past the cap on modules read,
    what was left unread is said, and makes every table's absence unknown (not "not mapped")."""
    from migcheck.extract.models import reader

    root = _project(tmp_path, "ring0")
    for i in range(12):
        (root / f"app/models/ring{i}.py").write_text(
            f"import sqlalchemy as sa\nfrom app.models.base import Base\nfrom app.models import ring{(i + 1) % 12}\n"
            f"from app.models.ring{(i + 5) % 12} import *\n\n\n"
            f"class R{i}(Base):\n    __tablename__ = 'r{i}'\n    id = sa.Column(sa.Integer, primary_key=True)\n")
    app = read_application(root, "migrations/env.py")
    assert app is not None and {f"r{i}" for i in range(12)} <= set(app.tables) and not app.unknown_names
    monkeypatch.setattr(reader, "MAX_MODULES", 6)
    app = read_application(root, "migrations/env.py")
    assert app is not None and app.unknown_names
    assert any("import more than 6 modules" in m for m in _notes(app)), _notes(app)
    assert app.table_status("r11") == "unknown"
