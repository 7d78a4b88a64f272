"""Adoption on a project with many old revisions: how long lint, init and pull-request mode take.

Generates a git repository with N linear revisions (a mix of the operations real histories have,
a third of them with findings), then times, as a user would run them from the shell:

- ``migcheck lint``               the whole history (what a team sees before adopting);
- ``migcheck init``               adoption in one command;
- ``migcheck lint`` (baseline)    every day after adopting;
- ``migcheck lint --base main``   a pull request adding one revision.

Run: ``PYTHONPATH=src python benchmarks/adoption.py [N] [REPEATS]``. Prints the median wall time of
each (wall and CPU, in a subprocess, so interpreter start-up is included; the minimum CPU time too,
the steadiest figure on a shared machine), and the finding counts.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BODIES = [
    ('op.add_column("t{i}", sa.Column("c", sa.Text, nullable=True))', 'op.drop_column("t{i}", "c")'),
    ('op.create_index("ix_{i}", "t{i}", ["c"])', 'op.drop_index("ix_{i}", table_name="t{i}")'),
    ('op.create_table("t{i}", sa.Column("id", sa.Integer, primary_key=True))', 'op.drop_table("t{i}")'),
    ('op.execute("UPDATE t{i} SET c = lower(c)")', "pass"),
    ('op.alter_column("t{i}", "c", nullable=False)', 'op.alter_column("t{i}", "c", nullable=True)'),
    ('op.add_column("t{i}", sa.Column("d", sa.Integer, nullable=False))', 'op.drop_column("t{i}", "d")'),
]
GIT_ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.com", "GIT_CONFIG_GLOBAL": os.devnull}


def revision(i: int) -> str:
    up, down = BODIES[i % len(BODIES)]
    parent = f'"{i - 1:04d}"' if i > 1 else "None"
    return (f'"""revision {i}"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
            f'revision = "{i:04d}"\ndown_revision = {parent}\n\n\n'
            f"def upgrade():\n    {up.format(i=i)}\n\n\ndef downgrade():\n    {down.format(i=i)}\n")


def run(root: Path, *args: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall time and CPU time (user + system, migcheck and the git it runs) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "migcheck", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        versions = root / "migrations" / "versions"
        versions.mkdir(parents=True)
        (root / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
        (root / "migrations" / "env.py").write_text("# env\n")
        for i in range(1, count + 1):
            (versions / f"{i:04d}_rev.py").write_text(revision(i))
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "history")

        def timed(label: str, *args: str) -> subprocess.CompletedProcess[str]:
            walls, cpus = [], []
            proc = None
            for _ in range(repeats):
                wall, cpu, proc = run(root, *args)
                walls.append(wall)
                cpus.append(cpu)
            assert proc is not None
            extra = ""
            if "--format" in args:
                summary = json.loads(proc.stdout)["summary"]
                extra = (f"  findings={summary['findings']} linted={summary['linted_revisions']}/"
                         f"{summary['revisions']} exit={summary['exit_code']}")
            print(f"{label:<36} wall {statistics.median(walls) * 1000:6.0f} ms  "
                  f"cpu {statistics.median(cpus) * 1000:6.0f} ms (min {min(cpus) * 1000:4.0f}){extra}")
            return proc

        print(f"{count} revisions, median of {repeats} runs (python {sys.version.split()[0]})")
        timed("lint (whole history)", "lint", "--format", "json")
        wall, cpu, proc = run(root, "init")
        print(f"{'init (once)':<36} wall {wall * 1000:6.0f} ms  cpu {cpu * 1000:6.0f} ms  "
              f"exit={proc.returncode}")
        timed("lint after init (baseline = head)", "lint", "--format", "json")
        git(root, "checkout", "-q", "-b", "feature")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "adopt")
        (versions / f"{count + 1:04d}_rev.py").write_text(revision(count + 1))
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "new revision")
        timed("lint --base main (1 new revision)", "lint", "--base", "main", "--format", "json")


if __name__ == "__main__":
    main()
