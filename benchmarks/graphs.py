"""Generate revision graphs of two-line revisions (headers only), for the whole-graph rules' cost.

The rules that look at the graph (multiple-heads, the upgrade order the history rules fold in) must stay
linear in the revisions whatever the graph's shape; a pull request controls the shape. Shapes:

- ``heads``: a chain r0 <- r1 <- ... with a second child on every revision (a head on each);
- ``ladder``: every revision merges the previous two, a branch point and a merge on each step;
- ``labels``: ``heads`` with a branch label on every chain revision;
- ``deps``: ``heads`` where each chain revision depends_on the three before it, each head on r0.

    python benchmarks/graphs.py heads 3200 /tmp/heads-3200
    migcheck lint /tmp/heads-3200 --no-cache --format json -q
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

SHAPES = ("heads", "ladder", "labels", "deps")


def generate(shape: str, count: int, target: Path) -> None:
    """Write ``count`` steps of ``shape`` as an Alembic project at ``target`` (replaced if it exists)."""
    if target.exists():
        shutil.rmtree(target)
    versions = target / "migrations" / "versions"
    versions.mkdir(parents=True)
    (target / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (target / "migrations" / "env.py").write_text("from alembic import context\ntarget_metadata = None\n")

    def write(rid: str, down: object, extra: str = "") -> None:
        (versions / f"{rid}.py").write_text(f"revision = {rid!r}\ndown_revision = {down!r}\n{extra}")

    for i in range(count):
        if shape == "ladder":
            if i == 0:
                write("a0", None)
                write("b0", "a0")
            else:
                write(f"a{i}", (f"a{i - 1}", f"b{i - 1}"))
                if i < count - 1:
                    write(f"b{i}", f"a{i}")
            continue
        extra = ""
        if shape == "labels":
            extra = f"branch_labels = ('l{i}',)\n"
        elif shape == "deps" and i:
            extra = f"depends_on = {[f'r{j}' for j in range(max(0, i - 3), i)]!r}\n"
        write(f"r{i}", f"r{i - 1}" if i else None, extra)
        if i:
            write(f"h{i}", f"r{i - 1}", "depends_on = 'r0'\n" if shape == "deps" else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shape", choices=SHAPES)
    parser.add_argument("count", type=int)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    generate(args.shape, args.count, args.target)


if __name__ == "__main__":
    main()
