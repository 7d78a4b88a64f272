"""Held-out-23 (issue #16, precision), helper fixH23a: what env.py and the project's conventions say.

#127: ``transaction_per_migration = True`` at env.py's module level, passed by name to ``context.configure()``.
#102, #103: Alembic's multidb template with the default engine name ``''`` runs ``upgrade_()`` /
``downgrade_()``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli

_REVISION = """
    import sqlalchemy as sa
    from alembic import op

    revision = "{rev}"
    down_revision = {down}


    def upgrade():
        op.add_column("t", sa.Column("c", sa.Integer(), nullable=True))


    def downgrade():
        op.drop_column("t", "c")
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def _findings(root: Path, rule: str, dialect: str = "postgresql") -> list[str]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", rule)
    assert run.exit_code in (0, 1), run.stderr
    return sorted(f"{Path(f['path']).name}:{f['line']}:{f['rule']}" for f in run.json()["findings"])


_ENV = """
    from alembic import context
    from sqlalchemy import engine_from_config, pool

    config = context.config
    transaction_per_migration = {value}


    def run_migrations_online():
        connectable = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                                         poolclass=pool.NullPool)
        with connectable.connect() as connection:
            context.configure(
                connection=connection,
                transaction_per_migration=transaction_per_migration,
            )
            with context.begin_transaction():
                context.run_migrations()


    run_migrations_online()
"""


_BACKFILL = """
    from alembic import op

    revision = "0002"
    down_revision = "0001"


    def upgrade():
        op.execute("UPDATE t SET c = 0 WHERE c IS NULL")


    def downgrade():
        pass
"""


def _env_project(root: Path, value: str) -> Path:
    return _write(root, {"alembic.ini": "[alembic]\nscript_location = alembic\n",
                         "alembic/env.py": _ENV.format(value=value),
                         "alembic/versions/0001_add.py": _REVISION.format(rev="0001", down="None"),
                         "alembic/versions/0002_backfill.py": _BACKFILL})


def test_transaction_per_migration_from_a_module_constant(tmp_path: Path) -> None:
    """#127: the module-level name bound once to True is what configure() gets: each revision commits alone."""
    assert _findings(_env_project(tmp_path / "on", "True"), "transaction-per-migration-off") == []


def test_transaction_per_migration_off_from_a_module_constant_still_reported(tmp_path: Path) -> None:
    assert _findings(_env_project(tmp_path / "off", "False"), "transaction-per-migration-off") == [
        "env.py:13:transaction-per-migration-off"]


def test_transaction_per_migration_from_a_name_bound_twice_is_not_trusted(tmp_path: Path) -> None:
    """A name env.py binds again is not known to hold the first value: as before, not read as True."""
    root = _env_project(tmp_path / "twice", "True\n    if config.get_main_option('one_transaction'):\n"
                                            "        transaction_per_migration = False")
    assert _findings(root, "transaction-per-migration-off") == ["env.py:15:transaction-per-migration-off"]


_MULTIDB = """
    import sqlalchemy as sa
    from alembic import op

    revision = "0001"
    down_revision = None


    def upgrade(engine_name: str = "") -> None:
        globals().get(f"upgrade_{engine_name}", lambda: None)()


    def downgrade(engine_name: str = "") -> None:
        globals()[f"downgrade_{engine_name}"]()


    def upgrade_() -> None:
        op.add_column("t", sa.Column("c", sa.Integer(), nullable=False))


    def downgrade_() -> None:
        op.drop_column("t", "c")
"""


def test_the_default_engine_of_the_multidb_template_is_read(tmp_path: Path) -> None:
    """#102, #103: ``upgrade_()`` is the default engine's (``''``) function: read, not an unread step; its
    steps are judged as any other."""
    root = _write(tmp_path / "multi", {"versions/0001_multi.py": _MULTIDB})
    assert _findings(root, "raw-sql-not-understood,add-not-null-column-without-default") == [
        "0001_multi.py:18:add-not-null-column-without-default"]


_BRANCH_ROOT = """
    {imports}

    revision = "c000"
    down_revision = "base"
    branch_labels = ({label},)


    def upgrade():
        pass
"""

_BASE = """
    import sqlalchemy as sa
    from alembic import op

    revision = "base"
    down_revision = None


    def upgrade():
        op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))
"""

_DROP_PK = """
    from alembic import op

    revision = "c001"
    down_revision = "c000"


    def upgrade():
        op.drop_constraint("PRIMARY", "t", type_="primary")
"""


def _contract_project(root: Path, imports: str, label: str) -> Path:
    return _write(root, {"versions/base.py": _BASE,
                         "versions/pike/contract/c000_start.py": _BRANCH_ROOT.format(imports=imports, label=label),
                         "versions/pike/contract/c001_drop_pk.py": _DROP_PK})


def test_a_copy_on_neutrons_contract_branch_blocks_no_writes(tmp_path: Path) -> None:
    """#95, #96: neutron-db-manage runs the contract branch (labelled with its ``CONTRACT_BRANCH``) with every
    neutron-server stopped: the table is still copied, but no application write waits for it."""
    root = _contract_project(tmp_path / "neutron", "from neutron.db.migration import cli", "cli.CONTRACT_BRANCH")
    assert _findings(root, "mysql-alter-copies-table", "mysql") == []


