"""Steps mayrun27 still read as surely running, or did not read at all (attack27a).

drop-index-not-concurrently exempts a DROP INDEX when the index's table is dropped in the same upgrade by a step
that surely runs (mayrun27). Each shape below may skip that DROP TABLE while the revision completes (or never runs
it): on mayrun27 the report was empty (exit 0). The steps of a ``match`` guard, an ``except*`` handler and a
loop's ``else`` were not read at all: a DROP COLUMN there was silent. A body of a thousand ``if flag: return`` was
walked a thousand levels deep and reported "nested too deeply" instead of its steps.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, where, write_files


def _revision(upgrade: str, top: str = "") -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    # line 11 (plus the lines of `top`): the first step of the upgrade
    return ("import contextlib\nimport os\nimport sqlalchemy as sa\nfrom alembic import context, op\n"
            f"{top}\nrevision = '0001'\ndown_revision = None\n\n\ndef upgrade():\n"
            f"{up}\n\n\ndef downgrade():\n    pass\n")


def _lint(tmp_path: Path, upgrade: str, *, top: str = "", select: str = "drop-index-not-concurrently"
          ) -> tuple[int, list[tuple[str, str, int]]]:
    root = write_files(tmp_path, {"versions/0001_a.py": _revision(upgrade, top)})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", select, "--fail-on", "warning")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


_DROP = 'op.drop_index("ix_users_email", table_name="users")\n'
_FOUND = (1, [("drop-index-not-concurrently", "0001_a.py", 11)])
#: ``except*`` is Python 3.11's syntax: an older interpreter's parser refuses the revision (invalid-migration-file).
_EXCEPT_STAR = pytest.mark.skipif(sys.version_info < (3, 11), reason="except* needs Python 3.11")


@pytest.mark.parametrize("later", [
    'g = (op.drop_table("users") for _ in ["once"])',  # a generator expression never consumed runs nothing
    '[op.drop_table("users") for _ in os.environ.get("PASSES", "").split()]',
    '[op.drop_table("users") for _ in ["once"] if os.environ.get("DROP_USERS")]',
    pytest.param('try:\n    if os.environ.get("KEEP_USERS"):\n        return\nexcept* ValueError:\n    pass\n'
                 'op.drop_table("users")', marks=_EXCEPT_STAR),
    'for t in os.environ.get("X", "").split():\n    pass\nelse:\n    if os.environ.get("KEEP_USERS"):\n'
    '        return\nop.drop_table("users")',
    'from contextlib import suppress as quiet\nwith quiet(Exception):\n    op.drop_table("users")',
    'quiet = contextlib.suppress(Exception)\nwith quiet:\n    op.drop_table("users")',
], ids=["genexp", "listcomp-unknown", "listcomp-if", "try-star-return", "for-else-return", "suppress-local-import",
        "suppress-bound"])
def test_a_drop_of_the_table_that_may_not_run_does_not_hide_the_drop_index(tmp_path: Path, later: str) -> None:
    """Each shape may skip the DROP TABLE: the DROP INDEX is reported (exit 1)."""
    assert _lint(tmp_path, _DROP + later) == _FOUND


def test_a_revision_s_own_context_is_no_offline_test(tmp_path: Path) -> None:
    """``class context`` of the revision, whose ``is_offline_mode()`` reads the environment, replaced Alembic's:
    its early return was forgiven as offline mode's, and the DROP TABLE after it exempted the DROP INDEX."""
    top = "\n\nclass context:\n    @staticmethod\n    def is_offline_mode():\n        return bool(os.environ.get('K'))\n"
    assert _lint(tmp_path, _DROP + 'if context.is_offline_mode():\n    return\nop.drop_table("users")', top=top) \
        == (1, [("drop-index-not-concurrently", "0001_a.py", 17)])


def test_alembic_s_offline_test_still_forgives(tmp_path: Path) -> None:
    """Alembic's own ``context`` keeps mayrun27's meaning: online, the DROP TABLE runs and exempts (exit 0)."""
    assert _lint(tmp_path, _DROP + 'if context.is_offline_mode():\n    return\nop.drop_table("users")') == (0, [])


@pytest.mark.parametrize("body", [
    'op.drop_table("users") for _ in ("once",)',
    'op.drop_table("users") for _ in ["once"]',
], ids=["tuple", "list"])
def test_a_comprehension_over_a_literal_still_exempts(tmp_path: Path, body: str) -> None:
    """A list built at once over a non-empty literal runs its element for each item: the DROP TABLE exempts."""
    assert _lint(tmp_path, _DROP + f"[{body}]") == (0, [])


@pytest.mark.parametrize(("body", "line"), [
    ('match 1:\n    case 1 if op.drop_column("users", "email"):\n        pass', 12),
    pytest.param('try:\n    op.execute("SELECT 1")\nexcept* Exception:\n    op.drop_column("users", "email")', 14,
                 marks=_EXCEPT_STAR),
    ('while os.environ.get("X"):\n    pass\nelse:\n    op.drop_column("users", "email")', 14),
    ('for t in os.environ.get("X", "").split():\n    pass\nelse:\n    op.drop_column("users", "email")', 14),
], ids=["match-guard", "except-star", "while-else", "for-else"])
def test_a_step_in_a_part_the_walker_skipped_is_read(tmp_path: Path, body: str, line: int) -> None:
    """A ``match`` guard, an ``except*`` handler and a loop's ``else`` were never walked: the DROP COLUMN in one
    was silent (exit 0)."""
    assert _lint(tmp_path, body, select="drop-column") == (1, [("drop-column", "0001_a.py", line)])


def test_a_thousand_early_returns_are_read(tmp_path: Path) -> None:
    """Each ``if flag: return`` walked the rest of the body one level deeper: a thousand of them (a flat, valid
    body) was reported as "nested too deeply to analyse" (invalid-migration-file) and its DROP COLUMN unread."""
    body = "".join(f'if os.environ.get("K{i}"):\n    return\n' for i in range(1000))
    code, found = _lint(tmp_path, body + 'op.drop_column("users", "email")',
                        select="drop-column,invalid-migration-file")
    assert (code, found) == (1, [("drop-column", "0001_a.py", 2011)])
