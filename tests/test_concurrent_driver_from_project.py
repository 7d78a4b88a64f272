"""CONCURRENTLY after ``op.execute("COMMIT")`` when env.py names no driver (issue #16, held-out-9 h).

h's env.py reads ``sqlalchemy.url`` (``postgresql://`` with no driver) and pins ``psycopg2==2.9.10`` in
requirements/prod.txt: the driver comes from what the project installs, read as data, never from above the
linted tree and never through a symlink that leaves it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.sources.envinfo import read_env

REVISION = FIXTURES / "rules" / "concurrent-index-in-transaction" / "bad_commit_driver_unknown" / "versions"
ENV_PY = '''from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_online():
    engine = engine_from_config(config.get_section(config.config_ini_section), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''
INI = "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {url}\n"


def _project(root: Path, files: dict[str, str], url: str = "%(DB_URL)s") -> Path:
    """A project as h lays it out: alembic.ini, migrations/env.py, migrations/versions/, requirements."""
    (root / "migrations").mkdir(parents=True)
    shutil.copytree(REVISION, root / "migrations" / "versions")
    (root / "migrations" / "env.py").write_text(ENV_PY, encoding="utf-8")
    (root / "alembic.ini").write_text(INI.format(url=url), encoding="utf-8")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _lint(project: Path) -> tuple[int, dict[int, tuple[str, str, str]]]:
    run = run_cli("lint", project, "--format", "json", "--no-config", "--dialect", "postgresql",
                  "--select", "concurrent-index-in-transaction", "--fail-on", "warning")
    return run.exit_code, {f["line"]: (f["rule"], f["severity"], f["message"]) for f in run.json()["findings"]}


def test_psycopg2_pinned_in_requirements_keeps_the_commit_no_finding(tmp_path: Path) -> None:
    project = _project(tmp_path / "app", {"requirements/prod.txt": "# via pip-compile\npsycopg2==2.9.10\n"
                                                                   "sqlalchemy==2.0.25\n    # via alembic\n"})
    assert _lint(project) == (0, {})


def test_psycopg3_pinned_is_an_error_naming_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path / "app", {"requirements/prod.txt": "psycopg[binary]==3.2.3\n"})
    code, found = _lint(project)
    assert code == 1
    assert set(found) == {16, 21}
    rule, severity, message = found[16]
    assert (rule, severity) == ("concurrent-index-in-transaction", "error")
    assert message.startswith("CREATE INDEX CONCURRENTLY of ix_orders_customer_id relies on the COMMIT sent as SQL "
                              "at line 15: the project connects with psycopg (requirements/prod.txt names psycopg), "
                              "which sees the session idle")


def test_psycopg3_in_pyproject_optional_dependencies_is_an_error(tmp_path: Path) -> None:
    project = _project(tmp_path / "app", {"pyproject.toml": '[project]\nname = "app"\ndependencies = ["alembic"]\n'
                                                            '[project.optional-dependencies]\npg = ["psycopg-binary>=3"]\n'})
    code, found = _lint(project)
    assert code == 1
    assert "(pyproject.toml names psycopg)" in found[16][2]


def test_both_drivers_named_is_a_warning_saying_where(tmp_path: Path) -> None:
    project = _project(tmp_path / "app", {"requirements.txt": "psycopg2-binary\n",
                                          "pyproject.toml": '[tool.poetry.dependencies]\npsycopg = "^3.1"\n'})
    code, found = _lint(project)
    assert code == 1  # --fail-on warning
    assert {line: severity for line, (_, severity, _) in found.items()} == {16: "warning", 21: "warning"}
    assert "works only under psycopg2" in found[16][2]
    assert found[16][2].endswith("(the project's requirements name psycopg (pyproject.toml) and psycopg2 "
                                 "(requirements.txt))")


def test_a_requirements_file_symlinked_out_of_the_tree_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("psycopg2==2.9.10\n", encoding="utf-8")
    project = _project(tmp_path / "app", {})
    (project / "requirements.txt").symlink_to(outside)
    code, found = _lint(project)
    assert code == 1
    assert {line: severity for line, (_, severity, _) in found.items()} == {16: "warning", 21: "warning"}
    assert found[16][2].endswith("(neither env.py, alembic.ini nor the project's requirements name a driver)")


def test_requirements_above_the_linted_tree_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("psycopg2==2.9.10\n", encoding="utf-8")
    project = _project(tmp_path / "app", {})
    (project / "alembic.ini").unlink()
    _, found = _lint(project / "migrations")
    assert {severity for _, severity, _ in found.values()} == {"warning"}


def test_alembic_ini_naming_the_driver_decides(tmp_path: Path) -> None:
    project = _project(tmp_path / "app", {"requirements.txt": "psycopg2\n"}, url="postgresql+psycopg://app@db/app")
    code, found = _lint(project)
    assert code == 1
    assert "the project connects with psycopg (alembic.ini's sqlalchemy.url names it)" in found[16][2]


@pytest.mark.parametrize(("requirements", "runs_async", "driver"), [
    ("psycopg2==2.9.10\nsqlalchemy==2.0.25\n", False, "psycopg2"),
    ("psycopg2==2.9.10\nsqlalchemy<2.1\n", False, "psycopg2"),
    ("psycopg2==2.9.10\nsqlalchemy>=2.1\n", False, None),  # a bare postgresql:// is psycopg 3 there
    ("psycopg2==2.9.10\nsqlalchemy~=2.1.0\n", False, None),
    ("psycopg2==2.9.10\nsqlalchemy~=2.0.30\n", False, "psycopg2"),
    ("asyncpg\npsycopg2\n", False, "psycopg2"),  # asyncpg serves only an async engine
    ("asyncpg\npsycopg2\n", True, "asyncpg"),  # and psycopg2 cannot serve one
    ("asyncpg\npsycopg[binary]\n", True, None),  # both serve an async engine
    ("psycopg2\npsycopg[binary]\n", True, "psycopg"),
    ("# psycopg2 in a comment\n-r base.txt\n", False, None),
])
def test_the_driver_from_requirements(tmp_path: Path, requirements: str, runs_async: bool,
                                      driver: str | None) -> None:
    env = _project(tmp_path / "app", {"requirements.txt": requirements}) / "migrations" / "env.py"
    if runs_async:
        env.write_text("from sqlalchemy.ext.asyncio import async_engine_from_config\n"
                       "engine = async_engine_from_config({})\n", encoding="utf-8")
    info = read_env(env, tmp_path / "app")
    assert (info.runs_async, info.pg_driver) == (runs_async, driver)


def test_a_requirements_folder_of_thousands_of_names_is_not_checked_whole(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 requirement files took 4 s more (each name resolved and stat'd): the first few are read, the
    rest never looked at; the driver is still read from the first files, and the finding is the same."""
    from migcheck.extract.models.files import WorkingTree

    project = _project(tmp_path / "app", {"requirements/a.txt": "psycopg[binary]==3.2.3\n"})
    for index in range(3000):
        (project / "requirements" / f"r{index:05}.txt").symlink_to("/etc/hostname")
    checked: list[str] = []
    real = WorkingTree.is_file
    monkeypatch.setattr(WorkingTree, "is_file", lambda self, rel: checked.append(rel) or real(self, rel))
    code, found = _lint(project)
    assert (code, set(found)) == (1, {16, 21})
    assert "requirements/a.txt names psycopg" in found[16][2]
    assert len(set(checked)) < 1100


