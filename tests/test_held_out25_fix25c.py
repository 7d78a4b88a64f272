"""Held-out-25 (precision), helper fix25c: revisions that say they do nothing, calls that run no SQL, values
that are constants.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import lint_rules as _lint
from conftest import where as _where
from conftest import write_files as _write


def _revision(rev: str, down: str | None, upgrade: str, downgrade: str = "pass", doc: str = "",
              head: str = "") -> str:
    return (f'"""{doc or "r " + rev}\n\nRevision ID: {rev}\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n'
            f"{head}\nrevision = \"{rev}\"\ndown_revision = {down!r}\n\n\ndef upgrade():\n"
            f"{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n")


_BASE = _revision("a001", None, 'op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))',
                  'op.drop_table("tags")')


# --- #66-#70: an empty revision whose message says it is a placeholder, or does nothing -----------------------------

def _empty(tmp_path: Path, doc: str) -> Path:
    return _write(tmp_path, {"a001_base.py": _BASE, "a002_x.py": _revision("a002", "a001", "pass", doc=doc)})


def test_revision_whose_message_says_it_is_a_placeholder_or_does_nothing_is_empty_on_purpose(tmp_path: Path) -> None:
    for n, doc in enumerate(("placeholder", "Placeholder revision", "DO NOTHING - bad revision replaced by a003",
                             "do_nothing", "does nothing: kept for stamped databases")):
        assert _lint(_empty(tmp_path / str(n), doc), "postgresql", "empty-migration") == (0, []), doc


def test_message_that_names_a_change_is_still_reported(tmp_path: Path) -> None:
    for n, doc in enumerate(("placeholder column for tags", "make tag trigger do nothing on insert",
                             "empty message", "add placeholder")):
        code, found = _lint(_empty(tmp_path / str(n), doc), "postgresql", "empty-migration")
        assert code == 1 and _where(found) == [("empty-migration", "a002_x.py", 12)], doc


# --- #112, #113: a prompt on the terminal, an ORM session closed ---------------------------------------------------

_PROMPT_HEAD = "import click\nfrom app.config import db\nfrom app import helpers\n"
_PROMPT = """\
rows = db.session.execute(sa.text("SELECT 1 FROM tags")).scalar()
db.session.close()
if rows:
    click.confirm(f"tags still has {rows} rows; drop it?", abort=True)
    click.echo(click.style("dropping", fg="red"))
op.drop_table("tags")
"""


def _prompt(tmp_path: Path, upgrade: str) -> Path:
    return _write(tmp_path, {"a001_base.py": _BASE, "a002_x.py": _revision("a002", "a001", upgrade,
                                                                            head=_PROMPT_HEAD)})


def test_terminal_prompt_and_closed_session_run_no_sql(tmp_path: Path) -> None:
    assert _lint(_prompt(tmp_path, _PROMPT), "postgresql", "raw-sql-not-understood") == (0, [])


def test_imported_code_behind_a_prompt_or_a_lookalike_is_still_reported(tmp_path: Path) -> None:
    cases = {
        "click.echo(helpers.drop_views())": 20,  # the helper's statements would hide behind the echo
        "click.confirm(helpers.ask(op.get_bind()))": 20,
        "helpers.confirm('drop?')": 20,  # not click's
        "db.session.commit()": 17,  # not an end of the session: a flush may write
        "db.session.close(helpers.run)": 17,
        "db.close()": 17,
    }
    for n, (line, where) in enumerate(cases.items()):
        upgrade = _PROMPT.replace('click.echo(click.style("dropping", fg="red"))', line) if line.startswith(
            "click.") or line.startswith("helpers") else _PROMPT.replace("db.session.close()", line)
        code, found = _lint(_prompt(tmp_path / str(n), upgrade), "postgresql", "raw-sql-not-understood")
        assert code == 1 and _where(found) == [("raw-sql-not-understood", "a002_x.py", where)], line


def test_click_imported_from_the_application_is_not_the_terminal(tmp_path: Path) -> None:
    upgrade = _PROMPT.replace("db.session.close()\n", "")
    root = _write(tmp_path, {"a001_base.py": _BASE, "a002_x.py": _revision(
        "a002", "a001", upgrade, head="from app import click\nfrom app.config import db\n")})
    code, found = _lint(root, "postgresql", "raw-sql-not-understood")
    assert code == 1 and _where(found) == [("raw-sql-not-understood", "a002_x.py", 17),
                                           ("raw-sql-not-understood", "a002_x.py", 18)]


# --- #154, #155: a loop over a literal list of names, sorted first -------------------------------------------------

_SORTED = """\
tables = ["rel_a_b", "old_a", "rel_c_d"]
for table in sorted(tables, key=lambda t: t[:4] != "rel_"):
    op.execute(f"DROP VIEW IF EXISTS legacy.{table}")
"""


def _loop(tmp_path: Path, upgrade: str, head: str = "") -> Path:
    return _write(tmp_path, {"a001_base.py": _BASE, "a002_x.py": _revision("a002", "a001", upgrade, head=head)})


def test_loop_over_a_sorted_literal_list_formats_constants(tmp_path: Path) -> None:
    for n, body in enumerate((_SORTED, _SORTED.replace("sorted(tables, key=lambda t: t[:4] != \"rel_\")",
                                                       "reversed(tables)"))):
        assert _lint(_loop(tmp_path / str(n), body), "postgresql", "unsafe-sql-interpolation") == (0, [])


