from conftest import run_cli


def test_version() -> None:
    run = run_cli("--version")
    assert run.exit_code == 0
    assert run.stdout == "alembic-migcheck 0.1.0\n"  # the distribution, not the unrelated `migcheck`
