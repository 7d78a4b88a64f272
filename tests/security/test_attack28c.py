"""attack28c: fix28b's readings forged. An ``op.create_entity`` of a ``PGExtension`` that is not alembic_utils'
(the revision's subclass, a look-alike imported under that name, an object the revision rewrites) or a drop with
``cascade`` was read as a harmless CREATE/DROP EXTENSION; a flush of an application session the revision names
nowhere else was no SQL though a model's own finder filled it; a downgrade's literal ``op.sync_enum_values`` was
read though its values carry a quote the library pastes into its SQL. Each had no finding; now each keeps its
``raw-sql-not-understood`` note, at the call's line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAD = 'from alembic import op\n{imports}\n\nrevision = "0001"\ndown_revision = None\n\n{module}\n\n' \
       'def upgrade():\n{upgrade}\n\n\ndef downgrade():\n{downgrade}\n'


def _notes(tmp_path: Path, imports: str, upgrade: str, downgrade: str = "    pass", module: str = "") -> list[int]:
    """The lines of the revision's raw-sql-not-understood findings."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_x.py").write_text(HEAD.format(imports=imports, module=module, upgrade=upgrade,
                                                    downgrade=downgrade))
    run = subprocess.run([sys.executable, "-m", "migcheck", "lint", str(versions), "--format", "json", "--no-config",
                          "--dialect", "postgresql", "--fail-on", "never"], capture_output=True, text=True, check=True)
    findings = json.loads(run.stdout)["findings"]
    return [f["line"] for f in findings if f["rule"] == "raw-sql-not-understood"]


ALEMBIC_UTILS = "from alembic_utils.pg_extension import PGExtension"
CALL = '    op.create_entity(PGExtension(schema="public", signature="citext"))'

# (imports, module-level code, upgrade body): the call sits on line 13 of upgrade() in each
EXTENSIONS = {
    # the revision's own subclass renders what it likes
    "subclass": ("from alembic_utils.pg_extension import PGExtension as _Base\nfrom sqlalchemy import text",
                 "class PGExtension(_Base):\n    def to_sql_statement_create(self):\n"
                 "        return text('DROP TABLE users')", CALL),
    # a class of the application under the name
    "application_class": ("from app.entities import PGExtension", "", CALL),
    # another alembic_utils entity, imported as PGExtension
    "other_entity_renamed": ("from alembic_utils.pg_view import PGView as PGExtension", "", CALL),
    # alembic_utils' class, its method replaced by the revision
    "patched_class": (ALEMBIC_UTILS + "\nfrom sqlalchemy import text",
                      "PGExtension.to_sql_statement_create = lambda self: text('DROP TABLE users')", CALL),
    # the object handed to op, its method replaced
    "patched_object": (ALEMBIC_UTILS + "\nfrom sqlalchemy import text",
                       'citext = PGExtension(schema="public", signature="citext")\n'
                       "citext.to_sql_statement_create = lambda: text('DROP TABLE users')",
                       "    op.create_entity(citext)"),
    # DROP EXTENSION ... CASCADE drops every column of citext: positional, keyword, or through **
    "cascade_positional": (ALEMBIC_UTILS, 'citext = PGExtension(schema="public", signature="citext")',
                           "    op.drop_entity(citext, True)"),
    "cascade_keyword": (ALEMBIC_UTILS, 'citext = PGExtension(schema="public", signature="citext")',
                        "    op.drop_entity(citext, cascade=True)"),
    "cascade_mapping": (ALEMBIC_UTILS, 'citext = PGExtension(schema="public", signature="citext")',
                        '    op.drop_entity(citext, **{"cascade": True})'),
}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("case", sorted(EXTENSIONS))
def test_forged_or_cascading_extension_keeps_its_note(tmp_path: Path, case: str) -> None:
    imports, module, upgrade = EXTENSIONS[case]
    text = HEAD.format(imports=imports, module=module, upgrade=upgrade, downgrade="    pass")
    assert _line_of(text, upgrade.strip()) in _notes(tmp_path, imports, upgrade, module=module)


def test_alembic_utils_extension_is_still_read(tmp_path: Path) -> None:
    """The twin: alembic_utils' own class, a literal name, a drop without cascade: read, no note."""
    module = 'citext = PGExtension(schema="public", signature="citext")'
    assert _notes(tmp_path, ALEMBIC_UTILS, "    op.create_entity(citext)", "    op.drop_entity(citext, cascade=False)",
                  module=module) == []


# a model's finder reads rows into the application's session; the commit writes the changed objects
SESSIONS = {
    "model_finder_loop": ("from app import db\nfrom app.models import User",
                          "    for user in User.all_admins():\n        user.role = 'owner'\n    db.session.commit()"),
    "model_finder_assigned": ("from app import db\nfrom app.models import User",
                              "    admin = User.find_by_email('root@example.com')\n    admin.role = 'owner'\n"
                              "    db.session.commit()"),
    "model_saved": ("from app import db\nfrom app.models import User",
                    "    u = User(email='root@example.com')\n    u.save()\n    db.session.commit()"),
    "imported_in_function": ("from app import db",
                             "    from app.models import User\n    for user in User.all_admins():\n"
                             "        user.role = 'owner'\n    db.session.commit()"),
    "imported_at_run_time": ("import importlib\nfrom app import db",
                             "    models = importlib.import_module('app.models')\n"
                             "    for user in models.User.all_admins():\n        user.role = 'owner'\n"
                             "    db.session.commit()"),
}


@pytest.mark.parametrize("case", sorted(SESSIONS))
def test_commit_of_a_session_filled_through_the_models_keeps_its_note(tmp_path: Path, case: str) -> None:
    imports, upgrade = SESSIONS[case]
    text = HEAD.format(imports=imports, module="", upgrade=upgrade, downgrade="    pass")
    assert _line_of(text, "db.session.commit()") in _notes(tmp_path, imports, upgrade)


def test_idle_session_without_other_application_code_stays_quiet(tmp_path: Path) -> None:
    """The twin (held-out-28 #95): only op.execute and the session's flush: no note."""
    assert _notes(tmp_path, "from app.database import db",
                  "    op.execute(\"UPDATE tg_user SET first_name = 'x'\")\n    db.session.flush()") == []


SYNC = ('    op.sync_enum_values(\n        "public",\n        {name},\n        ["a", {value}],\n'
        '        [TableReference(table_schema="public", table_name="orders", column_name="status")],\n    )')


@pytest.mark.parametrize(("name", "value"), [
    ('"status"', "\"b'); DROP TABLE users; --\""),  # CREATE TYPE ... AS ENUM('a', 'b'); DROP TABLE users; --')
    ("'status\" RENAME TO x; DROP TABLE users; --'", '"b"'),  # ALTER TYPE "public"."status" RENAME ...
])
def test_downgrade_sync_enum_values_with_a_quote_keeps_its_note(tmp_path: Path, name: str, value: str) -> None:
    downgrade = SYNC.format(name=name, value=value)
    text = HEAD.format(imports="from alembic_postgresql_enum import TableReference", module="", upgrade="    pass",
                       downgrade=downgrade)
    found = _notes(tmp_path, "from alembic_postgresql_enum import TableReference", "    pass", downgrade)
    assert found == [_line_of(text, "op.sync_enum_values(")]


def test_downgrade_sync_enum_values_of_plain_literals_is_read(tmp_path: Path) -> None:
    """The twin (held-out-28 #92-#94): plain literal names and values: read, no note."""
    downgrade = SYNC.format(name='"status"', value='"b"')
    assert _notes(tmp_path, "from alembic_postgresql_enum import TableReference", "    pass", downgrade) == []
