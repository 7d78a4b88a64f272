from conftest import run_cli


def test_version() -> None:
    run = run_cli("--version")
    assert run.exit_code == 0
    assert run.stdout.startswith("migcheck ")