def test_a_copy_on_another_contract_branch_is_still_reported(tmp_path: Path) -> None:
    """A contract branch of another tool (keystone runs its contract while the new release serves), or one known
    only by its folder, may run under writes: the copy still blocks them."""
    keystone = _contract_project(tmp_path / "keystone", "", "'contract'")
    assert _findings(keystone, "mysql-alter-copies-table", "mysql") == ["c001_drop_pk.py:9:mysql-alter-copies-table"]
    other = _contract_project(tmp_path / "other", "from myapp import branches", "branches.CONTRACT_BRANCH")
    assert _findings(other, "mysql-alter-copies-table", "mysql") == ["c001_drop_pk.py:9:mysql-alter-copies-table"]


_MAKO = '''"""${message}

Revision ID: ${up_revision}
"""

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}

from alembic import op
import sqlalchemy as sa


def upgrade():
    ${upgrades if upgrades else "pass"}
'''

_UPGRADE_ONLY = """
    import sqlalchemy as sa
    from alembic import op

    revision = "{rev}"
    down_revision = {down}


    def upgrade():
        op.add_column("t", sa.Column("c{rev}", sa.Integer(), nullable=True))
"""


def _upgrade_only_project(root: Path, template: str, downgrade_in_first: bool = False) -> Path:
    first = _UPGRADE_ONLY.format(rev="0001", down="None")
    if downgrade_in_first:
        first += '\n\n    def downgrade():\n        op.drop_column("t", "c0001")\n'
    return _write(root, {"alembic.ini": "[alembic]\nscript_location = alembic\n",
                         "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
                         "alembic/script.py.mako": template,
                         "alembic/versions/0001_a.py": first,
                         "alembic/versions/0002_b.py": _UPGRADE_ONLY.format(rev="0002", down="'0001'")})


def test_an_upgrade_only_history_by_convention_has_no_missing_downgrade(tmp_path: Path) -> None:
    """#73, #74, #75: the template writes no downgrade() and no revision has one (neutron-db-manage refuses to
    downgrade): the advice to write one cannot be followed by the tool that runs the history."""
    assert _findings(_upgrade_only_project(tmp_path / "p", _MAKO), "missing-downgrade") == []


def test_missing_downgrade_is_kept_where_the_project_writes_downgrades(tmp_path: Path) -> None:
    """A template that writes ``def downgrade()``, or one revision that has one, says the project downgrades."""
    with_template = _upgrade_only_project(tmp_path / "t", _MAKO + "\n\ndef downgrade():\n    pass\n")
    assert _findings(with_template, "missing-downgrade") == [
        "0001_a.py:5:missing-downgrade", "0002_b.py:5:missing-downgrade"]
    one_has_it = _upgrade_only_project(tmp_path / "r", _MAKO, downgrade_in_first=True)
    assert _findings(one_has_it, "missing-downgrade") == ["0002_b.py:5:missing-downgrade"]


_TWO_ENVIRONMENTS = """\
[DEFAULT]
script_location = %(here)s/alembic
version_table = alembic_version

[main]
version_locations = %(here)s/alembic/main

[static]
version_locations = %(here)s/alembic/static

[loggers]
keys = root
"""

_STEP = """
    from alembic import op

    revision = "{rev}"
    down_revision = {down}


    def upgrade():
        op.execute("SELECT 1")


    def downgrade():
        pass
"""


def _two_environments(root: Path, ini: str = _TWO_ENVIRONMENTS) -> Path:
    """Two histories run by one env.py (``alembic --name=main`` / ``--name=static``): each has the id 0002, on
    its own line; main also has 0003."""
    return _write(root, {
        "alembic.ini": ini,
        "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "alembic/main/0001_m.py": _STEP.format(rev="m001", down="None"),
        "alembic/main/0002_log.py": _STEP.format(rev="0002", down="'m001'"),
        "alembic/main/0003_more.py": _STEP.format(rev="m003", down="'0002'"),
        "alembic/static/0001_s.py": _STEP.format(rev="s001", down="None"),
        "alembic/static/0002_log.py": _STEP.format(rev="0002", down="'s001'"),
    })


def _graph_findings(path: Path) -> list[str]:
    run = run_cli("lint", path, "--no-config", "--no-cache", "--format", "json",
                  "--select", "duplicate-revision-id,multiple-heads,missing-down-revision")
    assert run.exit_code in (0, 1), run.stderr
    return sorted(f"{Path(f['path']).parent.name}/{Path(f['path']).name}:{f['rule']}" for f in run.json()["findings"])


def test_the_named_environments_of_one_alembic_ini_are_separate_histories(tmp_path: Path) -> None:
    """#64, #65, #89-#91: an alembic.ini without [alembic] whose [main] and [static] sections each set their
    version locations (over a [DEFAULT] script location) holds two environments, each one history: the id both
    use is no duplicate, and each has one head. Linted as its folder, as a folder above it and as the alembic.ini alike."""
    root = _two_environments(tmp_path / "proj")
    assert _graph_findings(root) == []
    assert _graph_findings(root / "alembic.ini") == []
    outer = tmp_path / "outer"
    _two_environments(outer / "commons")
    assert _graph_findings(outer) == []


def test_one_environment_reading_both_locations_still_has_the_duplicate(tmp_path: Path) -> None:
    """An [alembic] section whose version locations are both folders is one history: 0002 twice, two heads."""
    ini = "[alembic]\nscript_location = %(here)s/alembic\nversion_locations = %(here)s/alembic/main " \
          "%(here)s/alembic/static\n"
    root = _two_environments(tmp_path / "proj", ini)
    found = _graph_findings(root)
    assert "main/0002_log.py:duplicate-revision-id" in found or "static/0002_log.py:duplicate-revision-id" in found
    assert any(f.endswith(":multiple-heads") for f in found)
