"""Revision files in Python 2 syntax (held-out-6, sync-engine): read through a Python 3 rewrite, the graph whole.

Before, each became an ``invalid-migration-file`` error, its id was lost, its children got
``missing-down-revision`` and the history after it was not folded (columns added later were reported as
never created). Now the file is one ``python2-migration-file`` warning; its header and changes count for
the history, and no rule checks the revision itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, hang_guard, run_cli
from migcheck.sources import parallel
from migcheck.sources.load import LoadError, load_python
from migcheck.sources.python2 import python3_tree

PROJECT = FIXTURES / "python2" / "project"
RULE_CASE = FIXTURES / "rules" / "python2-migration-file" / "bad"


def _findings(*args: str | Path) -> list[dict[str, object]]:
    run = run_cli("lint", *args, "--format", "json", "--no-config", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return list(run.json()["findings"])


def test_children_of_a_python2_revision_keep_their_parent() -> None:
    findings = _findings(RULE_CASE, "--select", "missing-down-revision,multiple-heads,invalid-migration-file,"
                         "python2-migration-file")
    assert [(f["rule"], Path(str(f["path"])).name, f["line"], f["severity"]) for f in findings] == [
        ("python2-migration-file", "b2_python2.py", 10, "warning")]
    message = str(findings[0]["message"])
    assert message.startswith("Python 2 syntax (print statement, `except E, e:`): Python 3 cannot load this file")
    assert "checked none of its operations" in message


def test_the_history_after_a_python2_revision_is_folded() -> None:
    """0003 (child of the Python 2 0002) adds nickname; 0002 adds phone: neither is "never created", while the
    invoices table no revision creates still is (the bad twin)."""
    findings = _findings(PROJECT, "--select", "model-not-in-migrations,python2-migration-file,"
                         "missing-down-revision,invalid-migration-file")
    got = sorted((f["rule"], Path(str(f["path"])).name, f["line"]) for f in findings)
    assert got == [("model-not-in-migrations", "models.py", 22), ("python2-migration-file", "0002_phone.py", 10)]


def test_a_python2_warning_fails_only_at_warning_level() -> None:
    args = ("lint", RULE_CASE, "--no-config", "--select", "python2-migration-file")
    assert run_cli(*args, "--fail-on", "error").exit_code == 0
    assert run_cli(*args, "--fail-on", "warning").exit_code == 1


def test_header_only_loading_reads_python2_too(tmp_path: Path) -> None:
    """The header-only path (baselines, --base) and the full one agree; the changes are read for the history."""
    path = RULE_CASE / "versions" / "b2_python2.py"
    header = load_python(path, "postgresql", extract=False)
    full = load_python(path, "postgresql")
    assert header is not None and full is not None
    assert (header.revision, header.down_revisions) == (full.revision, full.down_revisions) == ("b2", ("a1",))
    assert full.upgrade is not None and [type(c).__name__ for c in full.upgrade_changes] == ["AddColumn"]
    assert full.python2 is not None and full.python2.line == 10


#: Python 3.12's tokenize is the C tokenizer, which refuses backticks, ``0777`` and ``<>`` outright: on 3.12 and
#: newer a file using them cannot be rewritten and stays invalid-migration-file (the rule page says so).
_TOKENIZER_312 = pytest.mark.skipif(sys.version_info >= (3, 12), reason="tokenize refuses it on Python 3.12+")


@pytest.mark.parametrize(("source", "construct"), [
    ("print 'x'\n", "print statement"),
    ("print\nprint 'a',\n", "print statement"),
    ("import sys\nprint >>sys.stderr, 'x', 1,\nprint 'y'\n", "print statement"),
    ("if True: print 'a'; print 'b'\n", "print statement"),
    ("exec 'x = 1' in {}\n", "exec statement"),
    ("try:\n    pass\nexcept (KeyError, ValueError), e:\n    pass\n", "`except E, e:`"),
    ("raise ValueError, 'no'\n", "`raise E, value`"),
    pytest.param("x = `1`\n", "backticks", marks=_TOKENIZER_312),
    ("x = ur'\\d'\n", "`ur''` string"),
    pytest.param("x = 0777\n", "octal literal without 0o", marks=_TOKENIZER_312),
    ("x = 10L\n", "long integer suffix L"),
    pytest.param("x = 1 <> 2\n", "`<>` operator", marks=_TOKENIZER_312),
])
def test_each_python2_construct_is_recognised(source: str, construct: str) -> None:
    with pytest.raises(SyntaxError):
        ast.parse(source)
    rescued = python3_tree(source)
    assert rescued is not None, source
    assert construct in rescued[1]


@pytest.mark.parametrize("source", [
    "def upgrade(:\n    pass\n",  # a genuine error: nothing of Python 2 about it
    "print 'x'\nop.drop_column('t', 'c'\n",  # Python 2 and broken as Python 2 too
    "x = (\n",
    "print('x')\n",  # valid Python 3: nothing to rewrite
])
def test_a_genuine_syntax_error_is_not_python2(source: str) -> None:
    assert python3_tree(source) is None


def test_a_genuine_syntax_error_stays_invalid(tmp_path: Path) -> None:
    broken = tmp_path / "b2.py"
    broken.write_text('revision = "b2"\ndown_revision = None\n\ndef upgrade():\n    print \'x\'\n    op.f(\n',
                      encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_python(broken, "postgresql")
    assert caught.value.message.startswith("syntax error:")


def test_lines_stay_where_they_were() -> None:
    """The rewrite keeps every line in place: the header's line numbers are the file's."""
    source = '"""doc"""\nrevision = "a"\nprint \'x\', \\\n    1\ndown_revision = "b"\n'
    rescued = python3_tree(source)
    assert rescued is not None
    lines = {node.targets[0].id: node.lineno for node in rescued[0].body  # type: ignore[attr-defined]
             if isinstance(node, ast.Assign)}
    assert lines == {"revision": 2, "down_revision": 5}


def test_the_changes_of_a_python2_revision_count_in_the_history(tmp_path: Path) -> None:
    """c3 guards CREATE TABLE users + ADD COLUMN in a try: the history says users exists, so the CREATE fails
    and the ADD COLUMN never runs (lookback.never_runs), unless the Python 2 revision b2 dropped users, which
    the history must know. The twin: a Python 2 revision that leaves users alone."""
    guarded = FIXTURES / "python2" / "guarded"
    args = ("--select", "add-not-null-column-without-default", "--dialect", "postgresql")
    got = [(Path(str(f["path"])).name, f["line"]) for f in _findings(guarded, *args)]
    assert got == [("c3_guarded.py", 12)]
    twin = tmp_path / "versions"
    twin.mkdir()
    for path in (guarded / "versions").iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name == "b2_python2.py":
            text = text.replace("print 'dropping users'", "print 'x'").replace('op.drop_table("users")', "pass")
        (twin / path.name).write_text(text, encoding="utf-8")
    assert _findings(twin, *args) == []


def test_a_python2_revision_comes_back_from_the_cache_the_same(_private_cache: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The second run reads the revision from the cache: the same warning, the same whole graph."""
    monkeypatch.setattr(parallel, "CACHE_MIN_FILES", 1)  # the cache skips a handful of files otherwise
    args = ("lint", RULE_CASE, "--format", "json", "--no-config", "--fail-on", "never")
    first = run_cli(*args)
    assert any(p.is_file() for p in _private_cache.rglob("*"))
    second = run_cli(*args)
    assert first.json()["findings"] == second.json()["findings"]
    assert "python2-migration-file" in {f["rule"] for f in second.json()["findings"]}
    assert "missing-down-revision" not in {f["rule"] for f in second.json()["findings"]}