def test_loop_over_values_not_all_constant_is_still_reported(tmp_path: Path) -> None:
    cases = {
        "outside": (_SORTED.replace('tables = ["rel_a_b", "old_a", "rel_c_d"]',
                                    'tables = [r[0] for r in op.get_bind().execute(sa.text("SELECT n FROM t"))]'),
                    "", 15),
        "rebound sorted": (_SORTED, "from app import sorted\n", 16),
        "rebound in body": (_SORTED.replace("    op.execute", "    table = table.title() + input()\n    op.execute"),
                            "", 16),
    }
    for name, (body, head, line) in cases.items():
        code, found = _lint(_loop(tmp_path / name.replace(" ", "_"), body, head), "postgresql",
                            "unsafe-sql-interpolation")
        assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_x.py", line)], name


# --- #152: the name a def gave a function, stored as text ----------------------------------------------------------

_FUNCTION_NAME = """\
op.add_column("tags", sa.Column("fnc", sa.String(80), nullable=True))
op.execute(f"UPDATE tags SET fnc = '{horizons.ex_post.__name__}'")
"""


def test_function_name_formatted_into_sql_is_code(tmp_path: Path) -> None:
    root = _loop(tmp_path, _FUNCTION_NAME, head="from beliefs.funcs import horizons\n")
    assert _lint(root, "postgresql", "unsafe-sql-interpolation") == (0, [])


def test_another_attribute_of_the_function_is_still_reported(tmp_path: Path) -> None:
    for n, attr in enumerate(("__doc__", "label", "__name__.title() + horizons.suffix")):
        root = _loop(tmp_path / str(n), _FUNCTION_NAME.replace("__name__", attr),
                     head="from beliefs.funcs import horizons\n")
        code, found = _lint(root, "postgresql", "unsafe-sql-interpolation")
        assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_x.py", 15)], attr


# --- a helper's parameter is not the caller's name of the same spelling --------------------------------------------

_HELPER = '''\
def _drop(t):
    op.execute(f"DROP TABLE IF EXISTS {t}")

'''


def _with_helper(tmp_path: Path, upgrade: str) -> Path:
    text = _revision("a002", "a001", upgrade).replace("\n\ndef upgrade():", "\n\n" + _HELPER + "\ndef upgrade():")
    return _write(tmp_path, {"a001_base.py": _BASE, "a002_x.py": text})


def test_helper_handed_an_outside_value_is_reported_though_the_caller_holds_a_constant_of_that_name(
        tmp_path: Path) -> None:
    for n, upgrade in enumerate((
            't = "tags" if op.get_context().dialect.name == "postgresql" else "labels"\n_drop(input())',
            'for t in sorted(["tags", "labels"]):\n    _drop(input())')):
        code, found = _lint(_with_helper(tmp_path / str(n), upgrade), "postgresql", "unsafe-sql-interpolation")
        assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_x.py", 13)], upgrade


def test_helper_handed_one_of_a_few_constants_formats_a_constant(tmp_path: Path) -> None:
    for n, upgrade in enumerate((
            'name = "tags" if op.get_context().dialect.name == "postgresql" else "labels"\n_drop(name)',
            'for name in sorted(["tags", "labels"]):\n    _drop(name)')):
        assert _lint(_with_helper(tmp_path / str(n), upgrade), "postgresql", "unsafe-sql-interpolation") == (0, [])


# --- #156: names from the keys of a module-level dict of constants, filtered, sorted and split ---------------------

_COMMENTS_HEAD = '\n_COMMENTS = {"tags": "labels", "tags.id": "key", "tags.name": "shown"}\n'
_COMMENTS_UP = """\
column_keys = sorted(k for k in _COMMENTS if "." in k)
for key in column_keys:
    table, column = key.split(".", 1)
    op.execute(f"COMMENT ON COLUMN {table}.{column} IS NULL")
"""


def test_names_split_from_the_keys_of_a_constant_dict_are_constants(tmp_path: Path) -> None:
    root = _loop(tmp_path, _COMMENTS_UP, head=_COMMENTS_HEAD)
    assert _lint(root, "postgresql", "unsafe-sql-interpolation") == (0, [])


def test_keys_of_a_changed_dict_or_another_value_are_still_reported(tmp_path: Path) -> None:
    cases = {
        "dict changed": (_COMMENTS_UP, _COMMENTS_HEAD + '_COMMENTS[input()] = "x"\n', 19),
        "other item": (_COMMENTS_UP.replace("(k for k in", "(k + input() for k in"), _COMMENTS_HEAD, 18),
        "list changed": (_COMMENTS_UP.replace("for key in", "column_keys.append(input())\nfor key in"),
                         _COMMENTS_HEAD, 19),
        "split of another": (_COMMENTS_UP.replace("key.split", "input().split"), _COMMENTS_HEAD, 18),
    }
    for name, (body, head, line) in cases.items():
        code, found = _lint(_loop(tmp_path / name.replace(" ", "_"), body, head), "postgresql",
                            "unsafe-sql-interpolation")
        assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_x.py", line)], name
