"""Attacker review of fix27a's exemptions: a row-by-row backfill counted as writing every row
(add-not-null-column-without-default, MySQL) and an inspector's list of columns read once into a name, taken as
an existence guard (downgrade-not-inverse). Each case is an input the exemption silenced though the risk is real.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from conftest import lint_rules, where, write_files
from migcheck.extract.python import PythonExtractor
from migcheck.vocabulary.changes import AddColumn
from migcheck.vocabulary.revision import module_constants

_JOBS = textwrap.dedent('''\
    """jobs, each with a uuid that is never NULL

    Revision ID: a001
    """
    import sqlalchemy as sa
    from alembic import op

    revision = "a001"
    down_revision = None


    def upgrade():
        op.create_table("jobs", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("uuid", sa.String(36), nullable=False), sa.Column("spec", sa.Text()))


    def downgrade():
        op.drop_table("jobs")
    ''')

_BACKFILL = '''\
"""summary

Revision ID: a002
"""
import sqlalchemy as sa
from alembic import op

revision = "a002"
down_revision = "a001"

jobs = sa.Table("jobs", sa.MetaData(), sa.Column("uuid", sa.String(36)), sa.Column("spec", sa.Text()),
                sa.Column("summary", sa.Text()))
archived = sa.Table("jobs", sa.MetaData(), sa.Column("uuid", sa.String(36)), schema="archive")


def upgrade():
    op.add_column("jobs", sa.Column("summary", sa.Text(), nullable=False))
    conn = op.get_bind()
{loop}


def downgrade():
    op.drop_column("jobs", "summary")
'''

_UPDATE = 'conn.execute(jobs.update().where(jobs.c.uuid == job.uuid).values(summary="x"))'

#: Loops over rows whose UPDATE does not reach every row of jobs (the first is the fixture's safe shape).
_PARTIAL_LOOPS = {
    # the loop stops after its first row: one row written, the rest keep MySQL's ''
    "break after the update": f"for job in conn.execute(jobs.select()):\n    {_UPDATE}\n    break",
    "break on a row": f"for job in conn.execute(jobs.select()):\n    {_UPDATE}\n    if job.spec == 'x':\n"
                      "        break",
    # a pass that skips the UPDATE (main marks this one since mayrun27; fix27a did not)
    "continue before the update": f"for job in conn.execute(jobs.select()):\n    if not job.spec:\n"
                                  f"        continue\n    {_UPDATE}",
    # an inner loop or comprehension that may pass no time for a row
    "inner loop": 'for job in conn.execute(jobs.select()):\n    for part in (job.spec or "").split():\n'
                  f"        {_UPDATE}",
    "comprehension": f"for job in conn.execute(jobs.select()):\n    [{_UPDATE} for _ in job.spec or ()]",
    # rows of archive.jobs, another table of the same name: public.jobs rows without a twin there keep ''
    "rows of another schema's table": f"for job in conn.execute(archived.select()):\n    {_UPDATE}",
}


def _lint_backfill(tmp_path: Path, loop: str) -> list[tuple[str, str, int]]:
    text = _BACKFILL.format(loop=textwrap.indent(loop, "    "))
    write_files(tmp_path, {"a001_jobs.py": _JOBS, "a002_summary.py": text})
    _, found = lint_rules(tmp_path, "mysql", "add-not-null-column-without-default")
    return where(found)


def test_a_backfill_over_every_row_is_still_exempt(tmp_path: Path) -> None:
    """fix27a's case keeps passing."""
    assert _lint_backfill(tmp_path, f"for job in conn.execute(jobs.select()):\n    {_UPDATE}") == []


@pytest.mark.parametrize("loop", _PARTIAL_LOOPS.values(), ids=list(_PARTIAL_LOOPS))
def test_a_backfill_that_may_miss_rows_does_not_exempt_the_add(tmp_path: Path, loop: str) -> None:
    """fix27a took each of these as writing every row and passed the NOT NULL column without a server default:
    rows the loop never reaches keep the implicit '' nobody wrote (no default='' in the code: since fix29a that
    alone makes '' the value new rows get too)."""
    assert _lint_backfill(tmp_path, loop) == [("add-not-null-column-without-default", "a002_summary.py", 17)]


_GUARD = '''\
"""priority

Revision ID: g001
"""
import sqlalchemy as sa
from alembic import op

revision = "g001"
down_revision = None


def _forget(names):
    names.clear()


def upgrade():
    inspector = sa.inspect(op.get_bind())
    present = {{col["name"] for col in inspector.get_columns("jobs")}}
    {change}
    if "priority" not in present:
        op.add_column("jobs", sa.Column("priority", sa.Integer(), nullable=True))


def downgrade():
    return None
'''

