"""Rolling-deploy safety and model drift against real git histories of a small application.

``fixtures/app/shop`` is the application as released on ``main`` (models in a src/ layout package
that re-exports them, a mixin column, ``Column("legacy_flag")`` under the attribute ``flag``, an
imperative ``Table``); each test commits it, changes it on a branch and lints with ``--base main``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, Run, run_cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pull-request mode needs the git command")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
ACCOUNT = Path("src/shop/models/account.py")


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return proc.stdout.strip()


def revision(rev: str, down: str, upgrade: str, downgrade: str = "pass") -> str:
    body = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    return (f'"""revision {rev}"""\nimport sqlalchemy as sa\nfrom alembic import op\n\nrevision = "{rev}"\n'
            f'down_revision = "{down}"\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n    {downgrade}\n')


class Shop:
    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(FIXTURES / "app" / "shop", root)
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "release 1")

    def write(self, rel: str | Path, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def edit(self, rel: str | Path, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new))

    def commit(self, message: str) -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def branch(self, name: str = "feature") -> None:
        git(self.root, "checkout", "-q", "-b", name)

    def add_revision(self, rev: str, down: str, upgrade: str) -> Path:
        return self.write(f"migrations/versions/{rev}.py", revision(rev, down, upgrade))

    def lint(self, *args: str) -> Run:
        return run_cli("lint", self.root, "--format", "json", *args)


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _rules(run: Run) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], Path(f["path"]).name, f["line"]) for f in run.json()["findings"])


def _finding(run: Run, rule: str) -> dict[str, object]:
    found = [f for f in run.json()["findings"] if f["rule"] == rule]
    assert len(found) == 1, (rule, run.json()["findings"])
    return found[0]


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shop:
    made = Shop(tmp_path / "shop")
    monkeypatch.chdir(made.root)
    return made


def test_model_attribute_and_column_dropped_in_one_pr_is_an_error_under_base(shop: Shop) -> None:
    shop.branch()
    shop.edit(ACCOUNT, '    flag = sa.Column("legacy_flag", sa.Boolean)\n', "")
    path = shop.add_revision("0002", "0001", 'op.drop_column("accounts", "legacy_flag")')
    shop.commit("drop legacy_flag")
    run = shop.lint("--base", "main")
    assert run.exit_code == 1
    hit = _finding(run, "still-mapped-on-base")
    assert (Path(str(hit["path"])).name, hit["line"]) == ("0002.py", _line(path, "drop_column"))
    message = str(hit["message"])
    assert "Account.flag at src/shop/models/account.py:15 on main" in message
    assert "expand" not in message and "1. in this pull request" in str(hit["fix"])
    # reported once: drop-column leaves it to the rolling-deploy rule
    assert "drop-column" not in [f["rule"] for f in run.json()["findings"]]
    # without --base: today's drop-column error, with the hint that --base can judge it
    plain = shop.lint()
    assert plain.exit_code == 1
    drop = _finding(plain, "drop-column")
    assert drop["severity"] == "error" and "--base" in str(drop["message"])
    assert "still-mapped-on-base" not in [f["rule"] for f in plain.json()["findings"]]


def test_column_unmapped_a_release_earlier_is_not_an_error(shop: Shop) -> None:
    shop.edit(ACCOUNT, '    flag = sa.Column("legacy_flag", sa.Boolean)\n', "")
    shop.commit("release 2: stop mapping legacy_flag")
    shop.branch()
    shop.add_revision("0002", "0001", 'op.drop_column("accounts", "legacy_flag")')
    run = shop.lint("--base", "main")
    assert run.exit_code == 0, run.json()["findings"]
    drop = _finding(run, "drop-column")
    assert drop["severity"] == "warning"
    assert "neither the models at HEAD nor those on main map it" in str(drop["message"])
    assert not {"still-mapped-on-base", "still-mapped-at-head"} & {f["rule"] for f in run.json()["findings"]}


def test_drop_still_mapped_at_head_names_model_file_line_and_attribute(shop: Shop) -> None:
    shop.branch()
    path = shop.add_revision("0002", "0001", '''
        op.drop_column("accounts", "legacy_flag")
        op.drop_column("accounts", "updated_at")
        op.drop_table("audit_log")
    ''')
    run = shop.lint("--base", "main")
    found = [(f["line"], f["message"]) for f in run.json()["findings"] if f["rule"] == "still-mapped-at-head"]
    assert [line for line, _ in found] == [_line(path, "legacy_flag"), _line(path, "updated_at"),
                                          _line(path, "audit_log")]
    assert "Account.flag at src/shop/models/account.py:15" in found[0][1]
    assert "TimestampMixin.updated_at at src/shop/models/base.py:12" in found[1][1]
    assert "on Account" in found[1][1]  # the mixin's column is queried through the model
    assert "audit_log at src/shop/models/audit.py:5" in found[2][1]


def test_imperative_table_dropped_after_its_model_went_in_the_same_pr(shop: Shop) -> None:
    shop.branch()
    (shop.root / "src/shop/models/audit.py").unlink()
    shop.edit("src/shop/models/__init__.py", "from shop.models.audit import audit_log\n", "")
    shop.add_revision("0002", "0001", 'op.drop_table("audit_log")')
    run = shop.lint("--base", "main")
    hit = _finding(run, "still-mapped-on-base")
    assert "table audit_log is dropped" in str(hit["message"])
    assert "audit_log at src/shop/models/audit.py:5 on main" in str(hit["message"])


def test_table_nobody_maps_is_a_warning_and_summary_lists_it_safe(shop: Shop) -> None:
    shop.branch()
    shop.add_revision("0002", "0001", 'op.drop_table("old_reports")')
    shop.commit("drop old_reports")
    run = shop.lint("--base", "main")
    assert _finding(run, "drop-table")["severity"] == "warning"
    markdown = run_cli("lint", shop.root, "--base", "main", "--format", "markdown").stdout
    assert "Rolling-deploy safe" in markdown
    assert "| `0002` | ✅ safe |" in markdown


def test_dynamic_table_is_a_note_and_never_an_error(shop: Shop) -> None:
    shop.write("src/shop/models/tenant.py", '''\
        import os

        import sqlalchemy as sa

        from shop.models.base import Base

        stats = sa.Table(f"stats_{os.environ['TENANT']}", Base.metadata, sa.Column("id", sa.Integer, primary_key=True))
    ''')
    shop.edit("src/shop/models/__init__.py", "from shop.models.base import Base\n",
              "from shop.models.base import Base\nfrom shop.models.tenant import stats\n")
    shop.commit("tenant stats")
    shop.branch()
    shop.add_revision("0002", "0001", 'op.drop_table("stats_acme")')
    run = shop.lint("--base", "main")
    rules = {f["rule"] for f in run.json()["findings"]}
    assert not {"still-mapped-on-base", "still-mapped-at-head"} & rules
    # the table may be the dynamic one: the drop keeps today's judgement, not "mapped nowhere"
    assert _finding(run, "drop-table")["severity"] == "error"
    # the note: once, where the table is; in pull-request mode only when the branch brings it
    assert "models-not-readable" not in rules
    note = _finding(shop.lint(), "models-not-readable")
    assert note["severity"] == "info" and Path(str(note["path"])).name == "tenant.py" and note["line"] == 7


def test_not_null_column_the_running_release_does_not_insert(shop: Shop) -> None:
    shop.branch()
    shop.edit(ACCOUNT, "    age: Mapped[Optional[int]]\n", "    age: Mapped[Optional[int]]\n    tier: Mapped[str]\n")
    path = shop.add_revision("0002", "0001", '''
        op.add_column("accounts", sa.Column("tier", sa.String(10), nullable=False, server_default="free"))
        op.execute("UPDATE accounts SET tier = 'free'")
        op.alter_column("accounts", "tier", server_default=None)
        op.add_column("accounts", sa.Column("kind", sa.String(10), nullable=False, server_default="a"))
    ''')
    run = shop.lint("--base", "main")
    hit = _finding(run, "not-null-breaks-running-inserts")
    assert hit["line"] == _line(path, '"tier", sa.String')
    assert "does not map tier" in str(hit["message"]) and "removed again at line" in str(hit["message"])


def test_type_change_the_running_release_maps_differently(shop: Shop) -> None:
    shop.branch()
    path = shop.add_revision("0002", "0001",
                             'op.alter_column("accounts", "age", type_=sa.String(20), existing_type=sa.Integer())')
    run = shop.lint("--base", "main")
    hit = _finding(run, "type-differs-on-base")
    assert hit["line"] == _line(path, "alter_column")
    assert "maps it as Integer (Account.age at src/shop/models/account.py:14 on main)" in str(hit["message"])
    widened = shop.add_revision("0002", "0001",
                                'op.alter_column("accounts", "age", type_=sa.BigInteger(), existing_type=sa.Integer())')
    assert widened.exists()
    assert "type-differs-on-base" not in {f["rule"] for f in shop.lint("--base", "main").json()["findings"]}


def test_pull_request_reports_only_the_drift_it_introduced(shop: Shop) -> None:
    shop.edit(ACCOUNT, "    age: Mapped[Optional[int]]\n", "    age: Mapped[Optional[int]]\n    phone: Mapped[str | None]\n")
    shop.commit("release 2 forgot its revision")
    shop.branch()
    shop.edit(ACCOUNT, "    age: Mapped[Optional[int]]\n", "    age: Mapped[Optional[int]]\n    fax: Mapped[str | None]\n")
    run = shop.lint("--base", "main")
    drift = [f for f in run.json()["findings"] if f["rule"] == "model-not-in-migrations"]
    assert [(Path(str(f["path"])).name, f["line"]) for f in drift] == [("account.py", 15)]
    assert "accounts.fax is mapped" in str(drift[0]["message"])
    # a whole-history lint checks the rule only when asked (it is on by default with --base only); then both
    assert "model-not-in-migrations" not in {f["rule"] for f in shop.lint().json()["findings"]}
    asked = shop.lint("--extend-select", "model-not-in-migrations").json()["findings"]
    assert len([f for f in asked if f["rule"] == "model-not-in-migrations"]) == 2


def test_offline_sql_is_judged_against_the_models_too(shop: Shop, tmp_path: Path) -> None:
    sql = tmp_path / "upgrade.sql"
    sql.write_text("-- Running upgrade 0001 -> 0002\n\nALTER TABLE accounts DROP COLUMN legacy_flag;\n\n"
                   "UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';\n")
    run = run_cli("lint", shop.root, sql, "--format", "json", "--select", "still-mapped-at-head")
    hit = _finding(run, "still-mapped-at-head")
    assert Path(str(hit["path"])).name == "upgrade.sql" and hit["line"] == 3


def test_base_models_are_read_from_git_not_the_working_tree(shop: Shop) -> None:
    shop.branch()
    shop.edit(ACCOUNT, '    flag = sa.Column("legacy_flag", sa.Boolean)\n', "")
    shop.add_revision("0002", "0001", 'op.drop_column("accounts", "legacy_flag")')
    # nothing committed: HEAD's working tree no longer maps it, the merge base does
    assert _finding(shop.lint("--base", "main"), "still-mapped-on-base")


def test_symlinks_out_of_the_project_are_never_followed(shop: Shop, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(
        "import sqlalchemy as sa\nfrom shop.models.base import Base\n\n\n"
        "class Secret(Base):\n    __tablename__ = 'old_reports'\n    id = sa.Column(sa.Integer, primary_key=True)\n")
    (shop.root / "src/shop/models/secret.py").symlink_to(outside / "secret.py")
    shop.edit("src/shop/models/__init__.py", "from shop.models.base import Base\n",
              "from shop.models.base import Base\nfrom shop.models.secret import Secret\n")
    shop.commit("a symlinked model")
    shop.branch()
    shop.add_revision("0002", "0001", 'op.drop_table("old_reports")')
    run = shop.lint("--base", "main")
    # old_reports is mapped only by the file outside the project: migcheck does not see it
    assert not {"still-mapped-on-base", "still-mapped-at-head"} & {f["rule"] for f in run.json()["findings"]}


def test_history_that_starts_from_create_all_is_not_drift(shop: Shop) -> None:
    """jupyterhub's pattern: the first tables come from metadata.create_all(), revisions only alter them."""
    shop.write("migrations/versions/0001_init.py", revision("0001", "None", 'op.add_column("accounts", '
                                                                        'sa.Column("age", sa.Integer()))'))
    shop.edit("migrations/versions/0001_init.py", 'down_revision = "None"', "down_revision = None")
    rules = {f["rule"] for f in shop.lint().json()["findings"]}
    assert "model-not-in-migrations" not in rules