def test_the_bad_twin_a_few_requirement_files_are_all_read(tmp_path: Path) -> None:
    """The twin: below the bound every file still counts (the last of 40 names psycopg 3)."""
    files = {f"requirements/r{index:02}.txt": "sqlalchemy==2.0.25\n" for index in range(40)}
    project = _project(tmp_path / "app", {**files, "requirements/r39.txt": "psycopg==3.2.3\n"})
    code, found = _lint(project)
    assert (code, set(found)) == (1, {16, 21})
    assert "requirements/r39.txt names psycopg" in found[16][2]


def test_a_hostile_sqlalchemy_pin_does_not_hang_the_lint(tmp_path: Path) -> None:
    """``sqlalchemy x<200,000 spaces>x`` beside psycopg2: the pin's specifier was searched quadratically (40,000
    spaces took 28 s, this file about ten minutes); now the lint answers at once, the driver still psycopg2."""
    import os
    import subprocess
    import sys

    hostile = "sqlalchemy x" + " " * 200_000 + "x\n"
    project = _project(tmp_path / "app", {"requirements.txt": "psycopg2==2.9.10\n" + hostile})
    env = {**os.environ, "MIGCHECK_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "migcheck", "lint", str(project), "--format", "json", "--no-config",
                          "--dialect", "postgresql", "--select", "concurrent-index-in-transaction"],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert (run.returncode, run.stderr) == (0, "")
    assert '"findings":[]' in run.stdout.replace(" ", "")