@pytest.mark.parametrize("change", ["present.discard('priority')", "_forget(present)"], ids=["method", "helper"])
def test_a_list_of_columns_changed_in_place_guards_nothing(tmp_path: Path, change: str) -> None:
    """fix27a read ``"priority" not in present`` as "the column is missing" although ``present`` lost the name
    first: the add runs every time, and the upgrade re-run after the no-op downgrade fails with 'already exists'."""
    write_files(tmp_path, {"g001_priority.py": _GUARD.format(change=change)})
    _, found = lint_rules(tmp_path, "postgresql", "downgrade-not-inverse")
    assert where(found) == [("downgrade-not-inverse", "g001_priority.py", 21)]


def test_a_list_of_columns_only_read_still_guards(tmp_path: Path) -> None:
    """fix27a's case keeps passing: the list is only read."""
    write_files(tmp_path, {"g001_priority.py": _GUARD.format(change='print("priority" in present)')})
    _, found = lint_rules(tmp_path, "postgresql", "downgrade-not-inverse")
    assert where(found) == []


_NOT_NULL = '''\
"""email required

Revision ID: s001
"""
import sqlalchemy as sa
from alembic import op

revision = "s001"
down_revision = None


def upgrade():
    op.alter_column("accounts", "email", {up}nullable=False)


def downgrade():
    op.alter_column("accounts", "email", {down}nullable=False)
'''


def test_a_downgrade_copied_from_the_upgrade_does_not_say_the_column_was_not_null(tmp_path: Path) -> None:
    """fix27a took the downgrade's ``nullable=False`` as the state before the upgrade, also where the upgrade's only
    change is ``nullable=False`` (a step there to make the column NOT NULL) and the downgrade is that step copied
    and never inverted: set-not-null, an error, passed silently (and no other rule says the downgrade is wrong)."""
    text = _NOT_NULL.format(up="existing_type=sa.String(255), ", down="existing_type=sa.String(255), ")
    write_files(tmp_path, {"s001_email.py": text})
    _, found = lint_rules(tmp_path, "postgresql", "set-not-null")
    assert where(found) == [("set-not-null", "s001_email.py", 13)]


def test_a_type_change_restating_not_null_both_ways_is_still_exempt(tmp_path: Path) -> None:
    """fix27a's case (held-out-27 #136) keeps passing: both steps change the type and restate NOT NULL."""
    text = _NOT_NULL.format(up="type_=sa.String(256), ", down="type_=sa.String(64), ")
    write_files(tmp_path, {"s001_email.py": text})
    _, found = lint_rules(tmp_path, "postgresql", "set-not-null")
    assert where(found) == []


_KEY = '''\
"""order_ref's key

Revision ID: k001
"""
import sqlalchemy as sa
from alembic import op

revision = "k001"
down_revision = None


def upgrade():
    op.execute("ALTER TABLE order_ref DROP PRIMARY KEY")
    {add}


def downgrade():
    {drop}
    op.execute("ALTER TABLE order_ref ADD PRIMARY KEY (kind, code)")
'''

_ADD = 'op.create_primary_key("order_ref_pk", "order_ref", ["kind", "code", "order_id"]{schema})'

#: (the upgrade's key, the downgrade's drop): the drop removes the key of a table of that name in another schema.
_OTHER_SCHEMA_KEYS = {
    "SQL on archive.order_ref": (_ADD.format(schema=""), 'op.execute("ALTER TABLE archive.order_ref DROP PRIMARY KEY")'),
    "key added in archive": (_ADD.format(schema=', schema="archive"'),
                             'op.execute("ALTER TABLE order_ref DROP PRIMARY KEY")'),
    "drop_constraint in archive": (_ADD.format(schema=""),
                                   'op.drop_constraint("x", "order_ref", type_="primary", schema="archive")'),
}


@pytest.mark.parametrize(("add", "drop"), _OTHER_SCHEMA_KEYS.values(), ids=list(_OTHER_SCHEMA_KEYS))
def test_a_primary_key_dropped_in_another_schema_does_not_undo_the_new_one(tmp_path: Path, add: str,
                                                                            drop: str) -> None:
    """fix27a matched the downgrade's DROP PRIMARY KEY to the upgrade's key by the table's name alone: the key of
    archive.order_ref is another table's, and order_ref keeps the key the upgrade added (the downgrade's ADD PRIMARY
    KEY then fails with 'Multiple primary key defined')."""
    write_files(tmp_path, {"k001_key.py": _KEY.format(add=add, drop=drop)})
    _, found = lint_rules(tmp_path, "mysql", "downgrade-not-inverse")
    assert where(found) == [("downgrade-not-inverse", "k001_key.py", 14)]


