"""A stranger's revision cannot make lint run for hours: helper calls and loops are unrolled up to a budget of calls
and one of the work they do again, helpers are followed MAX_DEPTH deep, a function is read up to MAX_STEPS steps (what
is left is reported, never dropped silently), and the rules that compare a function's steps with each other walk only
the steps that can matter."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, run_cli
from migcheck.extract.limits import MAX_DEPTH, MAX_STEPS, WORK_BUDGET
from migcheck.rules import emptied, enums
from migcheck.rules.lookback import columns as lookback_columns
from migcheck.sources.load import load_python


def _revision(directory: Path, body: list[str], down: list[str] | None = None, helpers: str = "") -> Path:
    versions = directory / "versions"
    versions.mkdir(parents=True)
    lines = "\n".join(f"    {line}" for line in body)
    downs = "\n".join(f"    {line}" for line in down) if down else "    pass"
    (versions / "a1.py").write_text(
        f'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "a1"\ndown_revision = None\n{helpers}\n\n'
        f"def upgrade():\n{lines}\n\n\ndef downgrade():\n{downs}\n")
    return versions


def test_helpers_nested_four_deep_are_followed_up_to_a_budget(tmp_path: Path) -> None:
    """Forty lines: four levels of helpers, each calling the next 40 times, asked for 2.5 million inlined calls;
    lint ran for hours. Now it stops at the budget, says where, and ends in seconds."""
    helpers = textwrap.dedent('''

        def h4():
            op.add_column("t", sa.Column("c", sa.Integer))
        ''')
    for inner, outer in (("h4", "h3"), ("h3", "h2"), ("h2", "h1")):
        helpers += f"\n\ndef {outer}():\n" + "".join(f"    {inner}()\n" for _ in range(40))
    versions = _revision(tmp_path, [f"h1()  # {i}" for i in range(40)], helpers=helpers)
    run = subprocess.run([sys.executable, "-m", "migcheck", "lint", str(versions), "--no-config", "--format", "json"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1, run.stderr  # fails closed: nothing past the budget was checked
    unread = [f for f in json.loads(run.stdout)["findings"] if f["rule"] == "invalid-migration-file"]
    assert len(unread) == 1
    assert "helper calls and loop passes per function" in unread[0]["message"]


def test_a_function_of_more_than_max_steps_is_read_up_to_it_and_says_so(tmp_path: Path) -> None:
    body = [f'op.add_column("t", sa.Column("c{i}", sa.Integer))' for i in range(MAX_STEPS + 500)]
    versions = _revision(tmp_path, body)
    run = run_cli("lint", versions, "--no-config", "--format", "json", "--fail-on", "never",
                  "--select", "invalid-migration-file,raw-sql-not-understood")
    found = run.json()["findings"]
    assert [(f["rule"], f["line"], f["severity"]) for f in found] == [("invalid-migration-file", 9 + MAX_STEPS, "error")]
    assert f"reads {MAX_STEPS:,} steps per function, and this one has {MAX_STEPS + 500:,}" in found[0]["message"]


def test_an_offline_sql_section_is_capped_too(tmp_path: Path) -> None:
    sql = tmp_path / "upgrade.sql"
    statements = "".join(f"ALTER TABLE t ADD COLUMN c{i} integer;\n" for i in range(MAX_STEPS + 10))
    sql.write_text(f"BEGIN;\n\n-- Running upgrade  -> a1\n\n{statements}\nCOMMIT;\n")
    run = run_cli("lint", sql, "--no-config", "--format", "json", "--fail-on", "never", "--select",
                  "invalid-migration-file,raw-sql-not-understood")
    assert [f["rule"] for f in run.json()["findings"]] == ["invalid-migration-file"]


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: Counter[str]) -> None:
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)


@pytest.mark.parametrize(("shape", "counted"), [
    ('op.add_column("t", sa.Column("c{i}", sa.Integer))', (emptied, "_may_write")),
    ('op.alter_column("t", "c{i}", new_column_name="d{i}")', (lookback_columns, "_column_step")),
    ('op.alter_column("t", "c{i}", type_=sa.BigInteger())', (lookback_columns, "_column_step")),
    ("op.execute(\"ALTER TYPE mood ADD VALUE 'v{i}'\")", (enums, "_uses")),
])
def test_steps_of_one_function_are_not_compared_pairwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          shape: str, counted: tuple[Any, str]) -> None:
    """A revision of 1,500 such steps: emptied_before walked back over every earlier step for each ADD COLUMN, a
    column's history walked every step of the revision, each ADD VALUE looked at every later step: a million
    steps looked at, about a minute. Now each question looks at the steps that can answer it."""
    size = 1500
    versions = _revision(tmp_path, [shape.format(i=i) for i in range(size)])
    calls: Counter[str] = Counter()
    _counting(monkeypatch, *counted, calls)
    run = run_cli("lint", versions, "--no-config", "--format", "json", "--fail-on", "never", "--dialect", "postgresql")
    assert run.exit_code == 0
    assert calls[counted[1]] < 20 * size, calls


def test_multidb_dispatches_count_against_the_budget(tmp_path: Path) -> None:
    """``globals()[f"up_{e}"]()`` walks every ``up_*`` function: 60 of them, dispatched from a helper called 60
    times from a helper called 60 times, asked for 216,000 walks outside the unroll budget."""
    helpers = "\n\ndef h2(e):\n    globals()[f\"up_{e}\"]()\n"
    helpers += "".join(f'\n\ndef up_{i}():\n    op.add_column("t", sa.Column("c{i}", sa.Integer))\n' for i in range(60))
    helpers += "\n\ndef h1(e):\n" + "".join("    h2(e)\n" for _ in range(60))
    versions = _revision(tmp_path, ['h1("x")' for _ in range(60)], helpers=helpers)
    migration = load_python(next(versions.glob("*.py")), "postgresql")
    assert migration is not None and migration.upgrade is not None
    assert len(migration.upgrade_changes) <= MAX_STEPS + 2
    assert "helper calls and loop passes" in str(migration.upgrade_changes[-1])


def test_a_drop_past_the_limit_fails_the_run(tmp_path: Path) -> None:
    """Review: 2,025 steps from two loops, then ``op.drop_table("users")``: the drop was cut and the run passed with
    one info finding. Reading stops where it must, and the run fails with an error saying so."""
    pairs = ", ".join(repr(f"a{i}") for i in range(45))
    versions = _revision(tmp_path, [f"for a in ({pairs}):", f"    for b in ({pairs}):",
                                    '        op.execute("SELECT 1")', 'op.drop_table("users")'])
    run = run_cli("lint", versions, "--no-config", "--format", "json")
    assert run.exit_code == 1
    assert [f["rule"] for f in run.json()["findings"] if f["severity"] == "error"] == ["invalid-migration-file"]


def _errors(versions: Path) -> tuple[int, list[dict[str, Any]]]:
    run = run_cli("lint", versions, "--no-config", "--format", "json", "--dialect", "postgresql")
    return run.exit_code, [f for f in run.json()["findings"] if f["severity"] == "error"]


def test_the_work_of_each_call_counts_not_only_the_calls(tmp_path: Path) -> None:
    """Review (sec21): a helper of 1,000 statements called from two nested loops of 50 passes is 2,500 calls, within
    the unroll budget, and 2.5 million statements walked: about two minutes. Walking a statement again counts its
    nodes, so reading stops at the budget (an error, where it stopped), and what follows the loops is still read."""
    items = ", ".join(repr(f"a{i}") for i in range(50))
    helper = "\n\ndef helper(a, b):\n" + "".join(f"    x{i} = 'v' + str({i})\n" for i in range(1000))
    versions = _revision(tmp_path, [f"for a in ({items}):", f"    for b in ({items}):", "        helper(a, b)",
                                    'op.drop_table("users")'], helpers=helper)
    code, errors = _errors(versions)
    assert code == 1
    assert [f["rule"] for f in errors] == ["invalid-migration-file", "drop-table"]
    stopped = errors[0]
    assert f"walks {WORK_BUDGET:,} syntax nodes again per function" in stopped["message"]
    assert 9 <= stopped["line"] <= 1008  # a statement of the helper: where the budget ran out


def test_copying_a_scope_counts_as_work(tmp_path: Path) -> None:
    """Each ``if`` copies what the function knows, the module's constants included: 20,000 of them and a helper of
    ten ``if``s called 2,500 times (far fewer nodes than the budget) took 99 s. The copies count against it too."""
    items = ", ".join(repr(f"a{i}") for i in range(50))
    helpers = "".join(f'C{i} = "v{i}"\n' for i in range(20_000))
    helpers += "\n\ndef helper(a, b):\n" + "".join(f"    if a == 'x{i}':\n        pass\n" for i in range(10))
    versions = _revision(tmp_path, [f"for a in ({items}):", f"    for b in ({items}):", "        helper(a, b)"],
                         helpers=helpers)
    code, errors = _errors(versions)
    assert code == 1
    assert [f["rule"] for f in errors] == ["invalid-migration-file"]
    assert f"walks {WORK_BUDGET:,} syntax nodes again" in errors[0]["message"]


def test_a_long_function_is_read_whole(tmp_path: Path) -> None:
    """Reading a statement the first time is free: camcops' 0023 (3 MB) has one upgrade() of 13,700 calls. 12,000
    ``batch_op.alter_column`` calls (more nodes than the budget) that change only comments are read, and the drop
    after them is found."""
    body = ['with op.batch_alter_table("t") as batch_op:']
    body += [f'    batch_op.alter_column("c{i}", existing_type=sa.String(length=128), comment="Column {i}", '
             f"existing_nullable=True)" for i in range(12_000)]
    versions = _revision(tmp_path, [*body, 'op.drop_table("users")'])
    code, errors = _errors(versions)
    assert (code, [f["rule"] for f in errors]) == (1, ["drop-table"])


def test_helpers_called_as_often_as_real_revisions_call_them_are_read(tmp_path: Path) -> None:
    """The largest real revision seen unrolled 212 calls: 250 calls of a helper of 30 statements are read whole."""
    helper = "\n\ndef helper(name):\n" + "".join(f'    column_{i} = name + "_{i}"\n' for i in range(29))
    helper += '    op.add_column(name, sa.Column("note", sa.Text()))\n'
    versions = _revision(tmp_path, [f'helper("t{i}")' for i in range(250)] + ['op.drop_table("users")'],
                         helpers=helper)
    code, errors = _errors(versions)
    assert (code, [f["rule"] for f in errors]) == (1, ["drop-table"])


def _chain(depth: int) -> str:
    """Helpers h1 .. h<depth>, each calling the next; the last drops a table."""
    helpers = f'\n\ndef h{depth}():\n    op.drop_table("users")\n'
    for level in range(depth - 1, 0, -1):
        helpers += f"\n\ndef h{level}():\n    h{level + 1}()\n"
    return helpers


def test_a_sixth_level_helper_is_followed(tmp_path: Path) -> None:
    """Review (sec21): helpers were followed four deep and the fifth was passed over in silence, so a table dropped
    by the sixth passed the run."""
    code, errors = _errors(_revision(tmp_path, ["h1()"], helpers=_chain(6)))
    assert code == 1
    assert [(f["rule"], f["line"]) for f in errors] == [("drop-table", 9)]


def test_a_helper_deeper_than_max_depth_stops_reading(tmp_path: Path) -> None:
    depth = MAX_DEPTH + 1
    versions = _revision(tmp_path, ["h1()"], helpers=_chain(depth))
    code, errors = _errors(versions)
    assert code == 1
    assert [f["rule"] for f in errors] == ["invalid-migration-file"]
    assert f"follows helpers {MAX_DEPTH} deep" in errors[0]["message"]
    assert f"this call of h{depth}()" in errors[0]["message"]


def _nested_chain(depth: int) -> list[str]:
    """upgrade()'s body: d1 defined in it, d2 inside d1, ... each calling the next; the last drops a table."""
    lines: list[str] = []
    for level in range(1, depth + 1):
        pad = "    " * (level - 1)
        lines.append(f"{pad}def d{level}():")
    lines.append("    " * depth + 'op.drop_table("users")')
    for level in range(depth - 1, 0, -1):
        lines.append("    " * level + f"d{level + 1}()")
    lines.append("d1()")
    return lines


