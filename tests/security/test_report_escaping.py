"""Threat: a pull request plants names that rewrite the report around them.

Table, index and revision names, revision messages and file names come from the linted tree.
Whatever they hold, each medium must show them as text: the terminal runs no escape sequence,
the GitHub log runs no workflow command, the job summary renders no heading, link, image or HTML
that migcheck did not write (checked with cmark-gfm, GitHub's own renderer), and SARIF/JSON stay
valid for strict readers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import jsonschema
import pytest
from cmarkgfm.cmark import Options

from migcheck.guard import escape

ROOT = Path(__file__).resolve().parents[2]
# The official schema, kept in the repository (tests/schemas/README.md).
SARIF_SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"

# Names a hostile revision uses: markdown structure, HTML, autolinks, a closing fence, backtick
# runs that pair differently from a naive regex, terminal escapes (colour, OSC window title,
# bell), a lone surrogate, and both GitHub workflow-command syntaxes.
EVIL_TABLE = "orders\n# Injected heading\n![img](https://evil.example/x.png)\n::error::forged"
EVIL_INDEX = "ix`` `|` <img src=x onerror=alert(1)> [link](https://evil.example) www.evil.example ```"
EVIL_DROPPED = "t\x1b]0;pwned\x07\x1b[31mred\x9b2J ##[error]forged \u202egnp.exe"
EVIL_FIX_TABLE = "x\n```\n</details>\n<script>alert(1)</script>\n```"
EVIL_MESSAGE = "Add `orders` index\n\n# Heading\n<details open><summary>x</summary>"

REVISION = f'''\
"""{EVIL_MESSAGE}

Revision ID: a1b2
Revises:
"""
from alembic import op

revision = "a1b2"
down_revision = None


def upgrade():
    op.create_index({EVIL_INDEX!r}, {EVIL_TABLE!r}, ["c"])
    op.drop_table({EVIL_DROPPED!r})
    op.drop_table("sur\\ud800rogate")
    op.drop_column({EVIL_FIX_TABLE!r}, "c")


def downgrade():
    pass
'''

FILE_NAME = "a1b2_`` ``_x|y.py"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    versions = root / "versions"
    versions.mkdir()
    (versions / FILE_NAME).write_text(REVISION, encoding="utf-8")
    return root


def lint(project: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "", "FORCE_COLOR": "", "MIGCHECK_CACHE_DIR": str(project / ".cache"),
           "PYTHONPATH": str(ROOT / "src")}  # this checkout's code, whatever the working directory
    env.pop("GITHUB_SERVER_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", "versions", "--no-cache", *args],
        cwd=cwd or project, capture_output=True, env=env, timeout=120, check=False,
    )


def assert_no_workflow_command(output: str, allowed_prefixes: tuple[str, ...] = ()) -> None:
    """No line the Actions runner would run: ``::cmd::`` at a line's start, ``##[cmd]`` anywhere."""
    for line in output.splitlines():
        stripped = line.lstrip()
        if allowed_prefixes and stripped.startswith(allowed_prefixes):
            continue
        assert not stripped.startswith("::"), line
        assert "##[" not in line, line