def test_a_primary_key_dropped_on_the_same_table_still_undoes_it(tmp_path: Path) -> None:
    """fix27a's case (held-out-27 #45) keeps passing."""
    drop = 'op.execute("ALTER TABLE `order_ref` DROP PRIMARY KEY;")'
    write_files(tmp_path, {"k001_key.py": _KEY.format(add=_ADD.format(schema=""), drop=drop)})
    _, found = lint_rules(tmp_path, "mysql", "downgrade-not-inverse")
    assert where(found) == []


_READINGS = textwrap.dedent('''\
    """readings

    Revision ID: r001
    """
    import sqlalchemy as sa
    from alembic import op

    revision = "r001"
    down_revision = None


    def upgrade():
        op.create_table("readings", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("payload", sa.Text(), nullable=False), sa.Column("note", sa.Text(), nullable=True))


    def downgrade():
        op.drop_table("readings")
    ''')

_RENAMED = '''\
"""payload moved aside

Revision ID: r002
"""
import sqlalchemy as sa
from alembic import op

revision = "r002"
down_revision = "r001"


def upgrade():
    op.execute("ALTER TABLE readings CHANGE `{column}` `old_{column}` text{null}")
    op.add_column("readings", sa.Column("{column}", sa.JSON(), nullable=True){schema})


def downgrade():
    pass
'''


@pytest.mark.parametrize(("column", "null", "schema"), [("payload", " NOT NULL", ""),
                                                        ("note", "", ', schema="archive"')],
                         ids=["NOT NULL without a default", "added in another schema"])
def test_a_column_added_back_apart_is_no_mere_moment_where_inserts_fail_or_it_is_another_table(
        tmp_path: Path, column: str, null: str, schema: str) -> None:
    """fix27a said "in the moment between them ... its queries fail" (a window) also where the renamed column is NOT
    NULL without a default (the running release's INSERTs, which do not name old_payload, fail until the new code is
    out) and where the column "added in its place" is archive.readings' (public.readings never gets it back)."""
    text = _RENAMED.format(column=column, null=null, schema=schema)
    write_files(tmp_path, {"r001_readings.py": _READINGS, "r002_rename.py": text})
    _, found = lint_rules(tmp_path, "mysql", "rename-column")
    assert where(found) == [("rename-column", "r002_rename.py", 13)]
    assert str(found[0]["message"]).startswith(
        f"column readings.{column} is renamed to old_{column}: the application version still running during the "
        f"deploy selects and writes {column} and fails until the new code is out")


class _CountedBody(list[ast.stmt]):
    """A function's statements that count how often anything reads them through (``for``, ``ast.walk``)."""

    reads = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        _CountedBody.reads += 1
        return super().__iter__()


def _reads_of_upgrade(ifs: int) -> int:
    """How often reading the upgrade of ``ifs`` guards ``if "cK" not in present:`` reads its statements; every add is
    read as guarded by the listed columns."""
    guards = "".join(f'    if "c{i}" not in present:\n        op.add_column("t", sa.Column("c{i}", sa.Integer()))\n'
                     for i in range(ifs))
    source = ('import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "a1"\ndown_revision = None\n\n\n'
              'def upgrade():\n    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("t")}\n'
              f'{guards}\n\ndef downgrade():\n    pass\n')
    tree = ast.parse(source)
    upgrade = next(s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "upgrade")
    upgrade.body = _CountedBody(upgrade.body)
    _CountedBody.reads = 0
    body = PythonExtractor(tree, module_constants(tree, source), "postgresql", source).body("upgrade")
    assert body is not None and len(body.changes) == ifs
    assert all(isinstance(c, AddColumn) and c.unless_exists for c in body.changes)
    return _CountedBody.reads


def test_the_listed_names_guard_is_asked_once_per_function_not_once_per_if() -> None:
    """fix27a walked the function's body again for each ``if`` to find the names holding an inspector's list and
    those changed in place (1,500 ifs: 14 s). Counted, not timed: a function of 200 such ifs reads its statements
    as often as one of 20 (guards._listed_bindings and guards._changed_in_place are kept per function)."""
    assert _reads_of_upgrade(200) == _reads_of_upgrade(20)
