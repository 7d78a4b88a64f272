"""review16 (an outside attacker's review of the held-out-12 fixes): each case fails on the code before the fix.

The revisions are in fixtures/review16/<case>/versions, written for these tests.
"""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def _found(case: str, rule: str) -> dict[tuple[str, int], dict[str, str]]:
    run = run_cli("lint", FIXTURES / "review16" / case, "--format", "json", "--no-config", "--no-cache",
                  "--dialect", "postgresql", "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.output
    return {(f["path"].rsplit("/", 1)[-1], f["line"]): f for f in run.json()["findings"]}


def test_a_column_added_if_not_exists_then_dropped_may_be_the_table_s_own() -> None:
    """ADD COLUMN IF NOT EXISTS of a column 0001 made skips (PostgreSQL: NOTICE), and the drop takes its data."""
    found = _found("add1", "drop-column")
    assert {("0002.py", 7), ("0002.py", 11)} <= set(found)
    for key in (("0002.py", 7), ("0002.py", 11)):
        assert "its data is lost" in found[key]["message"]


def test_only_the_column_itself_copied_into_a_table_that_stays_carries_its_values() -> None:
    """A derived value (IS NOT NULL, length(), md5()) is no copy; a copy into a table dropped before the column
    (same revision, or a later revision) kept nothing."""
    for case, keys in (("copy2", [("0002.py", n) for n in (9, 10, 11)]),
                       ("copy1", [("0002.py", n) for n in (12, 13, 14, 15)]),
                       ("copy3", [("0004.py", 6)])):
        found = _found(case, "drop-column")
        for key in keys:
            assert key in found, (case, key)
            assert "its data is lost" in found[key]["message"], (case, key)
            assert "copied" not in found[key]["message"], (case, key)


def test_a_not_null_column_renamed_and_added_back_stays_a_warning() -> None:
    """The old release's INSERT names only params, so secret_params (NOT NULL, no default) makes it fail."""
    found = _found("ren1", "rename-column")
    [(_, finding)] = found.items()
    assert finding["severity"] == "warning"
    assert "reads NULL where it had values" not in finding["message"]


def test_a_copy_that_selects_star_and_names_the_column_is_one_copy() -> None:
    """The copies are found through an index of their words (linear in the history); one that matches the column
    and the star is one step, read once."""
    [(key, finding)] = _found("copy_star_and_name", "drop-column").items()
    assert key == ("a3.py", 5)
    assert "its values were copied into t_backup by revision a2 (line 5)" in finding["message"]


def test_a_copy_into_a_table_an_ancestor_truncated_since_kept_nothing() -> None:
    """final review: an ancestor's TRUNCATE of the copy's target (schema-qualified) was not seen, only drops."""
    [(key, finding)] = _found("copy_emptied_later", "drop-column").items()
    assert key == ("0004.py", 6)
    assert "its data is lost" in finding["message"]


def test_a_template_reached_through_a_symlink_is_not_read(tmp_path) -> None:
    """final review: script.py.mako beside env.py that links out of the project is not read (read_regular follows
    a link); a regular one is."""
    from migcheck.sources.envinfo import read_env

    outside = tmp_path / "outside.py"
    outside.write_text("import secrets_module\n")
    env_dir = tmp_path / "project" / "migrations"
    env_dir.mkdir(parents=True)
    (env_dir / "env.py").write_text("from alembic import context\n")
    (env_dir / "script.py.mako").symlink_to(outside)
    assert read_env(env_dir / "env.py", tmp_path / "project").template is None
    (env_dir / "script.py.mako").unlink()
    (env_dir / "script.py.mako").write_text("import secrets_module\n")
    assert read_env(env_dir / "env.py", tmp_path / "project").template == env_dir / "script.py.mako"
