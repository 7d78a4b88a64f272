"""Measure ``migcheck lint`` against its peers on the same generated histories, in one run.

For each size (100, 1,000 and 10,000 revisions by default) the runner writes a
seeded Alembic project (``generate.py``) and times, each as a fresh process, each
tool run the way its users run it in CI, with a machine-readable report:

* ``migcheck lint PROJECT --format json`` (interpreter start and imports included):
  without a cache (``--no-cache``), with an empty cache, with a warm cache;
* the pre-commit case: ``migcheck lint HEAD_REVISION.py --format json``, one revision named alone
  in the history, its siblings from the warm cache: once unchanged (the cache holds it too), once just
  edited (the user's case: a new last line before every run, so it is parsed each time);
* migcheck on the history shapes that used to be super-linear (``--shapes``);
* the parse-only floor: read and ``ast.parse`` every revision file, nothing else;
* ``alembic upgrade base:head --sql`` (offline rendering) alone;
* ``squawk --reporter json`` on the whole rendered dump alone, and on the dump split
  into one file per revision (as a CI job that lints each migration's SQL file);
* the pipeline ``alembic upgrade base:head --sql | squawk --reporter json`` end to end;
* ``alembic-guard`` on the versions directory, as is.

Reported per command: median wall time, revisions per second, CPU time (user +
system, children included), and peak memory: the peak RSS of each process of
the command added up (the root process exactly, from ``wait4``; processes it
starts, such as migcheck's workers or the other half of the pipe, from their
``VmHWM``, sampled every 10 ms while they live). Then the ratio of each peer to
migcheck. A command that runs longer than ``--timeout`` is killed and reported
as "timed out after N s"; a run longer than ``--once-over`` seconds is not
repeated.

Peers are installed in their own virtualenv (``--setup`` makes it from
``benchmarks/requirements.txt``), never in migcheck's environment. Their
bytecode is compiled beforehand (revision files too), so alembic gets its best
case; migcheck's own package is compiled as an installed one would be.

    python benchmarks/run.py --setup                  # once: the peers' virtualenv
    python benchmarks/run.py                          # 100, 1,000, 10,000
    python benchmarks/run.py --sizes 1000 --no-peers  # migcheck only

The machine the README's figures come from is shared (2 CPUs, several people's jobs), so wall
times are noisy even interleaved: the CPU time column (user + system) is steadier, and the
ratios are printed for both.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))
from generate import SHAPES, generate  # noqa: E402

#: The floor: what any AST-based checker must do at least (read and parse every revision file).
PARSE_FLOOR = ("import ast, pathlib, sys\n"
               "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.py')):\n"
               "    ast.parse(p.read_bytes())\n")


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float
    exit_codes: list[int]
    timed_out: bool = False


@dataclass
class Result:
    tool: str
    size: int
    runs: list[Run] = field(default_factory=list)
    timeout: float = 0.0
    error: str | None = None
    #: How busy the machine's CPUs were (0..1) in the second before each run.
    busy_before: list[float] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        return any(r.timed_out for r in self.runs)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss(self) -> float:
        return max(r.rss_mib for r in self.runs)

    def ok(self) -> bool:
        return bool(self.runs) and not self.timed_out and self.error is None


class TreeMemory:
    """Peak RSS of the processes a command starts below its root, from /proc, while they live."""

    def __init__(self, roots: list[int], interval: float = 0.01) -> None:
        self.roots = roots
        self.interval = interval
        self.peaks: dict[int, int] = {}  # pid -> VmHWM in KiB
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for root in self.roots:
                for pid in _descendants(root):
                    hwm = _vm_hwm(pid)
                    if hwm > self.peaks.get(pid, 0):
                        self.peaks[pid] = hwm
            self._stop.wait(self.interval)

    def total_mib(self) -> float:
        return sum(self.peaks.values()) / 1024


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


class Idle:
    """Waits (up to a limit) until the machine is quiet, so other people's jobs do not time ours."""

    def __init__(self, threshold: float, limit: float) -> None:
        self.threshold = threshold
        self.limit = limit

    @staticmethod
    def busy(interval: float = 1.0) -> float:
        b0, t0 = _cpu_times()
        time.sleep(interval)
        b1, t1 = _cpu_times()
        return (b1 - b0) / max(1, t1 - t0)

    def wait(self) -> float:
        """The busy fraction seen last (0..1)."""
        deadline = time.monotonic() + self.limit
        while True:
            busy = self.busy()
            if busy <= self.threshold or time.monotonic() >= deadline:
                return busy


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    children = [int(c) for c in fh.read().split()]
            except OSError:
                continue
            out.extend(children)
            stack.extend(children)
    return out


