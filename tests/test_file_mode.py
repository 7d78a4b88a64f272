"""Revision files named one by one (as pre-commit passes them) are linted with their siblings as context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import run_cli

BASE = """
revision = "a1"
down_revision = None

def upgrade():
    op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True))
    op.drop_table("legacy")

def downgrade():
    op.drop_table("orders")
"""

CHILD = """
revision = "b2"
down_revision = "a1"

def upgrade():
    op.create_index("ix_orders_id", "orders", ["id"])

def downgrade():
    op.drop_index("ix_orders_id", "orders")
"""


def test_a_named_revision_is_not_reported_for_a_parent_in_an_unnamed_sibling(write_revision: Any) -> None:
    write_revision("a1_base.py", BASE)
    child = write_revision("b2_child.py", CHILD)
    run = run_cli("lint", child, "--format", "json")
    # no missing-down-revision, no drop-table (that is a1's); no lock_timeout is set anywhere
    assert run.rules() == ["create-index-not-concurrently", "missing-lock-timeout"]
    assert run.json()["summary"]["revisions"] == 1
    assert {Path(f["path"]).name for f in run.json()["findings"]} == {"b2_child.py"}


def test_a_parent_missing_everywhere_is_still_reported(write_revision: Any) -> None:
    write_revision("a1_base.py", BASE)
    orphan = write_revision("c3_orphan.py", CHILD.replace('"b2"', '"c3"').replace('"a1"', '"zz"'))
    assert "missing-down-revision" in run_cli("lint", orphan, "--format", "json").rules()


def test_a_named_revision_that_makes_a_second_head_is_reported(write_revision: Any) -> None:
    write_revision("a1_base.py", BASE)
    write_revision("b2_child.py", CHILD)
    rival = write_revision(
        "b3_rival.py", CHILD.replace('"b2"', '"b3"').replace("ix_orders_id", "ix_orders_id2")
    )
    run = run_cli("lint", rival, "--format", "json")
    heads = [f for f in run.json()["findings"] if f["rule"] == "multiple-heads"]
    assert len(heads) == 1 and heads[0]["path"].endswith("b3_rival.py")


def test_a_broken_sibling_does_not_stop_the_named_file(write_revision: Any) -> None:
    write_revision("a1_base.py", BASE)
    write_revision("zz_broken.py", "def upgrade(:\n")
    child = write_revision("b2_child.py", CHILD)
    assert run_cli("lint", child, "--format", "json").rules() == [
        "create-index-not-concurrently", "missing-lock-timeout"]