def assert_no_controls(output: str) -> None:
    bad = [c for c in output if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, f"raw control characters reached the output: {bad!r}"
    assert "\u202e" not in output


def test_text_report_shows_hostile_names_as_text(project: Path) -> None:
    run = lint(project)
    out, err = run.stdout.decode("utf-8"), run.stderr.decode("utf-8")
    assert run.returncode == 1, err
    assert "Traceback" not in err
    assert_no_controls(out)
    assert_no_workflow_command(out)
    assert "\\x1b]0;pwned\\x07" in out  # shown, not run
    assert "sur\\ud800rogate" in out
    assert "drop-table" in out and "create-index-not-concurrently" in out


def test_github_annotations_cannot_forge_commands(project: Path) -> None:
    run = lint(project, "--format", "github")
    out = run.stdout.decode("utf-8")
    assert run.returncode == 1
    assert_no_controls(out)
    for line in out.splitlines():
        assert line.startswith(("::error ", "::warning ", "::notice ", "Found ")), line
        assert "##[" not in line
    # Only the runner's own escaping remains of the newlines: each finding stays one command.
    commands = [line for line in out.splitlines() if line.startswith("::")]
    findings = json.loads(lint(project, "--format", "json").stdout)["findings"]
    assert len(commands) == len([f for f in findings if not f["suppressed"]])
    assert "forged" in out and "%0A::error::forged" in out


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _render_gfm(markdown: str) -> str:
    """GitHub's renderer (cmark-gfm with its extensions), raw HTML let through as GitHub allows it."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def test_job_summary_renders_no_injected_markup(project: Path) -> None:
    env_link = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc"}
    run = subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", "versions", "--no-cache", "--format", "markdown"],
        cwd=project, capture_output=True, timeout=120, check=False,
        env={**os.environ, **env_link, "MIGCHECK_CACHE_DIR": str(project / ".cache")},
    )
    markdown = run.stdout.decode("utf-8")
    assert run.returncode == 1, run.stderr
    parser = _Tags()
    parser.feed(_render_gfm(markdown))
    tags = {tag for tag, _ in parser.tags}
    ours = {"h3", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "code", "a", "details",
            "summary", "br", "pre"}
    assert tags <= ours, f"injected elements: {tags - ours}"
    assert [t for t, _ in parser.tags].count("h3") == 1
    assert [t for t, _ in parser.tags].count("details") == 2  # fixes and revisions, nothing forged
    for tag, attrs in parser.tags:
        if tag == "a":
            href = attrs.get("href") or ""
            assert href.startswith(("https://github.com/o/r/blob/abc/", "https://github.com/migcheck/")), href
        assert "onerror" not in attrs and "open" not in attrs
    # Every finding is one row of the table: no name broke a row or a cell apart.
    findings = json.loads(lint(project, "--format", "json").stdout)["findings"]
    rows = [t for t, _ in parser.tags].count("tr")
    assert rows == 1 + len([f for f in findings if not f["suppressed"]]) + 1 + 1  # + header, revisions table
    html = _render_gfm(markdown)
    assert "evil.example" in html  # shown as text...
    assert 'href="https://evil.example' not in html and 'src="https://evil.example' not in html


def test_sarif_and_json_stay_valid_for_strict_readers(project: Path) -> None:
    for fmt in ("sarif", "json"):
        run = lint(project, "--format", fmt)
        assert run.returncode == 1, run.stderr
        document = json.loads(run.stdout)

        def walk(value: object) -> None:
            if isinstance(value, str):
                value.encode("utf-8")  # raises on a lone surrogate
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(document)


@pytest.mark.parametrize("pretty", [(), ("--pretty",)])
def test_sarif_and_json_on_stdout_cannot_forge_old_style_commands(project: Path, pretty: tuple[str, ...]) -> None:
    """The runner reads ``##[error]...`` anywhere in a line of the log: a report printed there wrote a dropped
    table's name ``... ##[error]forged`` raw. Now ``#\\u0023[``, which decodes to the same text."""
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    for fmt in ("sarif", "json"):
        run = lint(project, "--format", fmt, *pretty)
        assert run.returncode == 1, run.stderr
        output = run.stdout.decode("utf-8")
        assert_no_workflow_command(output)
        assert "#\\u0023[error]forged" in output
        document = json.loads(output)
        assert "##[error]forged" in json.dumps(document, ensure_ascii=False)  # the reader sees the real name
        if fmt == "sarif":
            jsonschema.validators.validator_for(schema)(schema).validate(document)
        else:
            [dropped] = [f for f in document["findings"] if "forged" in f["message"] and f["rule"] == "drop-table"]
            assert "##[error]forged" in dropped["message"]


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    name = os.fsdecode(b"c3d4_caf\xe9.py")
    body = textwrap.dedent('''\
        revision = "c3d4"
        down_revision = None
        from alembic import op
        def upgrade():
            op.drop_table("orders")
        def downgrade():
            pass
    ''')
    (versions / name).write_text(body, encoding="utf-8")
    for fmt in ("text", "github", "markdown", "json", "sarif"):
        run = lint(tmp_path, "--format", fmt)
        assert run.returncode == 1, (fmt, run.stderr)
        assert b"Traceback" not in run.stderr
        out = run.stdout.decode("utf-8")  # strict: the report itself is valid UTF-8
        assert "drop-table" in out
    sarif = json.loads(lint(tmp_path, "--format", "sarif").stdout)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("versions/c3d4_caf%E9.py")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert not list(validator.iter_errors(sarif))


def test_stderr_lines_cannot_start_a_workflow_command(tmp_path: Path) -> None:
    """A path from a pull request's file list, passed on by a workflow, is echoed in the error."""
    run = subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", "missing\n::error title=x::forged\n##[error]also"],
        cwd=tmp_path, capture_output=True, timeout=60, check=False,
    )
    err = run.stderr.decode("utf-8")
    assert run.returncode == 2
    assert len(err.strip().splitlines()) == 1, err
    assert_no_workflow_command(err)
    assert "\\n::error" in err


@pytest.mark.parametrize(
    ("text", "rendered_text"),
    [
        ("a`b", "a`b"),
        ("``x``", "``x``"),
        ("` leading", "` leading"),
        ("pipe | inside", "pipe | inside"),
        ("line\nbreak", "line break"),
    ],
)
def test_code_spans_hold_any_backtick_run(text: str, rendered_text: str) -> None:
    html = _render_gfm(f"| a |\n| --- |\n| {escape.md_code(text)} |\n")
    parser = _Tags()
    parser.feed(html)
    assert [t for t, _ in parser.tags].count("code") == 1
    code = html.split("<code>", 1)[1].split("</code>", 1)[0]
    assert code.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&") == rendered_text


def test_fences_are_longer_than_any_run_inside() -> None:
    block = "\n".join(escape.md_fence("a\n````\n</details>\nb", "python"))
    html = _render_gfm(block + "\n\nafter")
    assert html.count("<pre") == 1 and "&lt;/details&gt;" in html and "<p>after</p>" in html


def test_names_in_fixes_are_python_literals(project: Path) -> None:
    """A fix quotes names as string literals: it stays valid Python, one line per call."""
    import ast

    findings = json.loads(lint(project, "--format", "json").stdout)["findings"]
    fix = next(f["fix"] for f in findings if f["rule"] == "create-index-not-concurrently")
    call = next(line.strip() for line in fix.splitlines() if "op.create_index(" in line)
    parsed = ast.parse(call.split("  #")[0])
    args = parsed.body[0].value.args  # type: ignore[attr-defined]
    assert [a.value for a in args[:2]] == [EVIL_INDEX, EVIL_TABLE]
