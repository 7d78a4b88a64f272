"""Attacker review of round 25's changes (fix25b, fix25c, the lead's sqlsplit and parse-message commits): each test is
a pull request a stranger could send that imitates a pattern an exemption of the round trusts, with a real risk the
report must not lose.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import findings_of, run_cli, where, write_files

_BASE = ('from alembic import op\nimport sqlalchemy as sa\n\nrevision = "a001"\ndown_revision = None\n\n\n'
         'def upgrade():\n    op.create_table("users", sa.Column("id", sa.Integer()), sa.Column("email", sa.String()))\n'
         '\n\ndef downgrade():\n    op.drop_table("users")\n')


def _step(body: str, head: str = "") -> str:
    return (f'from alembic import op\nimport sqlalchemy as sa\n{head}\nrevision = "a002"\ndown_revision = "a001"\n\n\n'
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
            "def downgrade():\n    pass\n")


def _lint(root: Path, dialect: str, *rules: str) -> tuple[int, list[dict[str, Any]]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", ",".join(rules), "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, [f for rule in rules for f in findings_of(run, rule)]


def _project(root: Path, body: str, head: str = "") -> Path:
    return write_files(root, {"versions/a001_base.py": _BASE, "versions/a002_step.py": _step(body, head)})


# --- sqlsplit: "a ';' inside parentheses does not end a statement" ------------------------------------------------
# The splitter counts a parenthesis the server never sees (inside a nested PostgreSQL comment, a MySQL backquoted
# name, a MySQL '#' comment, a MySQL string with a backslash escape): the DROP COLUMN between two such parentheses
# was folded into one statement no rule read (at most an info), while the server runs it as a statement of its own.

_HIDDEN = {  # the SQL's second line is reported one source line down, as before this round
    "postgresql nested comment": (
        "postgresql", 9, 'op.execute("SELECT 1 /* /* */ ( */; ALTER TABLE users DROP COLUMN email; '
                      'SELECT 2 /* /* */ ) */")'),
    "mysql backquoted name": (
        "mysql", 9, 'op.execute("ALTER TABLE `t(` ADD COLUMN y int; ALTER TABLE users DROP COLUMN email; SELECT `)`")'),
    "mysql hash comment": (
        "mysql", 10, 'op.execute("SELECT 1 #(\\n; ALTER TABLE users DROP COLUMN email; SELECT 2 #)\\n")'),
    "mysql backslash in a double-quoted string": (
        "mysql", 9, r'''op.execute('SELECT "\\"(\\""; ALTER TABLE users DROP COLUMN email; SELECT "\\")\\""')'''),
}


@pytest.mark.parametrize("case", sorted(_HIDDEN))
def test_a_statement_after_a_parenthesis_the_server_does_not_see_is_still_read(tmp_path: Path, case: str) -> None:
    dialect, line, body = _HIDDEN[case]
    code, found = _lint(_project(tmp_path, body), dialect, "drop-column")
    assert code == 1
    assert where(found) == [("drop-column", "a002_step.py", line)]
    assert "users.email" in found[0]["message"]


def test_a_rule_whose_actions_hold_semicolons_is_still_one_statement(tmp_path: Path) -> None:
    # the pattern the exemption was made for (gob-upload): CREATE RULE ... DO INSTEAD (a; b) is one statement
    body = ('op.execute("CREATE RULE r AS ON INSERT TO users DO INSTEAD '
            '(INSERT INTO users (id) VALUES (NEW.id); UPDATE users SET email = NULL WHERE id = NEW.id)")')
    _, found = _lint(_project(tmp_path, body), "postgresql", "raw-sql-not-understood")
    assert where(found) == [("raw-sql-not-understood", "a002_step.py", 9)]  # not also a statement ')'
    assert "`CREATE RULE r AS ON INSERT TO users DO INSTEAD (INSERT" in found[0]["message"]


# --- unsafe-sql-interpolation: "a function's __name__ is a name the code gave it" ----------------------------------

_FROM_ROW = '''
conn = op.get_bind()
row = conn.execute(sa.text("SELECT label AS __name__ FROM settings")).fetchone()
conn.execute(sa.text(f"UPDATE users SET email = '{row.__name__}'"))
'''

_ASSIGNED = '''
box.__name__ = os.environ["LABEL"]
op.execute(f"UPDATE users SET email = '{box.__name__}'")
'''


@pytest.mark.parametrize(("body", "head", "line"), [
    (_FROM_ROW, "", 11),  # SQLAlchemy's Row answers row.__name__ with the column so labelled: a value from the table
    (_ASSIGNED, "import os\nimport types\nbox = types.SimpleNamespace()\n", 13),
    (_ASSIGNED.replace("box.__name__ =", "setattr(box, '__name__',").replace('"]\n', '"])\n', 1),
     "import os\nfrom app import box\n", 12),
], ids=["row", "assigned", "setattr"])
def test_a_name_attribute_that_holds_outside_data_is_still_reported(tmp_path: Path, body: str, head: str,
                                                                    line: int) -> None:
    code, found = _lint(_project(tmp_path, body, head), "postgresql", "unsafe-sql-interpolation")
    assert code == 1
    assert where(found) == [("unsafe-sql-interpolation", "a002_step.py", line)]


def test_the_name_of_a_function_of_the_code_is_still_a_constant(tmp_path: Path) -> None:
    body = '''
    def ex_post():
        pass
    op.execute(f"UPDATE users SET email = '{horizons.ex_ante.__name__}', id = '{ex_post.__name__}'")
    '''
    code, found = _lint(_project(tmp_path, body, "from beliefs.funcs import horizons\n"), "postgresql",
                        "unsafe-sql-interpolation")
    assert (code, found) == (0, [])


# --- missing-down-revision: "a depends_on is a warning where version locations are linked by depends_on" ----------

def _dep(rid: str, down: str | None, depends_on: tuple[str, ...]) -> str:
    return (f"revision = {rid!r}\ndown_revision = {down!r}\ndepends_on = {depends_on!r}\n\n\ndef upgrade():\n"
            "    pass\n\n\ndef downgrade():\n    pass\n")


def test_a_subfolder_of_the_same_location_does_not_link_locations(tmp_path: Path) -> None:
    # a revision in versions/sub/ that depends on one in versions/ is not another package's history: the dangling
    # depends_on in versions/ stays an error (exit 1 under the default fail-on), not a warning (exit 0)
    write_files(tmp_path, {
        "versions/a1_first.py": _dep("a1", None, ()),
        "versions/a2_second.py": _dep("a2", "a1", ("0a1b2c3d4e5f",)),
        "versions/sub/b1_forged.py": _dep("b1", None, ("a1",)),
    })
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select",
                  "missing-down-revision")
    found = findings_of(run, "missing-down-revision")
    assert run.exit_code == 1
    assert [(f["severity"], Path(f["path"]).name, f["line"]) for f in found] == [("error", "a2_second.py", 1)]
