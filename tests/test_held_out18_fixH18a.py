"""Held-out-18, beaker on MySQL: what MySQL fills into an added NOT NULL column is written over later in the
same upgrade (#10, #11, #13, #14) or is the FALSE a boolean should hold (#12); ENUM members appended at the end
change only metadata, the old list read from the revision's own downgrade (#88)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import findings_of, run_cli

HEAD = '''
from alembic import op
import sqlalchemy as sa

revision = "b18a0001"
down_revision = None
'''


def _lint(path: Path, rule: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--no-config", "--dialect", "mysql", "--format", "json", "--select", rule)
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, findings_of(run, rule)


def test_an_update_of_every_row_after_the_add_leaves_no_implicit_value(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    write_revision("b18a0001_power.py", HEAD + '''
def upgrade():
    op.add_column("power", sa.Column("quiet_period", sa.Integer, nullable=False))
    op.execute("UPDATE power SET quiet_period = 5")
    op.add_column("job", sa.Column("weight", sa.Integer, nullable=False))
    op.execute("UPDATE job SET weight = 5 WHERE kind = 'x'")


def downgrade():
    pass
''')
    code, found = _lint(tmp_path / "versions", "add-not-null-column-without-default")
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [("b18a0001_power.py", 10)]
    assert "job.weight" in str(found[0]["message"]) and "implicit default" in str(found[0]["message"])


def test_a_joined_update_counts_only_with_a_checked_foreign_key_after_it(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    write_revision("b18a0001_pool.py", HEAD + '''
def upgrade():
    op.execute("ALTER TABLE pool ADD COLUMN policy_id INT NOT NULL")
    op.execute("UPDATE pool INNER JOIN policy ON policy.pool_id = pool.id SET pool.policy_id = policy.id")
    op.create_foreign_key("pool_policy_fk", "pool", "policy", ["policy_id"], ["id"])


def downgrade():
    pass
''')
    assert _lint(tmp_path / "versions", "add-not-null-column-without-default") == (0, [])
    path = tmp_path / "versions" / "b18a0001_pool.py"
    path.write_text(path.read_text().replace('    op.create_foreign_key("pool_policy_fk", "pool", "policy", '
                                             '["policy_id"], ["id"])\n', ""))
    code, found = _lint(tmp_path / "versions", "add-not-null-column-without-default")
    assert code == 1 and [f["line"] for f in found] == [8]


def test_a_boolean_says_false_against_the_default_the_code_gives(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    write_revision("b18a0001_flags.py", HEAD + '''
def upgrade():
    op.add_column("recipe_set", sa.Column("waived", sa.Boolean, nullable=False))
    op.add_column("tg_user", sa.Column("notify", sa.Boolean, nullable=False, default=True))


def downgrade():
    pass
''')
    code, found = _lint(tmp_path / "versions", "add-not-null-column-without-default")
    assert code == 1 and [f["line"] for f in found] == [9]
    message = str(found[0]["message"])
    assert "tg_user.notify" in message
    assert "0 (FALSE), even in strict mode, while its Python-side default= gives new rows another value" in message


def test_enum_appended_is_silent_and_a_reordered_one_names_both_lists(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    write_revision("b18a0001_status.py", HEAD + '''
def upgrade():
    op.execute("ALTER TABLE job ADD ntasks INT AFTER ttasks, MODIFY status ENUM('New', 'Done', 'Reserved') NOT NULL")
    op.execute("ALTER TABLE recipe MODIFY status ENUM('Reserved', 'New', 'Done') NOT NULL")


def downgrade():
    op.execute("ALTER TABLE job DROP ntasks, MODIFY status ENUM('New', 'Done') NOT NULL")
    op.execute("ALTER TABLE recipe MODIFY status ENUM('New', 'Done') NOT NULL")
''')
    code, found = _lint(tmp_path / "versions", "mysql-alter-copies-table")
    assert code == 1 and [f["line"] for f in found] == [9]
    assert "from ENUM('New', 'Done') to ENUM('Reserved', 'New', 'Done')" in str(found[0]["message"])
    for version in ("5.6", "10.2"):  # before the releases that change an appended list in place
        run = run_cli("lint", tmp_path / "versions", "--no-config", "--dialect", "mysql", "--mysql-version", version,
                      "--format", "json", "--select", "mysql-alter-copies-table")
        lines = [f["line"] for f in findings_of(run, "mysql-alter-copies-table")]
        assert lines == ([8, 9] if version == "5.6" else [9])
