"""Record what ``migcheck lint`` prints on every fixture and on a generated history.

For refactors that must not change behaviour: run it before and after, then compare the two files
(``cmp`` or ``diff``). Each case is linted twice in a subprocess, exactly as a user runs the CLI,
with the default rules and with every rule selected, in every case with ``--no-cache --jobs 1`` so
that nothing earlier runs left behind can mask a difference. Exit code, standard output (the JSON
report) and standard error are recorded per case.

    python scripts/output_snapshot.py -o /tmp/before.json
    ... change the code ...
    python scripts/output_snapshot.py -o /tmp/after.json && cmp /tmp/before.json /tmp/after.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def cases() -> list[Path]:
    """Every fixture folder and file one or two levels under a fixture group, and the groups."""
    found: set[Path] = set()
    for path in FIXTURES.rglob("*"):
        depth = len(path.relative_to(FIXTURES).parts)
        if depth > 3 or any(part.startswith((".", "__pycache__")) for part in path.parts):
            continue
        if path.is_dir() or path.suffix in {".py", ".sql"}:
            found.add(path)
    return sorted(found)


def all_rules() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "migcheck", "rules", "--format", "json"], capture_output=True, text=True, check=True
    )
    return ",".join(sorted(rule["id"] for rule in json.loads(out.stdout)))


def run(target: Path, extra: list[str]) -> dict[str, object]:
    cmd = [sys.executable, "-m", "migcheck", "lint", str(target), "--format", "json", "--fail-on", "info"]
    cmd += ["--no-cache", "--jobs", "1", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"})
    return {"exit": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--revisions", type=int, default=1000, help="size of the generated history")
    args = parser.parse_args()
    select = ["--select", all_rules()]
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / f"history-{args.revisions}"
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(args.revisions), str(history)], check=True
        )
        jobs: list[tuple[str, Path, list[str]]] = []
        for case in cases():
            name = str(case.relative_to(ROOT))
            jobs += [(f"{name} [default]", case, []), (f"{name} [all]", case, select)]
        jobs += [(f"history-{args.revisions} [default]", history, []), (f"history-{args.revisions} [all]", history, select)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            results = list(pool.map(lambda job: run(job[1], job[2]), jobs))
        record = {name: result for (name, _, _), result in zip(jobs, results, strict=True)}
        text = json.dumps(record, indent=1, sort_keys=True).replace(tmp, "<tmp>")
    args.output.write_text(text + "\n", encoding="utf-8")
    print(f"{len(jobs)} runs written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