def _vm_hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_once(commands: list[list[str]], env: dict[str, str], cwd: Path, timeout: float) -> Run:
    """Run ``commands`` as a pipeline (stdout of each into the next; the last one's output dropped)."""
    procs: list[subprocess.Popen[bytes]] = []
    start = time.perf_counter()
    stdin: int | IO[bytes] = subprocess.DEVNULL
    for index, command in enumerate(commands):
        last = index == len(commands) - 1
        proc = subprocess.Popen(
            command,
            stdin=stdin,
            stdout=subprocess.DEVNULL if last else subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, which a timeout kills with its children
        )
        if proc.stdout is not None:
            stdin = proc.stdout
        procs.append(proc)
    for proc in procs[:-1]:
        assert proc.stdout is not None
        proc.stdout.close()  # the next process holds the read end now

    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    cpu, peaks, codes = 0.0, 0.0, []
    with TreeMemory([p.pid for p in procs]) as tree:
        for proc in procs:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            codes.append(proc.returncode)
            cpu += usage.ru_utime + usage.ru_stime
            peaks += usage.ru_maxrss / 1024
    wall = time.perf_counter() - start
    timer.cancel()
    # wait4 gives each root exactly; processes they started (pool workers) come from the sampler
    return Run(wall=wall, cpu=cpu, rss_mib=peaks + tree.total_mib(), exit_codes=codes,
               timed_out=timed_out.is_set())


@dataclass
class Job:
    """One command to time: a pipeline, its environment, and what to do before each run."""

    tool: str
    commands: list[list[str]]
    env: dict[str, str]
    prepare: Callable[[], None] | None = None


def _edited_pre_commit(project: Path, size: int, tag: str, suffix: str, env: dict[str, str], migcheck: list[str],
                       extra: str) -> Job:
    """The user's pre-commit case: the revision just edited is named, so the cache cannot hold it. On a copy of
    the history with its own warm cache (the other jobs keep theirs); before each run the newest revision (SQL in
    an ``op.execute``, as in 18 % of the generated revisions) gets a new last line, so every run parses it."""
    copy = WORK / f"history-{size}-edited"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(project, copy)
    cached = dict(env, MIGCHECK_CACHE_DIR=str(WORK / f"cache-{size}{tag}-edited"))
    shutil.rmtree(cached["MIGCHECK_CACHE_DIR"], ignore_errors=True)
    subprocess.run([*migcheck, "lint", str(copy), "--format", "json", *shlex.split(extra)], env=cached, cwd=copy,
                   stdout=subprocess.DEVNULL, check=False)
    head = sorted((copy / "migrations" / "versions").glob("*.py"))[-1]
    original = head.read_text(encoding="utf-8")
    edits = itertools.count(1)

    def edit() -> None:
        head.write_text(f"{original}# edit {next(edits)}\n", encoding="utf-8")

    one = [*migcheck, "lint", str(head), "--format", "json", *shlex.split(extra)]
    return Job(f"migcheck, pre-commit, 1 revision named, just edited{suffix}", [one], cached, prepare=edit)


def measure(jobs: list[Job], size: int, cwd: Path, repeat: int, timeout: float, once_over: float,
            idle: Idle) -> list[Result]:
    """Round after round, one run of each job: a slow spell of the machine falls on all of them alike."""
    results = [Result(tool=job.tool, size=size, timeout=timeout) for job in jobs]
    for _ in range(repeat):
        for job, result in zip(jobs, results, strict=True):
            done = result.timed_out or result.error is not None or any(r.wall > once_over for r in result.runs)
            if done:
                continue
            if job.prepare is not None:
                job.prepare()
            result.busy_before.append(idle.wait())
            run = run_once(job.commands, job.env, cwd, timeout)
            result.runs.append(run)
            bad = [c for c in run.exit_codes if c not in (0, 1)]
            if bad and not run.timed_out:
                result.error = f"exit {bad[0]}"
    return results