def test_functions_defined_inside_each_other_are_followed(tmp_path: Path) -> None:
    code, errors = _errors(_revision(tmp_path, _nested_chain(6)))
    assert code == 1
    assert [(f["rule"], f["line"]) for f in errors] == [("drop-table", 15)]


def test_functions_defined_inside_each_other_deeper_than_max_depth_stop_reading(tmp_path: Path) -> None:
    """A def inside upgrade() is followed like a module-level helper, within the same limits: failing closed."""
    depth = MAX_DEPTH + 1
    code, errors = _errors(_revision(tmp_path, _nested_chain(depth)))
    assert code == 1
    assert [f["rule"] for f in errors] == ["invalid-migration-file"]
    assert f"this call of d{depth}()" in errors[0]["message"]


def test_a_def_inside_upgrade_called_in_nested_loops_counts_against_the_budget(tmp_path: Path) -> None:
    body = ["def add(i):", '    op.add_column("t", sa.Column("c", sa.Integer))',
            "def twice(i):", *[f"    add({k})" for k in range(80)],
            *[f"twice({k})" for k in range(80)]]
    code, errors = _errors(_revision(tmp_path, body))
    assert code == 1
    assert [f["rule"] for f in errors] == ["invalid-migration-file"]
    assert "helper calls and loop passes per function" in errors[0]["message"]


def test_a_def_inside_upgrade_that_calls_itself_is_read_once(tmp_path: Path) -> None:
    body = ["def retire(n):", '    op.drop_table("users")', "    if n:", "        retire(n - 1)", "retire(3)"]
    code, errors = _errors(_revision(tmp_path, body))
    assert code == 1
    assert [(f["rule"], f["line"]) for f in errors] == [("drop-table", 10)]
