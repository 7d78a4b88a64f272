"""Held-out-29 (precision), helper fix29c: revisions empty on purpose (#65, #68, #69).

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import lint_rules as _lint
from conftest import where as _where
from conftest import write_files as _write

_BASE = ('"""base\n\nRevision ID: a001\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "a001"\n'
         'down_revision = None\n\n\ndef upgrade():\n    op.create_table("tags", sa.Column("id", sa.Integer()))\n\n\n'
         'def downgrade():\n    op.drop_table("tags")\n')
_IDS = 'revision = "a002"\ndown_revision = "a001"\nbranch_labels = None\ndepends_on = None\n'
_PASS = "\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
_OP = "from alembic import op\nimport sqlalchemy as sa\n"
_RULE = "empty-migration"


def _doc(message: str) -> str:
    return f'"""{message}\n\nRevision ID: a002\nRevises: a001\n"""\n'


def _lint_one(tmp_path: Path, text: str) -> tuple[int, list[tuple[str, str, int]]]:
    code, found = _lint(_write(tmp_path, {"a001_base.py": _BASE, "a002_x.py": text}), "postgresql", _RULE)
    return code, _where(found)


def _upgrade_line(text: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("def upgrade"))


_ON_PURPOSE = {
        # #65: irrd's comment above upgrade() says why
        "comment": _doc("Add bogon_status") + _OP + _IDS + "\n\n# Therefore, this migration does nothing to upgrade,"
                   " and on downgrade\n# removes the column, but only if it exists.\n" + _PASS,
        # #68: TrueNAS's release-opening "Merge" revision, one parent
        "merge": _doc("Merge") + _OP + _IDS + _PASS,
        # #69: the project's helper the removed body called, imported and read nowhere
        "leftover import": _doc("update regulation check descriptions") + _OP
        + "from sqlalchemy.orm.session import Session\nfrom app.services.checks import get_regulation_checks\n"
        + _IDS + _PASS,
}


@pytest.mark.parametrize("case", sorted(_ON_PURPOSE))
def test_revision_saying_why_it_is_empty_or_marking_a_merge_or_emptied_of_its_body_is_not_reported(
        tmp_path: Path, case: str) -> None:
    assert _lint_one(tmp_path, _ON_PURPOSE[case]) == (0, [])


def test_empty_revision_whose_words_or_imports_prove_nothing_is_still_reported(tmp_path: Path) -> None:
    cases = {
        "merge of tables": _doc("Merge user and account tables") + _OP + _IDS + _PASS,
        "merge in words": _doc("Merge settings into config") + _OP + _IDS + _PASS,
        "comment of a change": _doc("Add flag") + _OP + _IDS + "\n\n# The column does nothing yet\n" + _PASS,
        # the template's packages: an unused name of theirs is no leftover
        "sqlalchemy import": _doc("add flag") + _OP + "from sqlalchemy.dialects import postgresql\n" + _IDS + _PASS,
        # a project import the module reads
        "import read": _doc("add flag") + _OP + "from app import models\n" + _IDS
        + "\nTABLE = models.Flag\n" + _PASS.replace("    pass\n\n\ndef downgrade", "    pass\n\n\ndef downgrade", 1)
        + "\n\nprint(TABLE)\n",
    }
    for n, (why, text) in enumerate(cases.items()):
        assert _lint_one(tmp_path / str(n), text) == (1, [(_RULE, "a002_x.py", _upgrade_line(text))]), why