def version_of(command: list[str], env: dict[str, str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "?"


def setup_peers(venv: Path) -> None:
    """Make the peers' virtualenv from requirements.txt (separate from migcheck's dependencies)."""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                    str(HERE / "requirements.txt")], check=True)


def cell(result: Result | None) -> str:
    if result is None:
        return "-"
    if result.timed_out:
        return f"timed out after {result.timeout:.0f} s"
    if result.error:
        return f"failed ({result.error})"
    return f"{result.wall:.2f} s"


def row_detail(result: Result) -> str:
    if not result.ok():
        return cell(result)
    return (f"{cell(result)} | {result.size / result.wall:,.0f} | {result.cpu:.2f} s | {result.rss:.0f} MiB"
            f" | {len(result.runs)}")


def ratio(peer: Result | None, base: Result | None, cpu: bool = False) -> str:
    """How many times longer ``peer`` took than ``base`` (wall time, or CPU time)."""
    if peer is None or base is None or not base.ok():
        return "-"
    if peer.timed_out:
        return f"> {peer.timeout / base.wall:.0f}x"
    if not peer.ok():
        return "-"
    factor = peer.cpu / base.cpu if cpu else peer.wall / base.wall
    return f"{factor:.1f}x" if factor >= 1 else f"{factor:.2f}x"


