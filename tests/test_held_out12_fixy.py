"""What users see for the held-out-12 fixes of branch fixY: the findings that stay say only what holds (the
rule-level cases are fixtures, fixtures/rules/<rule>/safe_* and their bad_* twins)."""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def _messages(case: str, rule: str) -> tuple[int, dict[tuple[str, int], str]]:
    run = run_cli("lint", FIXTURES / "rules" / rule / case, "--format", "json", "--no-config", "--dialect",
                  "postgresql", "--select", rule, "--fail-on", "warning")
    return run.exit_code, {(f["path"].rsplit("/", 1)[-1], f["line"]): f["message"]
                           for f in run.json()["findings"] if f["rule"] == rule}


_RUNNING = ", and the application version still running during the deploy fails on every query that names it"


def test_a_column_copied_by_an_earlier_revision_is_not_said_to_be_lost() -> None:
    """held-out-12 #39: copr copies the private columns into copr_private one revision before dropping them. The
    drop still breaks the running release, but its data lives on; a column nothing copied, one made again after
    the copy, and one copied only in part are said to lose what they lose."""
    code, messages = _messages("bad_copied_in_an_earlier_revision", "drop-column")
    assert code == 1
    copied = "its values were copied into copr_private by revision 0002 (line 12); values written to it after " \
             "that copy are not carried over" + _RUNNING
    assert messages[("0004_drop.py", 12)] == f"column copr.webhook_secret is dropped: {copied} " \
                                             "(SQLAlchemy selects every mapped column)"
    assert messages[("0004_drop.py", 13)].startswith(f"column copr.scm_api_auth_json is dropped: {copied}")
    assert messages[("0004_drop.py", 14)].startswith(f"column copr.notes is dropped: its data is lost{_RUNNING}")
    assert messages[("0004_drop.py", 15)].startswith(f"column copr.token is dropped: its data is lost{_RUNNING}")
    assert messages[("0004_drop.py", 16)].startswith(
        "column user.mail is dropped: its values were written into user_private by revision 0002 (line 14); rows "
        "that statement left out, and values written to it after that copy, are not carried over" + _RUNNING)


def test_a_column_copied_earlier_in_the_same_upgrade_is_not_said_to_be_lost() -> None:
    code, messages = _messages("bad_copied_in_the_same_revision.py", "drop-column")
    assert code == 1
    file = "bad_copied_in_the_same_revision.py"
    assert messages[(file, 12)].startswith("column copr.webhook_secret is dropped: its values were first copied into "
                                           "copr_private (line 11), so they are not lost, but the application version")
    assert messages[(file, 13)].startswith(f"column copr.api_token is dropped: its data is lost{_RUNNING}")
    assert messages[(file, 16)].startswith("column copr.label_id is dropped: its values were first copied into "
                                           "copr_label (line 15), so they are not lost, but")


def test_dropping_the_current_version_table_is_an_error_of_its_own() -> None:
    """held-out-12 #47's twin: a retired configuration's version table is dropped silently, but the one env.py
    records this history in (``version_table=VERSION_TABLE``) is reported for what it breaks, not for lost rows."""
    code, messages = _messages("bad_own_version_table", "drop-table")
    assert code == 1
    assert messages[("0002_drop_old_config.py", 13)].startswith(
        "table alembic_version_app is the version table env.py has Alembic record the applied revisions in: "
        "Alembic's own UPDATE of it after this upgrade fails")
    assert messages[("0002_drop_old_config.py", 14)].startswith("table alembic_report_version is dropped: its rows are lost")


def test_a_renamed_column_whose_name_is_added_again_is_not_said_to_break_reads() -> None:
    """held-out-12 #93: after ``params`` -> ``secret_params`` and a new ``params`` in the same transaction the
    running release still finds ``params``; the info says its values moved. With a COMMIT in between, the
    warning stays."""
    run = run_cli("lint", FIXTURES / "rules" / "rename-column" / "bad_renamed_and_readded.py", "--format", "json",
                  "--no-config", "--dialect", "postgresql", "--select", "rename-column", "--fail-on", "warning")
    assert run.exit_code == 1
    found = {f["line"]: (f["severity"], f["message"]) for f in run.json()["findings"]}
    assert found[13] == ("info", "column runs_notifications.params is renamed to secret_params and a new, empty params "
                         "column is added in its place (line 15): the application version still running finds "
                         "params, but reads NULL where it had values, which are now in secret_params")
    assert found[16][0] == "warning"
    # held-out-27 #128: the new config comes in another transaction, a moment without the column, then NULLs
    assert found[16][1].startswith("column runs.config is renamed to secret_config and a new config column is added "
                                   "in its place (line 18), but they do not run in one transaction: in the moment "
                                   "between them the application version still running finds no config")


def test_a_primary_key_on_a_serial_column_needs_no_not_null_scan() -> None:
    """held-out-12 #14, #15: a SERIAL column is NOT NULL from the start; only the index build is said."""
    code, messages = _messages("bad_serial_key_column.py", "add-primary-key-to-existing-table")
    assert code == 1
    file = "bad_serial_key_column.py"
    assert messages[(file, 13)] == "primary key build_chroot_pkey on existing table build_chroot builds its unique " \
                                   "index, while an ACCESS EXCLUSIVE lock blocks every read and write"
    assert messages[(file, 15)] == "primary key copr_chroot_pkey on existing table copr_chroot builds its unique " \
                                   "index, and sets its columns NOT NULL with a scan, while an ACCESS EXCLUSIVE lock " \
                                   "blocks every read and write"


def test_a_type_change_in_an_autogenerate_block_gets_no_note_about_data_that_may_go() -> None:
    """held-out-12 #24-#27: the autogenerate note (whether this data may go, renames as drop + add) is not about
    a type change."""
    code, messages = _messages("bad_in_autogenerate_block.py", "alter-column-type")
    assert code == 1
    message = messages[("bad_in_autogenerate_block.py", 13)]
    assert message.endswith("under an ACCESS EXCLUSIVE lock, blocking every read and write until it ends")
    assert "autogenerate" not in message
