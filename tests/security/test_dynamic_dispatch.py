"""A helper of the revision called through a name looked up at run time is read like a direct call; a lookup
migcheck cannot resolve, ``eval`` and ``exec`` are reported as unread steps (raw-sql-not-understood), never passed
over in silence (review sec21: a helper dropping a table, called through ``globals().get("name")()``, had no
finding)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli

#: Lines 1-12: the module's head and the helper that drops a table (line 12); upgrade() starts on line 15.
HEAD = '''import importlib
import sys
from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None

def _drop_users():
    op.drop_table("users")


def upgrade(engine_name=""):
'''


def _lint(tmp_path: Path, body: list[str]) -> list[tuple[str, int, str, str]]:
    versions = tmp_path / "versions"
    versions.mkdir()
    lines = "".join(f"    {line}\n" for line in body)
    (versions / "a1.py").write_text(f'{HEAD}{lines}\n\ndef downgrade():\n    op.create_table("users")\n')
    run = run_cli("lint", versions, "--no-config", "--format", "json", "--dialect", "postgresql",
                  "--select", "drop-table,raw-sql-not-understood,invalid-migration-file")
    return [(f["rule"], f["line"], f["severity"], f["message"]) for f in run.json()["findings"]]


@pytest.mark.parametrize("body", [
    ['globals()["_drop_users"]()'],
    ['globals().get("_drop_users")()'],
    ['globals().get("_drop_users", None)()'],
    ['fn = globals()["_drop_users"]', "fn()"],
    ['fn = globals().get("_drop_users")', "other = fn", "other()"],
    ["fn = _drop_users", "fn()"],
    ['getattr(sys.modules[__name__], "_drop_users")()'],
    ['getattr(sys.modules.get(__name__), "_drop_users")()'],
    ["sys.modules[__name__]._drop_users()"],
    ['vars(sys.modules[__name__])["_drop_users"]()'],
    ['sys.modules[__name__].__dict__["_drop_users"]()'],
    ["importlib.import_module(__name__)._drop_users()"],
    ['getattr(import_module(__name__), "_drop_users")()'],
    ['name = "_drop_users"', "globals()[name]()"],
    ['for name in ("_drop_users",):', "    globals()[name]()"],
    ['fn = getattr(sys.modules[__name__], "_drop_users")', "fn()"],
])
def test_a_helper_called_through_a_constant_name_is_read(tmp_path: Path, body: list[str]) -> None:
    found = _lint(tmp_path, body)
    assert [(rule, line) for rule, line, *_ in found] == [("drop-table", 12)], found


@pytest.mark.parametrize("body", [
    ['getattr(op, "drop_table")("users")'],
    ['drop = getattr(op, "drop_table")', 'drop("users")'],
])
def test_an_operation_looked_up_by_a_constant_name_is_read(tmp_path: Path, body: list[str]) -> None:
    found = _lint(tmp_path, body)
    assert [(rule, line) for rule, line, *_ in found] == [("drop-table", 15 + len(body))], found


@pytest.mark.parametrize(("body", "reason"), [
    (["globals().get(engine_name)()"], "the function `globals().get(engine_name)` calls is named at run time"),
    (["fn = globals()[engine_name]", "fn()"], "`fn` holds `globals()[engine_name]`: the function"),
    (["getattr(sys.modules[__name__], engine_name)()"], "is named at run time"),
    (['getattr(sys.modules[__name__], "_drop_" + engine_name.lower())()'], "is named at run time"),
    (["sys.modules[__name__].__dict__[engine_name]()"], "is named at run time"),
    (['globals()["_drop_tables"]()'], "no function of this module is named `_drop_tables`"),
    (["exec(engine_name)"], "`exec()` runs code given as text, which migcheck does not read"),
    (['eval(engine_name + "()")'], "`eval()` runs code given as text"),
    (['getattr(op, engine_name)("users")'], "the operation `getattr(op, engine_name)` calls is named at run time"),
])
def test_a_call_through_a_name_known_only_at_run_time_is_reported(tmp_path: Path, body: list[str],
                                                                  reason: str) -> None:
    found = _lint(tmp_path, body)
    assert [(rule, line, severity) for rule, line, severity, _ in found] == [
        ("raw-sql-not-understood", 15 + len(body), "info")], found
    assert reason in found[0][3]


def test_the_multidb_template_through_get_is_still_one_function_per_engine(tmp_path: Path) -> None:
    """Alembic's multidb template spelled with ``.get``: each engine's function is read."""
    found = _lint(tmp_path, ['globals().get(f"_drop_{engine_name}")()'])
    assert [(rule, line) for rule, line, *_ in found] == [("drop-table", 12)], found
