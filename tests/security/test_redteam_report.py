"""Names a pull request puts in its models, as they come out of migcheck's reports.

The application reader brings table and column names from model files into messages and
suggested fixes. A suggested fix that is a shell command is pasted into a shell: the name must
be quoted for the shell. The markdown report is rendered by GitHub: no name may become a link,
not even the e-mail autolink GFM makes of ``a@b.co`` despite backslash escapes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from conftest import FIXTURES, run_cli
from migcheck.guard.escape import md_message, md_text

HOSTILE = ['x$(touch MARKER)', 'x"; touch MARKER; echo "', "x'; touch MARKER; '", "x`touch MARKER`",
           "x\ntouch MARKER"]


def _shop_with_table(tmp_path: Path, table: str) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "app" / "shop", root)
    with (root / "src/shop/models/__init__.py").open("a") as init:
        init.write("from shop.models import evil\n")
    (root / "src/shop/models/evil.py").write_text(
        "import sqlalchemy as sa\nfrom shop.models.base import Base\n\n\n"
        f"class Evil(Base):\n    __tablename__ = {table!r}\n    id = sa.Column(sa.Integer, primary_key=True)\n")
    return root


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize("table", HOSTILE)
def test_suggested_alembic_command_quotes_the_table_name_for_the_shell(tmp_path: Path, table: str) -> None:
    root = _shop_with_table(tmp_path, table)
    run = run_cli("lint", root, "--format", "json", "--extend-select", "model-not-in-migrations")
    fixes = [f["fix"] for f in run.json()["findings"] if f["rule"] == "model-not-in-migrations"]
    assert len(fixes) == 1, run.json()["findings"]
    work = tmp_path / "paste"
    work.mkdir()
    # the user pastes the fix; ``alembic`` here only prints the arguments it was given
    script = 'alembic() { for a in "$@"; do printf "%s\\0" "$a"; done; }\n' + fixes[0] + "\n"
    proc = subprocess.run(["sh", "-c", script], cwd=work, capture_output=True, check=False,
                          env={**os.environ, "PATH": os.environ.get("PATH", "")})
    assert not (work / "MARKER").exists(), fixes[0]
    assert proc.stdout.decode().split("\0")[:-1] == ["revision", "--autogenerate", "-m", f"create {table}"]


def _html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


@pytest.mark.parametrize("name", ["ops@evil.example", "x:ops@evil.example/r", "mailto:a@b.co"])
def test_no_e_mail_autolink_from_escaped_text(name: str) -> None:
    row = f"| a | b |\n| --- | --- |\n| {md_message(f'table {name} is mapped')} | {md_text(name)} |\n"
    html = _html(row + "\n" + md_text(name) + "\n")
    assert "<a" not in html, html
    assert name in re.sub(r"<[^>]+>|\u2060", "", html)  # still shown, exactly


def test_markdown_report_of_a_model_named_like_an_address_has_only_migcheck_links(tmp_path: Path) -> None:
    root = _shop_with_table(tmp_path, "ops@evil.example")
    run = run_cli("lint", root, "--format", "markdown", "--extend-select", "model-not-in-migrations")
    links = re.findall(r'<a href="([^"]*)"', _html(run.stdout))
    assert links and all(link.startswith("https://github.com/migcheck/migcheck/") for link in links), links
