"""How table sizes change the findings on a real history: lint it without and with a snapshot.

    python scripts/table_stats_review.py PROJECT_DIR [--dialect postgresql] [--seed 20261205]

The snapshot is built from the project's own schema as its migration history leaves it at the
heads (CREATE/RENAME/DROP TABLE replayed by migcheck's reader), with a generated, seeded size per
table: 40 % small (10 to 5,000 rows), 30 % medium (20,000 to 900,000), 30 % large (1 M to 50 M),
150 bytes per row. It prints every finding whose severity or message the snapshot changed, with
the table and its generated size, for a reader to judge by hand: is the table the one the
statement works on, is the rule's cost really size-dependent, does the new severity fit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))


def tables_at_heads(project: Path, dialect: str) -> list[str]:
    from migcheck.sources.discovery import discover
    from migcheck.sources.parallel import load_python_files
    from migcheck.vocabulary.changes import CreateTable, DropTable, RenameTable
    from migcheck.vocabulary.graph import RevisionGraph
    from migcheck.vocabulary.settings import Settings

    sources = discover([project])
    migrations, _errors = load_python_files(sources.python, dialect, 1, False)
    tables: set[str] = set()
    for migration in RevisionGraph.build(migrations).upgrade_order():
        for change in migration.upgrade_changes:
            if isinstance(change, CreateTable):
                tables.add(change.table)
            elif isinstance(change, RenameTable):
                tables.discard(change.table)
                tables.add(change.new_name)
            elif isinstance(change, DropTable):
                tables.discard(change.table)
    del Settings
    return sorted(tables)


def snapshot(tables: list[str], seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    rows = []
    for name in tables:
        kind = rng.random()
        if kind < 0.4:
            count = rng.randint(10, 5_000)
        elif kind < 0.7:
            count = rng.randint(20_000, 900_000)
        else:
            count = rng.randint(1_000_000, 50_000_000)
        rows.append({"schema": None, "name": name, "rows": count, "table_bytes": count * 150,
                     "index_bytes": count * 40})
    return {"migcheck_table_stats": 1, "taken_at": datetime.now(timezone.utc).isoformat(),
            "server": "generated", "dialect": "postgresql", "default_schema": None, "alembic_heads": None,
            "tables": rows}


def lint(project: Path, dialect: str, *extra: str) -> list[dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", str(project), "--format", "json", "--no-config",
         "--dialect", dialect, "--fail-on", "never", "--no-cache", *extra],
        capture_output=True, text=True, env=env, check=False)
    if run.returncode not in (0, 1):
        sys.exit(run.stderr)
    return list(json.loads(run.stdout)["findings"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--dialect", default="postgresql")
    parser.add_argument("--seed", type=int, default=20261205)
    args = parser.parse_args()
    tables = tables_at_heads(args.project, args.dialect)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stats.json"
        path.write_text(json.dumps(snapshot(tables, args.seed)), encoding="utf-8")
        before = lint(args.project, args.dialect)
        after = lint(args.project, args.dialect, "--table-stats", str(path))
    assert len(before) == len(after), "a snapshot must never add or remove findings"
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b["message"] != a["message"]]
    print(f"{args.project.name}: {len(tables)} tables at the heads, {len(before)} findings, "
          f"{len(changed)} annotated, {sum(1 for b, a in changed if b['severity'] != a['severity'])} "
          "changed severity")
    for b, a in changed:
        size = a["message"].rsplit(" [", 1)[-1].rstrip("]")
        print(f"- {a['path']}:{a['line']} {a['rule']} {b['severity']} -> {a['severity']}: {size}")


if __name__ == "__main__":
    main()
