"""The false-positive rate of a hand review: overall, weighted by each rule's size, and per rule.

    python scripts/review_rate.py docs/reviews/held-out-4.tsv
    python scripts/review_rate.py docs/reviews/held-out-*.tsv     # several reviews pooled
    python scripts/review_rate.py --default-rules docs/reviews/held-out-{14..22}.tsv
    python scripts/review_rate.py --default-rules --warnings-and-errors docs/reviews/held-out-24.tsv

The file is the review itself (one judged finding per line: n, rule, finding, verdict TP / FP /
DEBATABLE, reason, and how many findings the rule has in the corpus), so the figures in
docs/real-world.md can be recomputed from it. Weighted: each rule's sampled FP share applied to all
of that rule's findings, summed over rules, divided by all findings. Several files are pooled: their
samples added up, and each rule's findings summed over the files. ``--default-rules`` leaves out the rows of
the rules that are off by default (the "default rules" rows of the README), with a Wilson 95 % interval;
``--warnings-and-errors`` leaves out the rows of rules whose severity is info (read from migcheck's rule registry,
so run it with ``PYTHONPATH=src`` or migcheck installed).
"""

from __future__ import annotations

import argparse
import collections
import csv
import math
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reviews", nargs="+", type=Path, help="review TSV files (pooled when several)")
    parser.add_argument("--default-rules", action="store_true", help="leave out the rules off by default")
    parser.add_argument("--warnings-and-errors", action="store_true", help="leave out the rules of severity info")
    args = parser.parse_args()
    rows: list[dict[str, str]] = []
    verdicts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    size: collections.Counter[str] = collections.Counter()
    left_out = OFF_BY_DEFAULT if args.default_rules else frozenset()
    if args.warnings_and_errors:
        left_out |= _info_rules()
    for name in args.reviews:
        if not name.is_file():
            parser.error(f"no such review file: {name}")
        with name.open(encoding="utf-8", newline="") as handle:
            review = [row for row in csv.DictReader(handle, delimiter="\t") if row["rule"] not in left_out]
        rows += review
        for row in review:
            verdicts[row["rule"]][row["verdict"]] += 1
        size.update({row["rule"]: int(row["findings_of_rule"]) for row in review})
    total = collections.Counter(row["verdict"] for row in rows)
    all_findings = sum(size.values())
    weighted = sum(size[r] * c["FP"] / sum(c.values()) for r, c in verdicts.items())
    print(f"sampled {len(rows)} of {all_findings} findings in {len(size)} rules (rules with no finding left out)")
    print(f"TP {total['TP']}  FP {total['FP']}  debatable {total['DEBATABLE']}")
    low, high = _wilson(total["FP"], len(rows))
    print(f"FP rate, sample: {100 * total['FP'] / len(rows):.1f} % (Wilson 95 % {low:.1f}-{high:.1f} %)")
    print(f"FP rate, weighted by rule size: {100 * weighted / all_findings:.1f} %")
    print("\nrule                                       findings sampled  FP  debatable")
    for rule, c in sorted(verdicts.items(), key=lambda item: (-item[1]["FP"], -item[1]["DEBATABLE"], item[0])):
        print(f"{rule:<42} {size[rule]:>8} {sum(c.values()):>7} {c['FP']:>3} {c['DEBATABLE']:>10}")


#: The rules off by default since held-out-14 (``--extend-select`` brings them back).
OFF_BY_DEFAULT = frozenset({"rename-as-drop-and-add", "unsafe-sql-interpolation", "empty-migration"})


def _info_rules() -> frozenset[str]:
    """The rules whose findings are infos, from migcheck's registry (imported here only: the other modes need
    nothing but the files)."""
    from migcheck.rules.registry import Severity, all_rules

    return frozenset(rule.id for rule in all_rules() if rule.severity == Severity.INFO)


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of k in n, in percent."""
    p = k / n
    centre, spread = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - spread) / (1 + z * z / n), 100 * (centre + spread) / (1 + z * z / n)


if __name__ == "__main__":
    main()
