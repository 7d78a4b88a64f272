"""review9: what an attacker's input costs the enum no-op check of alter-column-type (precF)."""

from __future__ import annotations

from pathlib import Path

from conftest import hang_guard, run_cli


def test_an_enum_of_many_values_is_judged_in_linear_time(tmp_path: Path) -> None:
    """The enum name was read with ``ENUM\\(.*\\bname=...`` over the type's text, which backtracks over the whole
    text at every ``ENUM(``: an ``sa.Enum`` of 10,000 values spelled ``"enum("`` took 18 s on main (0.8 s before
    precF). The text is searched twice, forward, now; the change of type is still reported."""

    values = ", ".join(['"enum("'] * 20_000)
    revision = tmp_path / "0001_enum.py"
    revision.write_text(
        '"""enum\n\nRevision ID: 0001\nRevises:\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        'revision = "0001"\ndown_revision = None\n\n\n'
        f'def upgrade():\n    op.alter_column("jobs", "state", existing_type=sa.String(20), type_=sa.Enum({values}))\n\n\n'
        "def downgrade():\n    pass\n"
    )

    with hang_guard(20, "alter-column-type's enum name is not read in linear time"):
        run = run_cli("lint", revision, "--format", "json", "--no-config", "--select", "alter-column-type",
                      "--fail-on", "never")
    assert [(f["rule"], f["line"]) for f in run.json()["findings"]] == [("alter-column-type", 14)]