def test_what_a_python2_revision_changes_is_what_the_history_says(tmp_path: Path) -> None:
    """a1 makes users.name NOT NULL, b2 (Python 2) makes it nullable: c3 restating the column without
    existing_nullable loses nothing, and the history knows it. The twin: b2 leaves users alone, so the
    history says NOT NULL, and c3 is reported."""
    lookback = FIXTURES / "python2" / "lookback"
    args = ("--select", "alter-column-without-existing-type", "--dialect", "mysql")
    assert _findings(lookback, *args) == []
    twin = tmp_path / "versions"
    twin.mkdir()
    for path in (lookback / "versions").iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name == "b2_python2.py":
            text = text.replace(
                'op.alter_column("users", "name", existing_type=sa.String(40), nullable=True)', "pass")
        (twin / path.name).write_text(text, encoding="utf-8")
    [finding] = _findings(twin, *args)
    assert "the column is NOT NULL (so its history says)" in str(finding["message"])


def test_a_python2_revision_is_not_checked_itself() -> None:
    """b2 drops a table (drop-table if it were checked): its only finding is the one that says it is not."""
    findings = _findings(FIXTURES / "python2" / "guarded", "--dialect", "postgresql")
    assert [f["rule"] for f in findings if Path(str(f["path"])).name == "b2_python2.py"] == ["python2-migration-file"]


