"""Where `migcheck verify --db-url` spends its CPU: the same run with parts switched off, interleaved.

    PYTHONPATH=src python benchmarks/verify_parts.py [--revisions 100] [--repeat 5]

On the benchmark's generated history (verify_vs_pytest_alembic.py) and an embedded
PostgreSQL that is already running, each round runs, in a fresh process each:

- ``full``: verify as users run it;
- ``no-snapshots``: every schema snapshot returns an empty schema (no catalog query);
- ``no-locks``: the first upgrade of each revision is not watched (no lock readings);
- ``neither``: both switched off: what is left is start-up, the 300 Alembic steps, the
  scratch database and the report;
- ``start-up``: verify of an empty folder (interpreter, imports, discovery; no server);
- ``create+drop``: CREATE DATABASE and DROP DATABASE of an empty database, as verify's
  scratch database (client: this script's own connection, not counted).

CPU is the client's user + system time (the process) plus the server's (the postmaster's
exited backends, from /proc), median of --repeat rounds. A part's cost is the difference
from ``full``; with a shared machine the differences are rough (about +-0.1 s).
Nothing here is a test: the numbers go into docs/verify.md#speed by hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from verify_vs_pytest_alembic import ROOT, _children_cpu, make_history, server_cpu  # noqa: E402

#: Run in the child: switch parts off, then the command line as users run it.
CHILD = """\
import sys
from migcheck.live import state, steps
parts = sys.argv[1].split(",")
if "no-snapshots" in parts:
    state.CycleState.snapshot = lambda self: {}
if "no-locks" in parts:
    steps.Cycle.upgrade_watched = lambda self, migration, report: self.timed(migration, True)
sys.argv = ["migcheck", *sys.argv[2:]]
from migcheck.cli import main
main()
"""


def timed(parts: str, args: list[str], url: object) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server0, cpu0 = server_cpu(url), _children_cpu()
    done = subprocess.run([sys.executable, "-c", CHILD, parts, *args], env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"verify failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return _children_cpu() - cpu0, server_cpu(url) - server0


def create_drop(url: object) -> tuple[float, float]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)  # type: ignore[arg-type]
    server0 = server_cpu(url)
    with admin.connect() as conn:
        conn.exec_driver_sql('CREATE DATABASE "migcheck_parts"')
        conn.exec_driver_sql('DROP DATABASE "migcheck_parts"')
    admin.dispose()
    return 0.0, server_cpu(url) - server0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from migcheck.live.provision import embedded_server

    rows = ["full", "no-snapshots", "no-locks", "neither", "start-up", "create+drop"]
    runs: dict[str, list[tuple[float, float]]] = {row: [] for row in rows}
    with tempfile.TemporaryDirectory(prefix="migcheck-parts-") as tmp:
        project = make_history(Path(tmp) / "project", args.revisions)
        empty = Path(tmp) / "empty"
        empty.mkdir()
        with embedded_server() as url:
            db_url = url.render_as_string(hide_password=False)
            verify = ["verify", str(project), "--db-url", db_url, "-q"]
            kinds = {
                "full": lambda: timed("", verify, url),
                "no-snapshots": lambda: timed("no-snapshots", verify, url),
                "no-locks": lambda: timed("no-locks", verify, url),
                "neither": lambda: timed("no-snapshots,no-locks", verify, url),
                "start-up": lambda: timed("", ["verify", str(empty), "--db-url", db_url, "-q"], url),
                "create+drop": lambda: create_drop(url),
            }
            for i in range(args.repeat):  # interleaved, the order rotating
                for kind in rows[i % len(rows):] + rows[:i % len(rows)]:
                    runs[kind].append(kinds[kind]())
    load = os.getloadavg()
    print(f"history: {args.revisions} revisions, median of {args.repeat} interleaved rounds, "
          f"{os.cpu_count()} CPUs, load average now {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"{'CPU seconds':14} {'total':>7} {'client':>7} {'server':>7}")
    for kind in rows:
        client = statistics.median(c for c, _ in runs[kind])
        server = statistics.median(s for _, s in runs[kind])
        total = statistics.median(c + s for c, s in runs[kind])
        print(f"{kind:14} {total:7.2f} {client:7.2f} {server:7.2f}")


if __name__ == "__main__":
    main()
