"""Threat: a models file whose class hierarchy makes the method-resolution-order merge run for minutes.

The reader works out each class's method resolution order (Python's C3) to find its ``__tablename__`` and
its ``type_annotation_map``. The textbook merge scans every sequence's tail for every candidate head: D
layers of W abstract classes, each deriving from every class of the layer above (valid Python, built in
half a second), cost about W**4 * D**3, and ``migcheck lint`` ran 33-51 s on 20 by 20 (90 KB) and 208 s
on 25 by 25. The merge now counts tail appearances (mro.py); an order longer than ``MRO_LIMIT`` classes,
or one still to work out once the merges of a reading have taken ``MRO_WORK`` items, is cut short and the
class's columns count as unknown (a models-not-readable note). The last tests check the merge against
Python's own ``__mro__`` and against the textbook merge, inconsistent orders included.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from migcheck.extract.models.files import WorkingTree
from migcheck.extract.models.mro import c3_merge
from migcheck.extract.models.reader import _Reader

CLI_TIMEOUT = 20
TYPE_DIFFERS = ("leaf.top_0 is mapped as Integer (L0_0.top_0) but the migrations build it as String(20): "
                "autogenerate would write an alter_column for it")
CUT_SHORT = ("Leaf (leaf) has more classes in its method resolution order than migcheck follows (more than 500, "
             "or too many to merge): columns its ancestors add count as unknown")


def _layered(root: Path, width: int, depth: int) -> int:
    """A project whose models are ``depth`` layers of ``width`` abstract classes, each deriving from every
    class of the layer above, and a mapped ``Leaf`` under the last; the migration builds the first layer's
    ``top_0`` as a string the models map as an integer. Returns the line of ``class Leaf``."""
    (root / "migrations/versions").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "migrations/env.py").write_text("from app.models import Base\ntarget_metadata = Base.metadata\n")
    (root / "app/__init__.py").write_text("")
    (root / "migrations/versions/a.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = 'a'\ndown_revision = None\n\n\n"
        "def upgrade():\n    op.create_table('leaf', sa.Column('id', sa.Integer, primary_key=True),\n"
        "                    sa.Column('top_0', sa.String(20), nullable=False))\n\n\n"
        "def downgrade():\n    op.drop_table('leaf')\n")
    out = ["import sqlalchemy as sa", "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column",
           "class Base(DeclarativeBase):\n    pass"]
    above = ["Base"]
    for d in range(depth):
        layer = [f"L{d}_{w}" for w in range(width)]
        out += [f"class {name}({', '.join(above)}):\n    __abstract__ = True\n"
                f"    {'top' if d == 0 else name.lower()}_{w}: Mapped[int] = mapped_column(sa.Integer)"
                for w, name in enumerate(layer)]
        above = layer
    out.append(f"class Leaf({', '.join(above)}):\n    __tablename__ = 'leaf'\n"
               f"    id: Mapped[int] = mapped_column(primary_key=True)")
    text = "\n\n".join(out) + "\n"
    (root / "app/models.py").write_text(text)
    return text[:text.index("class Leaf(")].count("\n") + 1


def _lint(root: Path) -> list[tuple[str, str, str, int]]:
    run = subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", "migrations/versions/a.py", "--format", "json"],
        cwd=root, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "MIGCHECK_CACHE_DIR": str(root / "cache")},
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    return [(f["rule"], f["message"], f["path"], f["line"]) for f in json.loads(run.stdout)["findings"]]


def test_layers_of_classes_each_deriving_from_the_whole_layer_above(tmp_path: Path) -> None:
    """20 layers of 20 (a 402-class order, within the limit): read in full, so the first layer's column
    reaches the leaf's table and its type is compared; nothing is reported unreadable."""
    _layered(tmp_path, 20, 20)
    found = _lint(tmp_path)
    assert ("model-differs-from-migrations", TYPE_DIFFERS, "app/models.py", 10) in found
    assert not [f for f in found if f[0] == "models-not-readable"]


def test_an_order_past_the_limit_counts_its_columns_as_unknown(tmp_path: Path) -> None:
    """25 layers of 25: a 627-class order, cut short; the columns read are still compared, and the note
    says the rest count as unknown, at the mapped class."""
    leaf = _layered(tmp_path, 25, 25)
    found = _lint(tmp_path)
    assert ("model-differs-from-migrations", TYPE_DIFFERS, "app/models.py", 10) in found
    assert ("models-not-readable", CUT_SHORT, "app/models.py", leaf) in found


def test_too_many_items_to_merge_counts_the_columns_as_unknown(tmp_path: Path) -> None:
    """8 layers of 60: each order is within the limit (482 classes) but the merges take millions of items;
    past ``MRO_WORK`` the orders still to work out are cut short, with the same note."""
    leaf = _layered(tmp_path, 60, 8)
    found = _lint(tmp_path)
    assert ("models-not-readable", CUT_SHORT, "app/models.py", leaf) in found


def _textbook(first: object, seqs: list[list[object]]) -> list[object]:
    """The merge the reader used before (scan every tail for every candidate head): the reference."""
    seqs = [list(q) for q in seqs]
    out = [first]
    while seqs := [q for q in seqs if q]:
        head = next((q[0] for q in seqs if not any(q[0] is x for other in seqs for x in other[1:])), None)
        if head is None:
            head = seqs[0][0]
        if not any(head is x for x in out):
            out.append(head)
        seqs = [q[1:] if q[0] is head else q for q in seqs]
    return out


def test_the_merge_is_the_textbook_merge_inconsistent_orders_included() -> None:
    rng = random.Random(21)
    items = [object() for _ in range(12)]
    for _ in range(3000):
        seqs = [rng.sample(items, rng.randint(0, 6)) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.3:  # a base named twice, a sequence that repeats an item
            seqs.append([*seqs[0], *seqs[0][:1]])
        first = rng.choice(items) if rng.random() < 0.2 else object()
        assert c3_merge(first, seqs, 1000) == _textbook(first, seqs)


def _hierarchy(rng: random.Random, count: int) -> tuple[str, dict[str, list[str]]]:
    """Random classes Python accepts (each deriving from up to four earlier ones): the source and, by name,
    Python's own method resolution order (``object`` left out)."""
    built: dict[str, type] = {}
    lines = []
    while len(built) < count:
        names = rng.sample(sorted(built), min(len(built), rng.randint(0, 4)))
        try:
            cls = type(f"C{len(built)}", tuple(built[n] for n in names), {})
        except TypeError:  # no consistent order: Python refuses it, so does the hierarchy
            continue
        built[cls.__name__] = cls
        lines.append(f"class {cls.__name__}({', '.join(names)}):\n    pass\n")
    return "\n".join(lines), {n: [k.__name__ for k in c.__mro__ if k is not object] for n, c in built.items()}


def test_the_reader_orders_classes_as_python_does(tmp_path: Path) -> None:
    for seed in range(5):
        root = tmp_path / str(seed)
        (root / "app").mkdir(parents=True)
        (root / "app/__init__.py").write_text("")
        source, expected = _hierarchy(random.Random(seed), 80)
        (root / "app/models.py").write_text(source)
        reader = _Reader(WorkingTree(root), None, ["app.models"], "postgresql")
        reader.run()
        classes = {info.node.name: info for info in reader.classes.values()}
        assert {name: [k.node.name for k in reader._mro(info)] for name, info in classes.items()} == expected