def test_an_inline_comment_silences_the_python2_warning_and_others_are_left_alone(tmp_path: Path) -> None:
    """In a Python 2 revision a comment for python2-migration-file works; one for a rule that did not run
    there is neither used nor reported as unused."""
    versions = tmp_path / "versions"
    versions.mkdir()
    for path in (RULE_CASE / "versions").iterdir():
        text = path.read_text(encoding="utf-8").replace(
            "# expect: python2-migration-file", "# migcheck: ignore[python2-migration-file] -- a Python 2.7 project")
        text = text.replace('        op.drop_column("users", "age")',
                            '        op.drop_column("users", "age")  # migcheck: ignore[drop-column] -- not run here')
        (versions / path.name).write_text(text, encoding="utf-8")
    findings = _findings(tmp_path)
    assert [(f["rule"], f["suppressed"]) for f in findings if Path(str(f["path"])).name == "b2_python2.py"] == [
        ("python2-migration-file", True)]


@pytest.mark.parametrize("line", [
    "f = " + "lambda: " * 30_000 + "0",  # every NAME after a colon starts a statement: each scanned to the end
    "if a: print " + "lambda: print " * 30_000 + "0",  # a print statement after each colon
    "if a: raise E, " + "lambda: raise E, " * 30_000 + "0",  # its top-level commas, counted from each raise
])
def test_the_rewrite_is_linear_in_a_line_of_many_statements_or_edits(line: str) -> None:
    """An attacker's revision of one long line: the rewrite scanned from every statement start to the end of
    the line and copied the line once per edit, quadratic (``lambda: `` 20,000 times took 86 s on main, 200,000
    print statements after colons 110 s); one pass marks every end, comma and colon, and each line is rebuilt
    once. 400,000 characters now cost about a second."""

    with hang_guard(15, "the Python 2 rewrite is not linear"):
        python3_tree("print 'x'\n" + line + "\n")  # parses or not (nesting this deep): only its cost is tested


PEP758 = FIXTURES / "python2" / "pep758"


def test_except_a_comma_b_of_python_3_14_is_not_python_2() -> None:
    """review9: ``except A, B:`` is Python 3.14's (PEP 758) unless the evidence is Python 2's: on main every file
    here was a python2-migration-file and none was checked. A Python 3 revision (annotated) and one whose B no
    handler reads are checked as Python 3 (their drop_table found); ``except Exception, e:`` with ``log(e)`` is
    still Python 2 (the twin)."""
    findings = _findings(PEP758, "--select", "drop-table,python2-migration-file,invalid-migration-file,"
                         "missing-down-revision")
    assert [(f["rule"], Path(str(f["path"])).name, f["line"]) for f in findings] == [
        ("drop-table", "0001_pep758.py", 11), ("drop-table", "0002_pep758_plain.py", 10),
        ("python2-migration-file", "0003_python2.py", 11)]