def test_table_dropped_and_created_again_in_the_same_revision(shop: Shop) -> None:
    shop.add_revision("0002", "0001", '''
        op.drop_table("audit_log")
        op.create_table("audit_log", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("event", sa.Text(), nullable=False))
    ''')
    rules = {f["rule"] for f in shop.lint().json()["findings"]}
    assert "still-mapped-at-head" not in rules


def test_rename_written_as_drop_and_add_in_pull_request_mode(shop: Shop) -> None:
    """Under --base the history is read for headers only, except where a rule needs it."""
    shop.branch()
    path = shop.add_revision("0002", "0001", '''
        op.add_column("audit_log", sa.Column("message", sa.Text(), nullable=False, server_default=""))
        op.drop_column("audit_log", "event")
    ''')
    run = shop.lint("--base", "main", "--extend-select", "rename-as-drop-and-add")
    hit = _finding(run, "rename-as-drop-and-add")
    assert hit["line"] == _line(path, "drop_column")
    assert "audit_log.message of the same type" in str(hit["message"])


def test_the_history_is_folded_once_for_both_drift_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """model-not-in-migrations and model-differs-from-migrations share one fold of the history (each
    folded it again before, doubling the cost on long histories)."""
    from migcheck.rules import autogen

    calls: list[int] = []
    real = autogen.build

    def counting(migrations, dialect=""):  # type: ignore[no-untyped-def]
        calls.append(len(migrations))
        return real(migrations, dialect)

    monkeypatch.setattr(autogen, "build", counting)
    run = run_cli("lint", FIXTURES / "rules" / "model-not-in-migrations" / "bad", "--format", "json",
                  "--select", "model-not-in-migrations,model-differs-from-migrations", "--fail-on", "never")
    assert "model-not-in-migrations" in run.rules()
    assert len(calls) == 1


def test_model_not_in_migrations_is_on_by_default_with_base_only(shop: Shop) -> None:
    """On every held-out set its whole-history findings were misreadings: by default it runs only where the
    base's reading cancels them, and `migcheck rules` says so."""
    shop.edit(ACCOUNT, "    age: Mapped[Optional[int]]\n", "    age: Mapped[Optional[int]]\n    phone: Mapped[str | None]\n")
    shop.commit("forgot its revision")
    assert "model-not-in-migrations" not in {f["rule"] for f in shop.lint().json()["findings"]}
    listed = {r["id"]: r for r in json.loads(run_cli("rules", "--format", "json").stdout)}
    assert listed["model-not-in-migrations"]["pull_request_only"] is True
    assert listed["model-differs-from-migrations"]["pull_request_only"] is False
    assert "(on by default with --base only)" in run_cli("rules").stdout
