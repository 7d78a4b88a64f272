"""What users see for the held-out-11 fixes of branch fixT (module-level text constants, rename pairs, env.py setup
statements left uncommitted): the messages that were untrue.

The rule-level cases are fixtures (fixtures/rules/<rule>/safe_* and their bad_* twins); this module checks
what the findings say.
"""

from __future__ import annotations

from conftest import FIXTURES, run_cli

_UNEDITED = "(both sit in a block autogenerate wrote and nobody edited)"


def _findings(case: str, rule: str) -> tuple[int, list[tuple[str, int, str]]]:
    run = run_cli("lint", FIXTURES / "rules" / rule / case, "--format", "json", "--no-config",
                  "--select", rule, "--fail-on", "error")
    return run.exit_code, sorted((f["path"].rsplit("/", 1)[-1], f["line"], f["message"])
                                 for f in run.json()["findings"])


def test_a_rename_in_an_edited_autogenerate_block_does_not_say_nobody_edited_it() -> None:
    code, found = _findings("bad_edited_autogenerate_block", "rename-as-drop-and-add")
    assert code == 1
    assert [(name, line) for name, line, _ in found] == [("0002_edited.py", 14), ("0002_edited.py", 20)]
    assert found[0][2].startswith("column orders.note is dropped and orders.comment of the same type")
    assert all(_UNEDITED not in message for _, _, message in found)


def test_a_rename_in_an_unedited_autogenerate_block_still_says_so() -> None:
    code, found = _findings("bad", "rename-as-drop-and-add")
    assert code == 1
    upgrade = [message for name, line, message in found if name == "0002_rename.py" and line == 24]
    assert upgrade and upgrade[0].endswith(_UNEDITED)


def test_a_module_level_text_constant_is_read_as_its_sql() -> None:
    run = run_cli("lint", FIXTURES / "rules" / "raw-sql-not-understood" / "safe_module_text_constant.py",
                  "--format", "json", "--no-config", "--select", "raw-sql-not-understood,unbatched-backfill",
                  "--fail-on", "warning")
    # the SQL is read: the UPDATE's WHERE is seen, nothing is left unchecked
    assert run.exit_code == 0
    assert run.json()["findings"] == []


def test_setup_statements_left_uncommitted_ask_for_a_commit_not_only_the_option() -> None:
    run = run_cli("lint", FIXTURES / "rules" / "transaction-per-migration-off" / "bad_setup_not_committed_default",
                  "--format", "json", "--no-config", "--dialect", "postgresql",
                  "--select", "transaction-per-migration-off", "--fail-on", "warning")
    assert run.exit_code == 1
    [finding] = run.json()["findings"]
    assert (finding["path"].rsplit("/", 1)[-1], finding["line"]) == ("env.py", 12)
    assert finding["message"].startswith(
        "env.py runs a statement on the connection (line 11) before context.configure() and does not commit it: "
        "SQLAlchemy 2 begins a transaction")
    assert "setting transaction_per_migration=True alone would change nothing" in finding["message"]
    assert "connection.commit()" in finding["fix"]
    assert "transaction_per_migration=True" in finding["fix"]
