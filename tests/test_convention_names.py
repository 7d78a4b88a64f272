"""rules/convention.py against the installed SQLAlchemy: the name a naming convention (or op.f()) gives an
index or constraint, cut per dialect, is exactly what SQLAlchemy's compiler writes (held-out-16 #31, #48)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import AddConstraint, CreateIndex

from migcheck.rules.convention import conventional, template_for

CONVENTION = {"ix": "ix__%(table_name)s__%(constraint_name)s", "ck": "ck__%(table_name)s__%(constraint_name)s",
              "uq": "uq__%(table_name)s__%(column_0_name)s"}
DIALECTS = {"postgresql": postgresql.dialect(), "mysql": mysql.dialect(), "sqlite": sqlite.dialect()}
NAMES = ["short_check", "attachment_needs_file_or_link_reference_and_owner_id",
         "Lessons_WITHOUT_a_parent_must_be_modules_and_modules_must_have_none"]


def _rendered(ddl: sa.schema.ExecutableDDLElement, dialect: str, after: str, before: str) -> str:
    text = str(ddl.compile(dialect=DIALECTS[dialect]))
    return text.split(after, 1)[1].split(before, 1)[0].strip().strip('"`')


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("name", NAMES)
def test_check_constraint_name_is_what_sqlalchemy_writes(dialect: str, name: str) -> None:
    table = sa.Table("lesson_plan_attachments", sa.MetaData(naming_convention=CONVENTION), sa.Column("a", sa.Integer))
    check = sa.CheckConstraint("a > 0", name=name)
    table.append_constraint(check)
    expected = _rendered(AddConstraint(check), dialect, "ADD CONSTRAINT", " CHECK")
    assert conventional(CONVENTION, "check", name, "lesson_plan_attachments", [], dialect=dialect) == expected


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("name", NAMES)
def test_index_name_is_what_sqlalchemy_writes(dialect: str, name: str) -> None:
    table = sa.Table("course_groupings", sa.MetaData(naming_convention=CONVENTION), sa.Column("kind", sa.Integer))
    index = sa.Index(name, table.c.kind)
    expected = _rendered(CreateIndex(index), dialect, "INDEX", " ON")
    assert conventional(CONVENTION, "index", name, "course_groupings", ["kind"], dialect=dialect) == expected


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_op_f_name_is_cut_and_not_run_through_the_template(dialect: str) -> None:
    name = NAMES[2]
    table = sa.Table("t", sa.MetaData(naming_convention=CONVENTION), sa.Column("a", sa.Integer))
    check = sa.CheckConstraint("a > 0", name=sa.sql.elements.conv(name))
    table.append_constraint(check)
    expected = _rendered(AddConstraint(check), dialect, "ADD CONSTRAINT", " CHECK")
    assert conventional(CONVENTION, "check", name, "t", [], dialect=dialect, converted=True) == expected
    assert len(expected) == {"postgresql": 60, "mysql": 61}[dialect]


def test_only_a_template_using_the_given_name_makes_a_conv_name() -> None:
    """An explicit name is kept as written unless the kind's template uses %(constraint_name)s (then
    SQLAlchemy would refuse it when too long, as a plain name)."""
    assert template_for(CONVENTION, "check") == CONVENTION["ck"]
    assert template_for(CONVENTION, "unique") is None
    assert template_for(CONVENTION, "foreign_key") is None
    assert template_for(None, "check") is None
    assert conventional(CONVENTION, "unique", NAMES[2], "t", ["a"], dialect="postgresql") == NAMES[2]