@pytest.mark.parametrize("source", [
    pytest.param("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", id="plain"),
    pytest.param("try:\n    pass\nexcept A, B, C:\n    pass\n", id="three"),
    pytest.param("def f() -> None:\n    try:\n        pass\n    except A, e:\n        print(e)\n", id="annotated"),
])
def test_python3_tree_reads_pep758_as_python3(source: str) -> None:
    """No constructs: the tree is Python 3's (``except (A, B):``), never a Python 2 file; where the running
    interpreter parses the source itself (3.14), python3_tree gives nothing at all."""
    rescued = python3_tree(source)
    if sys.version_info >= (3, 14):
        assert rescued is None
        return
    assert rescued is not None
    tree, constructs = rescued
    assert constructs == ()
    handler = next(n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler))
    assert handler.name is None and isinstance(handler.type, ast.Tuple)


def test_except_comma_with_a_star_call_and_the_name_read_stays_python2() -> None:
    """``f(*args)`` is Python 2 as well (only ``a, *rest = ...`` is Python 3's): with ``log(e)`` reading the bound
    name, ``except Exception, e:`` is Python 2's."""
    rescued = python3_tree("def f(*args):\n    try:\n        g(*args)\n    except Exception, e:\n        log(e)\n")
    assert rescued is not None and rescued[1] == ("`except E, e:`",)


def test_python3_tree_never_rewrites_a_file_that_parses() -> None:
    """``print >>sys.stderr, "x"`` is a Python 3 expression (a tuple): the file parses, so it is not Python 2."""
    assert python3_tree('import sys\nprint >>sys.stderr, "x"\n') is None


@pytest.mark.parametrize(("source", "constructs"), [
    pytest.param("def f():\n    if 1:\n    \tx = 1\n        return x\n", 1, id="tabs-only"),
    pytest.param("def f():\n    print 'a'\n    if 1:\n    \tx = 1\n        return x\n", 2, id="print-before-tabs"),
    pytest.param("def f():\n    if 1:\n    \tx = 1\n        print x\n", 2, id="print-after-tabs"),
])
def test_tabs_are_read_as_python2_reads_them(source: str, constructs: int) -> None:
    """held-out-20 #75/#76: four spaces and a tab reach column 8 under Python 2, as 8 spaces do; Python 3
    refuses the mix (TabError) but Alembic under Python 2.7 imports the file."""
    rescued = python3_tree(source)
    assert rescued is not None
    tree, found = rescued
    assert len(found) == constructs and any("tabs" in c for c in found)
    [function] = tree.body
    assert isinstance(function, ast.FunctionDef) and isinstance(function.body[-1], ast.If | ast.Return)


def test_tabs_broken_under_python2_too_stay_invalid() -> None:
    """A tab reaching column 8 under a block indented 2 is deeper than the line after it can close."""
    assert python3_tree("def f():\n  if 1:\n\tx = 1\n    y = 2\n") is None


#: A revision Python 3 refuses only for its tabs (TabError at line 10), which Python 2 reads.
TABS_ONLY = ('import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "b2"\ndown_revision = "a1"\n\n\n'
             'def upgrade():\n    if True:\n    \top.drop_table("users")\n        op.drop_table("orders")\n\n\n'
             'def downgrade():\n    pass\n')


def _history(tmp_path: Path, sibling_body: str, head: str = "") -> Path:
    """a1 (its upgrade() is ``sibling_body``, its module starts with ``head``), then b2, the TABS_ONLY file."""
    versions = tmp_path / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_base.py").write_text(f'{head}import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "a1"\n'
                                         f'down_revision = None\n\n\ndef upgrade():\n{sibling_body}\n\n\n'
                                         f'def downgrade():\n    pass\n')
    (versions / "b2_tabs.py").write_text(TABS_ONLY)
    return versions


