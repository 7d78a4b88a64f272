"""Measure ``migcheck lint`` as a cold process on generated histories.

For each size: wall time (median of several runs, each a fresh process, so
imports are counted), revisions per second, and peak memory (max RSS of the
child). Results are printed as a markdown table for the README.

    python benchmarks/lint_speed.py --sizes 100 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

WORK = Path(__file__).resolve().parent / ".work"


def run_once(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one cold child process."""
    start = time.perf_counter()
    pid = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"command failed: {' '.join(command)}")
    return wall, usage.ru_maxrss / 1024


def measure(command: list[str], repeat: int) -> tuple[float, float]:
    runs = [run_once(command) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), max(m for _, m in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.repeat} cold runs\n")
    print("| revisions | wall time | revisions/s | peak memory |")
    print("|---:|---:|---:|---:|")
    for size in args.sizes:
        project = generate(size, WORK / f"history-{size}")
        wall, rss = measure([sys.executable, "-m", "migcheck", "lint", str(project), "--quiet"], args.repeat)
        print(f"| {size:,} | {wall:.2f} s | {size / wall:,.0f} | {rss:.0f} MiB |")


if __name__ == "__main__":
    main()