def split_dump(sql: Path, target: Path) -> list[Path]:
    """The rendered dump as one file per revision (at alembic's ``-- Running upgrade`` comments)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    parts: list[list[str]] = [[]]
    for line in sql.read_text().splitlines(keepends=True):
        if line.startswith("-- Running upgrade") and parts[-1]:
            parts.append([])
        parts[-1].append(line)
    files = []
    for number, part in enumerate(parts):
        path = target / f"{number:05d}.sql"
        path.write_text("".join(part))
        files.append(path)
    return files


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=5, help="Runs of each command (median reported).")
    parser.add_argument("--timeout", type=float, default=300, help="Seconds before one run is killed.")
    parser.add_argument("--once-over", type=float, default=20,
                        help="A run longer than this many seconds is not repeated.")
    parser.add_argument("--no-peers", action="store_true", help="Measure migcheck only.")
    parser.add_argument("--setup", action="store_true", help="Create/update the peers' virtualenv first.")
    parser.add_argument("--peers-venv", type=Path, default=WORK / "peers")
    parser.add_argument("--migcheck-src", type=Path, default=REPO / "src",
                        help="Directory put first on PYTHONPATH for migcheck (default: this checkout's src).")
    parser.add_argument("--baseline-src", type=Path,
                        help="Also time every variant with the migcheck in this src directory (e.g. an older commit, "
                        "exported with `git archive COMMIT src | tar -x -C DIR`), as rows ending in \", baseline\", "
                        "interleaved with the others.")
    parser.add_argument("--migcheck-args", default="", help="Extra arguments for `migcheck lint`.")
    parser.add_argument("--variants", default="no-cache,empty-cache,warm-cache",
                        help="migcheck runs to measure, comma-separated: plain (no extra option, for versions "
                        "without a cache), no-cache, empty-cache (a new cache each run), warm-cache (primed).")
    parser.add_argument("--idle", type=float, default=0.15, metavar="FRACTION",
                        help="Before each run, wait until at most this fraction of the CPUs was busy in the last "
                        "second (other people's jobs), for up to --idle-wait seconds.")
    parser.add_argument("--idle-wait", type=float, default=60)
    parser.add_argument("--python", default=sys.executable, help="Interpreter that runs migcheck.")
    parser.add_argument("--json", type=Path, help="Also write every run as JSON here.")
    parser.add_argument("--shapes", default=",".join(SHAPES[1:]),
                        help="History shapes (generate.py --shape) to time migcheck --no-cache on besides the plain "
                        "one, comma-separated; empty for none.")
    parser.add_argument("--no-floor", action="store_true", help="Do not time the parse-only floor.")
    args = parser.parse_args()

    if args.setup:
        setup_peers(args.peers_venv)
    peer_bin = args.peers_venv / "bin"
    peers = not args.no_peers
    if peers and not (peer_bin / "squawk").exists():
        raise SystemExit(f"peers not installed in {args.peers_venv}: run with --setup (or --no-peers)")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    mc_env = dict(env, PYTHONPATH=str(args.migcheck_src.resolve()))
    # bytecode as an installed package has it
    subprocess.run([args.python, "-m", "compileall", "-q", str(args.migcheck_src / "migcheck")], check=True,
                   env=mc_env)
    migcheck = [args.python, "-m", "migcheck"]
    baseline_env = dict(env)
    if args.baseline_src:
        baseline_env["PYTHONPATH"] = str(args.baseline_src.resolve())
        subprocess.run([args.python, "-m", "compileall", "-q", str(args.baseline_src / "migcheck")], check=True,
                       env=baseline_env)

    for label, check_env in (("migcheck", mc_env), ("the baseline", baseline_env if args.baseline_src else None)):
        if check_env is None:
            continue
        probe = subprocess.run([*migcheck, "--version"], capture_output=True, text=True, env=check_env, check=False)
        if probe.returncode != 0:  # a migcheck that cannot start exits 1 with a traceback, like a run with findings
            lines = (probe.stderr or probe.stdout).strip().splitlines()
            raise SystemExit(f"{label} does not start with {args.python}: {lines[-1] if lines else probe.returncode}")
    versions = {"migcheck": version_of([*migcheck, "--version"], mc_env),
                "python": version_of([args.python, "--version"], mc_env)}
    if peers:
        versions.update({
            "alembic": version_of([str(peer_bin / "alembic"), "--version"], env),
            "squawk": version_of([str(peer_bin / "squawk"), "--version"], env),
            "alembic-guard": version_of([str(peer_bin / "alembic-guard"), "--version"], env),
        })
    print(f"{machine()}; load average at start {os.getloadavg()[0]:.2f}")
    print("; ".join(f"{k} {v.split()[-1]}" for k, v in versions.items()))
    print(f"median of up to {args.repeat} cold runs; runs over {args.once_over:.0f} s are not repeated;"
          f" timeout {args.timeout:.0f} s\n")

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    if set(shapes) - set(SHAPES):
        raise SystemExit(f"unknown shape(s): {', '.join(sorted(set(shapes) - set(SHAPES)))}")
    unknown = set(variants) - {"plain", "no-cache", "empty-cache", "warm-cache", "pre-commit"}
    if unknown:
        raise SystemExit(f"unknown variant(s): {', '.join(sorted(unknown))}")
    idle = Idle(args.idle, args.idle_wait)
    results: list[Result] = []
    for size in args.sizes:
        project = generate(size, WORK / f"history-{size}")
        versions_dir = project / "migrations" / "versions"
        # a report every tool's users would read in CI: JSON (compact by default), as squawk --reporter json
        lint = [*migcheck, "lint", str(project), "--format", "json", *shlex.split(args.migcheck_args)]
        jobs: list[Job] = []
        # each variant for the code measured and, with --baseline-src, for the baseline (its own caches)
        builds = [("", "", mc_env)] + ([(", baseline", "-baseline", baseline_env)] if args.baseline_src else [])
        for suffix, tag, build_env in builds:
            cache_dir = WORK / f"cache-{size}{tag}"
            cached_env = dict(build_env, MIGCHECK_CACHE_DIR=str(cache_dir))
            for variant in variants:
                if variant == "plain":
                    jobs.append(Job(f"migcheck{suffix}", [lint], build_env))
                elif variant == "no-cache":
                    jobs.append(Job(f"migcheck --no-cache{suffix}", [[*lint, "--no-cache"]], build_env))
                elif variant == "empty-cache":
                    # its own directory, emptied before each run
                    empty_dir = WORK / f"cache-empty-{size}{tag}"
                    jobs.append(Job(f"migcheck, empty cache{suffix}", [lint],
                                    dict(build_env, MIGCHECK_CACHE_DIR=str(empty_dir)),
                                    prepare=partial(shutil.rmtree, empty_dir, ignore_errors=True)))
                elif variant == "warm-cache":
                    shutil.rmtree(cache_dir, ignore_errors=True)
                    subprocess.run(lint, env=cached_env, cwd=project, stdout=subprocess.DEVNULL, check=False)
                    jobs.append(Job(f"migcheck, warm cache{suffix}", [lint], cached_env))
                elif variant == "pre-commit":
                    # the newest revision, named alone as pre-commit does; its siblings from the warm cache
                    head = sorted(versions_dir.glob("*.py"))[-1]
                    one = [*migcheck, "lint", str(head), "--format", "json", *shlex.split(args.migcheck_args)]
                    subprocess.run(lint, env=cached_env, cwd=project, stdout=subprocess.DEVNULL, check=False)
                    jobs.append(Job(f"migcheck, pre-commit, 1 revision named, unchanged{suffix}", [one], cached_env))
                    jobs.append(_edited_pre_commit(project, size, tag, suffix, build_env, migcheck, args.migcheck_args))
        for shape in shapes:
            if shape == "plain":
                continue
            shaped = generate(size, WORK / f"history-{size}-{shape}", shape=shape)
            jobs.append(Job(f"migcheck --no-cache, {shape} history",
                            [[*migcheck, "lint", str(shaped), "--format", "json", "--no-cache",
                              *shlex.split(args.migcheck_args)]], mc_env))
        if not args.no_floor:
            jobs.append(Job("parse-only floor (read + ast.parse)", [[args.python, "-c", PARSE_FLOOR,
                                                                     str(versions_dir)]], mc_env))
        if peers:
            python = str(peer_bin / "python")
            subprocess.run([python, "-m", "compileall", "-q", str(versions_dir)], check=True, env=env)
            render = [str(peer_bin / "alembic"), "-c", str(project / "alembic.ini"), "upgrade", "base:head",
                      "--sql"]
            sql = project / "upgrade.sql"
            with sql.open("wb") as out:
                subprocess.run(render, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=project, check=True)
            # --reporter json: how CI runs squawk (its default terminal reporter is far slower on many findings)
            squawk = [str(peer_bin / "squawk"), "--pg-version", "15.0", "--reporter", "json"]
            per_revision = split_dump(sql, project / "upgrade-per-revision")
            jobs += [
                Job("alembic render", [render], env),
                Job("squawk --reporter json, whole dump", [[*squawk, str(sql)]], env),
                Job("squawk --reporter json, per revision", [[*squawk, *map(str, per_revision)]], env),
                Job("render | squawk --reporter json", [render, squawk], env),
                Job("alembic-guard", [[str(peer_bin / "alembic-guard"), str(versions_dir)]], env),
            ]
        results += measure(jobs, size, project, args.repeat, args.timeout, args.once_over, idle)
        print(f"size {size:,} done; load average {os.getloadavg()[0]:.2f}", file=sys.stderr)

    by = {(r.tool, r.size): r for r in results}
    print("| revisions | command | wall time (median) | revisions/s | CPU time | peak memory | runs |"
          " machine busy before |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        busy = f"{100 * max(r.busy_before):.0f}%" if r.busy_before else "-"
        print(f"| {r.size:,} | {r.tool.replace('|', chr(92) + '|')} | {row_detail(r)} | {busy} |")
    base_tool = next((t for t in ("migcheck --no-cache", "migcheck") if (t, args.sizes[0]) in by),
                     results[0].tool)
    others = [t for t in dict.fromkeys(r.tool for r in results) if t != base_tool]
    for cpu in (False, True):
        what = "CPU time (user + system)" if cpu else "wall time"
        print(f"\nHow many times longer than `{base_tool}` (median {what}; below 1: faster than migcheck):\n")
        print("| revisions | " + " | ".join(t.replace("|", chr(92) + "|") for t in others) + " |")
        print("|---:|" + "---:|" * len(others))
        for size in args.sizes:
            base = by.get((base_tool, size))
            print(f"| {size:,} | " + " | ".join(ratio(by.get((t, size)), base, cpu) for t in others) + " |")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "versions": versions,
                                         "results": [asdict(r) for r in results]}, indent=2))


if __name__ == "__main__":
    main()
