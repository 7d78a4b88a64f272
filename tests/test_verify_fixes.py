"""The repairs verify proposes for a downgrade, from the schema differences it saw."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy")

from migcheck.live.fixes import inverse_fix, reupgrade_fix, sa_type
from migcheck.live.schema import Difference

LOST_TOTAL = Difference("lost", "column orders.total", "NUMERIC(10, 2) NOT NULL", None)
LEFT_NOTE = Difference("left behind", "column orders.note", "TEXT NULL", None)


def test_a_lost_column_is_added_back_as_it_was() -> None:
    assert inverse_fix([LOST_TOTAL]) == (
        'add to downgrade():\nop.add_column("orders", sa.Column("total", sa.NUMERIC(10, 2), nullable=False))'
    )


def test_a_lost_column_keeps_its_default_and_zone() -> None:
    lost = Difference("lost", "column users.seen", "TIMESTAMP WITH TIME ZONE NULL DEFAULT now()", None)
    assert inverse_fix([lost]) == (
        'add to downgrade():\nop.add_column("users", sa.Column("seen", sa.TIMESTAMP(timezone=True), '
        "server_default=sa.text('now()'), nullable=True))"
    )


def test_a_lost_index_is_created_again() -> None:
    lost = Difference("lost", "index users.ix_users_email", "UNIQUE (email)", None)
    assert inverse_fix([lost]) == (
        'add to downgrade():\nop.create_index("ix_users_email", "users", ["email"], unique=True)'
    )


@pytest.mark.parametrize(("text", "call"), [
    ("VARCHAR(20)", "sa.VARCHAR(20)"), ("BIGINT", "sa.BIGINT()"), ("DOUBLE PRECISION", "sa.DOUBLE_PRECISION()"),
    ("TIMESTAMP WITHOUT TIME ZONE", "sa.TIMESTAMP()"), ("tsvector_of_mine", None),
])
def test_reflected_types_become_sqlalchemy_types(text: str, call: str | None) -> None:
    assert sa_type(text) == call


def test_unknown_type_still_names_the_column_as_it_was() -> None:
    lost = Difference("lost", "column t.c", "CITEXT NOT NULL", None)
    assert inverse_fix([lost]) == 'add to downgrade():\nop.add_column("t", sa.Column("c", ...))  # as it was: CITEXT NOT NULL'


def test_upgrade_not_repeatable_after_a_lost_column_advises_re_adding_it() -> None:
    fix = reupgrade_fix([LOST_TOTAL])
    assert fix.startswith("make downgrade() re-create what upgrade() drops")
    assert 'op.add_column("orders", sa.Column("total"' in fix
    assert "remove everything" not in fix


def test_upgrade_not_repeatable_after_a_leftover_advises_removing_it() -> None:
    fix = reupgrade_fix([LEFT_NOTE])
    assert fix.startswith("make downgrade() remove everything upgrade() creates")
    assert 'op.drop_column("orders", "note")' in fix
    assert reupgrade_fix([]) == "make downgrade() undo exactly what upgrade() does, so the upgrade can run again"
