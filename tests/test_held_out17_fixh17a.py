"""Branch fixH17a, held-out-17 #16, #50, #51 (neutron-fwaas): a contract-branch revision runs once no release
that uses what it removes or renames is left, so the drop and rename rules do not claim that the application
version still running fails. The projects are fixtures/rules/<rule>/{safe,bad}_contract_branch and their
expand-branch twins bad_expand_branch; the branch itself is decided by migcheck.vocabulary.branches."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.vocabulary.branches import phase
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration, read_header

RUNNING = "still running"


def _revision(folder: str, revision: str, down: str | tuple[str, ...] | None, labels: str = "None") -> Migration:
    header = read_header(ast.parse(textwrap.dedent(f"""
        from netapp.db.migration import cli
        revision = {revision!r}
        down_revision = {down!r}
        branch_labels = {labels}
        """)))
    assert header is not None
    return Migration(path=Path(folder) / f"{revision}.py", revision=revision, down_revisions=header.down_revisions,
                     branch_labels=header.branch_labels, label_names=header.label_names)


def _phases(*migrations: Migration) -> dict[str, str | None]:
    graph = RevisionGraph.build(migrations)
    return {m.revision: phase(graph, m) for m in migrations}


def test_a_label_on_the_start_of_the_line_decides_for_every_revision_above_it() -> None:
    """neutron: ``branch_labels = (cli.CONTRACT_BRANCH,)`` on the first revision only; keystone: a literal."""
    found = _phases(
        _revision("v", "base", None),
        _revision("v", "c1", "base", "(cli.CONTRACT_BRANCH,)"),
        _revision("v", "c2", "c1"),
        _revision("v", "c3", "c2"),
        _revision("v", "e1", "base", "('expand',)"),
        _revision("v", "e2", "e1"),
    )
    assert found == {"base": None, "c1": "contract", "c2": "contract", "c3": "contract", "e1": "expand",
                     "e2": "expand"}


def test_other_labels_branch_points_and_merges_end_the_walk() -> None:
    found = _phases(
        _revision("v", "base", None),
        _revision("v", "c1", "base", "('contract',)"),
        _revision("v", "x1", "c1", "('audit',)"),  # another branch starts on the contract line
        _revision("v", "x2", "x1"),
        _revision("v", "u1", "c1"),  # c1 has two children: u1 starts a line of its own, unlabelled
        _revision("v", "m1", ("x2", "u1")),
        _revision("v", "k1", "base", "(cli.SOME_BRANCH,)"),  # an expression naming neither
    )
    assert found == {"base": None, "c1": "contract", "x1": None, "x2": None, "u1": None, "m1": None, "k1": None}


def test_the_folder_decides_when_no_label_does() -> None:
    """``versions/<release>/contract/`` without labels on the line (keystone's later revisions, read alone)."""
    found = _phases(_revision("versions/bobcat/contract", "c9", None), _revision("versions/bobcat", "p9", None),
                    _revision("versions/bobcat/expand", "e9", None))
    assert found == {"c9": "contract", "p9": None, "e9": "expand"}


def test_the_header_keeps_the_dotted_names_of_expression_labels() -> None:
    header = read_header(ast.parse("import cli\nrevision = 'a'\ndown_revision = None\n"
                                   "branch_labels = (cli.CONTRACT_BRANCH, other.x.EXPAND_BRANCH)\n"))
    assert header is not None and header.label_names == ("cli.CONTRACT_BRANCH", "other.x.EXPAND_BRANCH")


def _lint(case: Path, rule: str) -> list[dict[str, str]]:
    run = run_cli("lint", case, "--format", "json", "--no-config", "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return [f for f in run.json()["findings"] if f["rule"] == rule]


@pytest.mark.parametrize("rule", ["drop-table", "drop-column"])
def test_a_drop_on_the_contract_branch_is_an_info_about_the_data_only(rule: str) -> None:
    [found] = _lint(FIXTURES / "rules" / rule / "bad_contract_branch", rule)
    assert found["severity"] == "info" and RUNNING not in found["message"], found
    assert "contract-branch revision" in found["message"] and "for good" in found["message"]
    [twin] = _lint(FIXTURES / "rules" / rule / "bad_expand_branch", rule)
    assert twin["severity"] == "error" and RUNNING in twin["message"]


@pytest.mark.parametrize("rule", ["rename-column", "rename-table"])
def test_a_rename_on_the_contract_branch_is_silent_and_on_the_expand_branch_reported(rule: str) -> None:
    assert _lint(FIXTURES / "rules" / rule / "safe_contract_branch", rule) == []
    [twin] = _lint(FIXTURES / "rules" / rule / "bad_expand_branch", rule)
    assert twin["severity"] == "warning" and RUNNING in twin["message"]


def test_a_drop_copied_whole_first_is_silent_on_the_contract_branch(write_revision, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_revision("c1.py", '''
        from alembic import op
        revision = "c1"
        down_revision = None
        branch_labels = ("contract",)
        def upgrade():
            op.execute("INSERT INTO archive SELECT * FROM legacy")
            op.drop_table("legacy")
        ''', tmp_path / "versions" / "r1")
    assert _lint(tmp_path / "versions", "drop-table") == []


def test_drop_schema_and_drop_not_null_keep_only_what_holds_on_the_contract_branch(  # type: ignore[no-untyped-def]
        write_revision, tmp_path: Path) -> None:
    body = '''
        from alembic import op
        import sqlalchemy as sa
        revision = "c1"
        down_revision = None
        def upgrade():
            op.execute("DROP SCHEMA legacy CASCADE")
            op.alter_column("t", "c", nullable=True, existing_type=sa.Integer(), existing_nullable=False)
        def downgrade():
            op.alter_column("t", "c", nullable=False, existing_type=sa.Integer(), existing_nullable=True)
        '''
    write_revision("c1.py", body, tmp_path / "contract" / "versions" / "r1" / "contract")
    write_revision("c1.py", body, tmp_path / "plain" / "versions")
    [schema] = _lint(tmp_path / "contract", "drop-schema-or-database")
    assert "every object and row in it is lost" in schema["message"] and RUNNING not in schema["message"]
    [nulls] = _lint(tmp_path / "contract", "drop-not-null")
    assert "downgrade's SET NOT NULL fails" in nulls["message"] and RUNNING not in nulls["message"]
    assert RUNNING in _lint(tmp_path / "plain", "drop-schema-or-database")[0]["message"]
    assert RUNNING in _lint(tmp_path / "plain", "drop-not-null")[0]["message"]
