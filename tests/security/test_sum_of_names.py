"""A stranger's revision of ``{a + a + ... + 1}`` made the reading of its SQL exponential in the terms (16 terms
about a minute, 300 stalled CI; found by attack26c): each operand was read again through the constant reader.
Counted, not timed: how often one SQL text is read, at 6 and 12 terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, write_files
from migcheck.extract.python.strings import SqlStrings

SHAPES = {
    "f-string": 'op.execute(f"UPDATE t SET c = {{{terms}}}")',
    "plus": 'op.execute("UPDATE t SET c = " + {terms})',
    "percent": 'op.execute("UPDATE t SET c = %s" % ({terms}))',
    "format": 'op.execute("UPDATE t SET c = {{}}".format({terms}))',
}


def _reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, terms: int) -> int:
    body = SHAPES[shape].format(terms=" + ".join(["a"] * terms) + " + 1")
    root = write_files(tmp_path / f"{shape}{terms}", {"versions/a1.py": (
        'revision = "a1"\ndown_revision = None\nimport os\nfrom alembic import op\n\na = os.environ["X"]\n\n\n'
        f"def upgrade():\n    {body}\n\n\ndef downgrade():\n    pass\n")})
    count = [0]
    read = SqlStrings._sql_text

    def counted(self: SqlStrings, *args: object) -> object:
        count[0] += 1
        return read(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlStrings, "_sql_text", counted)
    run = run_cli("lint", root / "versions", "--no-config", "--no-cache", "--format", "json", "--fail-on", "never")
    monkeypatch.undo()
    assert run.exit_code == 0, run.stderr
    return count[0]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_sum_of_many_names_is_read_in_linear_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    shape: str) -> None:
    small, large = _reads(tmp_path, monkeypatch, shape, 6), _reads(tmp_path, monkeypatch, shape, 12)
    assert large <= 3 * small + 10, (small, large)
