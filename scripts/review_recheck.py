"""Which judged findings of a hand review the current code still reports (rule, file and line).

    python scripts/review_recheck.py /path/to/held-out-20 docs/reviews/held-out-20.tsv held-out-20
    python scripts/review_recheck.py ROOT docs/reviews/held-out-22.tsv held-out-22 --sample real_world_output.txt

Lints every project of the corpus as ``scripts/real_world.py`` does (the three rules off by default selected too),
then looks each row of the review up: a TP no longer reported, or an FP still reported, is printed; the last line
counts (verdict, still reported) pairs. A row with a ``dialect`` (held-out-22 on), or
any row given ``--sample`` (the output of ``scripts/real_world.py --review`` the review judged, entries ``#n rule
[dialect] path:line``), counts as reported only in the dialect it was judged in: a project linted for two dialects
can keep a finding in one and lose it in the other.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_world import CORPORA, SRC

EXTRA = "rename-as-drop-and-add,unsafe-sql-interpolation,empty-migration"


def reported(root: Path, corpus: str) -> set[tuple[str, str, int, str]]:
    found: set[tuple[str, str, int, str]] = set()
    for project, dialects in CORPORA[corpus].items():
        for dialect in dialects:
            run = subprocess.run(
                [sys.executable, "-m", "migcheck", "lint", str(root / project), "--format", "json", "--no-config",
                 "--dialect", dialect, "--fail-on", "never", "--extend-select", EXTRA],
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(SRC)}, check=False)
            for f in json.loads(run.stdout)["findings"]:
                path = Path(f["path"]) if Path(f["path"]).is_absolute() else Path.cwd() / f["path"]
                found.add((f["rule"], os.path.relpath(path.resolve(), root), f["line"], dialect))
    return found


def main() -> None:
    args = sys.argv[1:]
    judged_in: dict[str, str] = {}
    if "--sample" in args:
        at = args.index("--sample")
        sample = Path(args[at + 1]).read_text(encoding="utf-8")
        judged_in = dict(re.findall(r"^#(\d+) \S+ \[(\w+)\] ", sample, re.M))
        del args[at:at + 2]
    root, review, corpus = Path(args[0]).resolve(), Path(args[1]), args[2]
    found = reported(root, corpus)
    anywhere = {(rule, path, line) for rule, path, line, _ in found}
    counts: collections.Counter[tuple[str, bool]] = collections.Counter()
    with review.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path, line = row["finding"].rsplit(":", 1)
            dialect = row.get("dialect") or judged_in.get(row["n"])
            still = ((row["rule"], path, int(line), dialect) in found if dialect
                     else (row["rule"], path, int(line)) in anywhere)
            counts[(row["verdict"], still)] += 1
            if (row["verdict"] == "TP") != still and row["verdict"] != "DEBATABLE":
                print(f"{'TP gone' if row['verdict'] == 'TP' else 'FP kept'}: #{row['n']} {row['rule']} {row['finding']}")
    print(dict(sorted(counts.items())))


if __name__ == "__main__":
    main()
