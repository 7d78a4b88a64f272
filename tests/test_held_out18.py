"""Held-out-18 (tracecat c76f9b01fad7): SQL built by a helper of the revision in a loop over literal table names is
read, and a finding that says the same thing on the same line (a loop's passes) is reported once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import findings_of, run_cli

HEADER = '''
"""rls

Revision ID: a1
Revises:
"""
from alembic import op

revision = "a1"
down_revision = None

BYPASS = "app.rls_bypass"
TABLES = ["workflow", "secret"]

'''


def _lint(path: Path) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--no-config", "--dialect", "postgresql", "--format", "json", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return run.json()["findings"]  # type: ignore[no-any-return]


def test_sql_returned_by_a_helper_of_the_revision_is_read_for_each_table(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    write_revision("a1_rls.py", HEADER + '''
def _index(table: str) -> str:
    """The index every tenant table gets."""
    return f"""
        CREATE INDEX ix_{table}_tenant ON "{table}" (tenant_id)
            WHERE current_setting('{BYPASS}', true) = 'off';
    """


def upgrade() -> None:
    for table in TABLES:
        op.execute(_index(table))


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX ix_{table}_tenant")
''')
    found = _lint(tmp_path / "versions")
    rules = [(f["rule"], f["line"]) for f in found]
    assert ("raw-sql-not-understood", 25) not in rules
    indexes = [f for f in found if f["rule"] == "create-index-not-concurrently"]
    assert [f["line"] for f in indexes] == [25, 25]
    assert sorted(name for f in indexes for name in ("ix_workflow_tenant", "ix_secret_tenant")
                  if name in str(f["message"])) == ["ix_secret_tenant", "ix_workflow_tenant"]


def test_a_loop_repeating_one_unreadable_statement_is_reported_once(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    """The helper has a default argument, so migcheck does not evaluate it: one finding, not one per pass."""
    write_revision("a1_rls.py", HEADER + '''
def _enable(table: str, force: bool = False) -> str:
    return f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'


def upgrade() -> None:
    for table in TABLES:
        op.execute(_enable(table))


def downgrade() -> None:
    pass
''')
    run = run_cli("lint", tmp_path / "versions", "--no-config", "--dialect", "postgresql", "--format", "json",
                  "--fail-on", "never")
    unread = findings_of(run, "raw-sql-not-understood")
    assert [(f["line"], f["path"].endswith("a1_rls.py")) for f in unread] == [(21, True)]


def test_a_requirement_padded_with_spaces_is_read_in_linear_time(tmp_path: Path) -> None:
    """fixH18b's full-version specifier searched ``(op)?\\s*`` at every position of a run of spaces: 20,000 spaces
    took 6 s, a pull request's requirements file could stall lint for hours."""
    import subprocess
    import sys

    code = ("from migcheck.extract.models import pins; "
            "assert pins._FULL_SPECIFIER.search(' ' * 200_000 + 'x') is None")
    # linear: well under a second; quadratic (the old pattern), about ten minutes
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)


def test_majors_and_versions_agree_on_trailing_zeros(tmp_path: Path) -> None:
    from migcheck.extract.models.files import WorkingTree
    from migcheck.extract.models.pins import below_major, below_version

    answers = {}
    for spec in ("<2.0", "^1.10.4", "~=1.8", ">=1.10,<2", "==2.*", ">=2", "<2.1", "alembic<1.12.0"):
        folder = tmp_path / str(len(answers))
        folder.mkdir()
        package = "alembic" if spec.startswith("alembic") else "pydantic"
        (folder / "requirements.txt").write_text(f"{package}{spec.removeprefix('alembic')}\n", encoding="utf-8")
        answers[spec] = below_version(WorkingTree(folder), "alembic", (1, 12)) if package == "alembic" \
            else below_major(WorkingTree(folder), "pydantic", 2)
    assert answers == {"<2.0": True, "^1.10.4": True, "~=1.8": True, ">=1.10,<2": True, "==2.*": False,
                       ">=2": False, "<2.1": None, "alembic<1.12.0": True}
