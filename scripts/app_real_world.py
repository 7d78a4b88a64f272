"""Re-measure the application-reader section of docs/real-world.md: replay a project's history as
pull requests and count how migcheck judged every drop, rename and model drift.

For every commit that added a revision file (``git log --diff-filter=A -- VERSIONS``), the clone is
checked out at that commit and linted in pull-request mode against its first parent:

    python scripts/app_real_world.py /path/to/clone VERSIONS_DIR [--project-dir DIR]

The clone is yours (``git clone``; a sparse checkout of the migration and model folders is
enough); it is checked out commit by commit (detached HEAD) and left at the last one. Nothing of it
is copied here. Prints one line per finding of the rules below, then the counts.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from pathlib import Path

RULES = ["drop-column", "drop-table", "rename-column", "rename-table", "still-mapped-at-head",
         "still-mapped-on-base", "not-null-breaks-running-inserts", "type-differs-on-base",
         "rename-as-drop-and-add", "model-not-in-migrations", "model-differs-from-migrations",
         "models-not-readable"]
SRC = Path(__file__).resolve().parent.parent / "src"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clone", type=Path)
    parser.add_argument("versions", help="the versions folder, relative to the clone")
    parser.add_argument("--project-dir", default=".", help="what to lint, relative to the clone")
    parser.add_argument("--dialect", default="postgresql")
    parser.add_argument("--last", type=int, default=0, help="only the last N such commits")
    args = parser.parse_args()
    clone = args.clone.resolve()
    commits = git(clone, "log", "--reverse", "--diff-filter=A", "--format=%H %P", "--", args.versions).splitlines()
    if args.last:
        commits = commits[-args.last:]
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    env = {**os.environ, "PYTHONPATH": str(SRC), "MIGCHECK_CACHE_DIR": str(clone / ".." / "migcheck-cache")}
    for line in commits:
        commit, *parents = line.split()
        if not parents:
            continue
        git(clone, "checkout", "-q", "--detach", commit)
        run = subprocess.run(
            [sys.executable, "-m", "migcheck", "lint", str(clone / args.project_dir), "--base", parents[0],
             "--format", "json", "--fail-on", "never", "--dialect", args.dialect, "--select", ",".join(RULES)],
            cwd=clone, capture_output=True, text=True, env=env)
        if run.returncode != 0:
            print(f"{commit[:10]} lint failed: {run.stderr.strip().splitlines()[-1:]}")
            counts[("(failed)", "")] += 1
            continue
        for finding in json.loads(run.stdout)["findings"]:
            counts[(finding["rule"], finding["severity"])] += 1
            print(f"{commit[:10]} {finding['rule']} {finding['severity']} {finding['path']}:{finding['line']} "
                  f"{finding['message'][:300]}")
    print(f"\n{len(commits)} commits adding revisions")
    for (rule, severity), n in sorted(counts.items()):
        print(f"{rule:35} {severity:8} {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