def test_the_bad_twin_a_pin_to_sqlalchemy_2_1_still_counts(tmp_path: Path) -> None:
    """The twin: ``sqlalchemy >=  2.1`` (spaces after the operator) still makes psycopg2 unknown."""
    project = _project(tmp_path / "app", {"requirements.txt": "psycopg2==2.9.10\nsqlalchemy >=   2.1\n"})
    code, found = _lint(project)
    assert (code, set(found)) == (1, {16, 21})
    assert "SQLAlchemy is pinned to 2.1 or later" in found[16][2]


def test_a_driver_only_in_development_groups_does_not_decide(tmp_path: Path) -> None:
    """review13: psycopg 3 through SQLAlchemy's extra in the dependencies, psycopg2 in the test extra only: the
    deployed migrations run on psycopg 3, where the COMMIT is undone (before: silent, from the test extra)."""
    project = _project(tmp_path / "app", {"pyproject.toml": (
        '[project]\nname = "app"\ndependencies = ["sqlalchemy[postgresql-psycopg]>=2.0,<2.1"]\n'
        '[project.optional-dependencies]\ntest = ["psycopg2-binary"]\n')})
    code, found = _lint(project)
    assert code == 1 and set(found) == {16, 21}
    assert found[16][1] == "error"
    assert "the project connects with psycopg (pyproject.toml names psycopg)" in found[16][2]


def test_requirement_files_for_development_are_not_read_for_the_driver(tmp_path: Path) -> None:
    """Only requirements-dev.txt names psycopg2: what production installs is unknown, so the warning stays."""
    project = _project(tmp_path / "app", {"requirements-dev.txt": "psycopg2==2.9.10\n",
                                          "requirements.txt": "alembic==1.13.1\n"})
    code, found = _lint(project)
    assert code == 1 and set(found) == {16, 21}
    assert found[16][1] == "warning"


def test_the_twin_production_requirements_still_decide(tmp_path: Path) -> None:
    project = _project(tmp_path / "app", {"requirements-dev.txt": "psycopg==3.2.3\n",
                                          "requirements.txt": "psycopg2-binary==2.9.10\n"})
    assert _lint(project) == (0, {})


PIPFILE = '[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\n{packages}\n[dev-packages]\n{dev}\n'


def test_psycopg2_in_the_pipfile_packages_keeps_the_commit_no_finding(tmp_path: Path) -> None:
    """held-out-29 #34-38: a Pipenv project (Pipfile, no requirements) pins psycopg2 and SQLAlchemy 1.3; the
    warning said no requirement names a driver."""
    pipfile = PIPFILE.format(packages='psycopg2 = "~=2.9.5"  # upgraded\nsqlalchemy = "~=1.3.24"\n', dev="")
    project = _project(tmp_path / "app", {"Pipfile": pipfile, "pyproject.toml": "[tool.black]\nline-length = 79\n"})
    assert _lint(project) == (0, {})


def test_psycopg3_in_the_pipfile_packages_is_an_error_naming_the_pipfile(tmp_path: Path) -> None:
    pipfile = PIPFILE.format(packages='psycopg = {version = "==3.2.3", extras = ["binary"]}\n', dev="")
    code, found = _lint(_project(tmp_path / "app", {"Pipfile": pipfile}))
    assert (code, set(found)) == (1, {16, 21})
    assert found[16][1] == "error"
    assert "the project connects with psycopg (Pipfile names psycopg)" in found[16][2]


@pytest.mark.parametrize(("packages", "dev", "ending"), [
    ('alembic = "*"\n', 'psycopg2 = "*"\n', "(neither env.py, alembic.ini nor the project's requirements name a driver)"),
    ('psycopg2 = "*"\nsqlalchemy = ">=2.1"\n', "", "SQLAlchemy is pinned to 2.1 or later, where a bare postgresql:// "
                                                  "is psycopg 3)"),
])
def test_the_twins_a_pipfile_dev_driver_or_sqlalchemy_2_1_still_warn(tmp_path: Path, packages: str, dev: str,
                                                                     ending: str) -> None:
    code, found = _lint(_project(tmp_path / "app", {"Pipfile": PIPFILE.format(packages=packages, dev=dev)}))
    assert (code, set(found)) == (1, {16, 21})
    assert found[16][1] == "warning"
    assert found[16][2].endswith(ending)