def _file_rules(*args: str | Path) -> tuple[int, list[tuple[str, str, int, str]]]:
    run = run_cli("lint", *args, "--no-config", "--format", "json", "--select",
                  "python2-migration-file,invalid-migration-file,drop-table,missing-down-revision")
    found = [(f["rule"], Path(str(f["path"])).name, f["line"], f["severity"]) for f in run.json()["findings"]
             if not f["suppressed"]]
    return run.exit_code, found


@pytest.mark.parametrize(("body", "head"), [
    pytest.param("    print 'creating users'\n    op.create_table('users')", "", id="print-statement"),
    pytest.param("    try:\n        op.create_table('users')\n    except Exception, e:\n        raise RuntimeError(e)", "",
                 id="except-comma"),
    pytest.param("    for name, kind in {'users': 1}.iteritems():\n        op.create_table(name)", "", id="iteritems"),
    pytest.param("    for i in xrange(2):\n        op.create_table('t%d' % i)", "", id="xrange"),
    pytest.param("    op.create_table(urlparse.urlparse('x').path)", "import urlparse\n", id="python2-module"),
])
def test_tabs_in_a_python2_history_stay_a_python2_warning(tmp_path: Path, body: str, head: str) -> None:
    """held-out-20's assembl runs Python 2.7 (``.iteritems()`` in eleven revisions): its two revisions with tabs
    Python 3 refuses are Python 2 files, a warning (exit 0), as any other revision showing Python 2 makes them."""
    code, found = _file_rules(_history(tmp_path, body, head))
    assert code == 0
    assert ("python2-migration-file", "b2_tabs.py", 11, "warning") in found
    assert not [f for f in found if f[0] == "invalid-migration-file"]


@pytest.mark.parametrize(("body", "head"), [
    pytest.param("    op.create_table('users')", "", id="nothing"),
    pytest.param("    op.execute(u'CREATE TABLE users (id int)')", "from __future__ import print_function\n",
                 id="u-strings-and-future"),
    pytest.param("    op.execute(unicode('CREATE TABLE users (id int)'))",
                 "try:\n    unicode\nexcept NameError:\n    unicode = str\n", id="code-for-both"),
    pytest.param("    op.create_table(StringIO().getvalue())",
                 "try:\n    from StringIO import StringIO\nexcept ImportError:\n    from io import StringIO\n",
                 id="guarded-import"),
    pytest.param("    def file(name):\n        return name\n    op.create_table(file('users'))", "", id="bound-builtin"),
])
def test_tabs_in_a_python3_history_are_an_invalid_file(tmp_path: Path, body: str, head: str) -> None:
    """Review (sec21): the same file in a history that shows no Python 2 (``u''`` strings, ``from __future__``,
    code written for both say nothing) is refused by the Python 3 that runs alembic: an error, not a warning that
    exits 0. It stays in the graph (its child is not missing its parent) and is not checked itself."""
    code, found = _file_rules(_history(tmp_path, body, head))
    assert code == 1
    assert found == [("invalid-migration-file", "b2_tabs.py", 11, "error")]


def test_a_tab_error_file_named_alone_is_judged_by_its_siblings(tmp_path: Path) -> None:
    """Linted alone (pre-commit), the revisions beside it are context: they still say which Python runs."""
    versions = _history(tmp_path, "    print 'creating users'\n    op.create_table('users')")
    assert _file_rules(versions / "b2_tabs.py") == (0, [("python2-migration-file", "b2_tabs.py", 11, "warning")])
    versions = _history(tmp_path / "py3", "    op.create_table('users')")
    assert _file_rules(versions / "b2_tabs.py") == (1, [("invalid-migration-file", "b2_tabs.py", 11, "error")])


def test_a_tab_error_can_be_suppressed_on_its_line(tmp_path: Path) -> None:
    versions = _history(tmp_path, "    op.create_table('users')")
    path = versions / "b2_tabs.py"
    lines = path.read_text().splitlines()
    lines[10] += "  # migcheck: ignore[invalid-migration-file] -- Python 2 project, env.py says so"
    path.write_text("\n".join(lines) + "\n")
    assert _file_rules(versions) == (0, [])
