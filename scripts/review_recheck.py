"""Which judged findings of a hand review the current code still reports (rule, file and line).

    python scripts/review_recheck.py /path/to/held-out-20 docs/reviews/held-out-20.tsv held-out-20

Lints every project of the corpus as ``scripts/real_world.py`` does (the three rules off by default selected too),
then looks each row of the review up: a TP no longer reported, or an FP still reported, is printed; the last line
counts (verdict, still reported) pairs.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_world import CORPORA, SRC

EXTRA = "rename-as-drop-and-add,unsafe-sql-interpolation,empty-migration"


def reported(root: Path, corpus: str) -> set[tuple[str, str, int]]:
    found: set[tuple[str, str, int]] = set()
    for project, dialects in CORPORA[corpus].items():
        for dialect in dialects:
            run = subprocess.run(
                [sys.executable, "-m", "migcheck", "lint", str(root / project), "--format", "json", "--no-config",
                 "--dialect", dialect, "--fail-on", "never", "--extend-select", EXTRA],
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(SRC)}, check=False)
            for f in json.loads(run.stdout)["findings"]:
                path = Path(f["path"]) if Path(f["path"]).is_absolute() else Path.cwd() / f["path"]
                found.add((f["rule"], os.path.relpath(path.resolve(), root), f["line"]))
    return found


def main() -> None:
    root, review, corpus = Path(sys.argv[1]).resolve(), Path(sys.argv[2]), sys.argv[3]
    found = reported(root, corpus)
    counts: collections.Counter[tuple[str, bool]] = collections.Counter()
    with review.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path, line = row["finding"].rsplit(":", 1)
            still = (row["rule"], path, int(line)) in found
            counts[(row["verdict"], still)] += 1
            if (row["verdict"] == "TP") != still and row["verdict"] != "DEBATABLE":
                print(f"{'TP gone' if row['verdict'] == 'TP' else 'FP kept'}: #{row['n']} {row['rule']} {row['finding']}")
    print(dict(sorted(counts.items())))


if __name__ == "__main__":
    main()
