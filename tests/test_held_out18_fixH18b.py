"""Held-out-18 false positives (fixH18b): what each finding now says, or that it is gone, on the fixtures
written for it (fixtures/rules/<rule>/..._held-out-18 cases)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def _lint(path: Path, *extra: str) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--no-config", "--format", "json", "--fail-on", "never", *extra)
    assert run.exit_code == 0, run.stderr
    return run.json()["findings"]  # type: ignore[no-any-return]


def test_a_column_swap_names_the_type_change_not_a_data_loss() -> None:
    """#44: add id_new, fill it from id, drop id, rename id_new to id: the values and the name stay; the type the
    running release reads changes. A swap for a column filled without reading the old one still loses data."""
    found = {f["line"]: f for f in _lint(FIXTURES / "drop-column" / "bad_swap_changes_type", "--select",
                                         "drop-column")}
    assert sorted(found) == [19, 21, 23]
    for line in (19, 21):
        message = str(found[line]["message"])
        assert found[line]["severity"] == "warning"
        assert "no data is lost" in message and "type changes from String(40) to UUID()" in message
        assert "is lost" not in message.replace("no data is lost", "")
    assert found[23]["severity"] == "error" and "its data is lost" in str(found[23]["message"])
