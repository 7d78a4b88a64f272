"""Render the offline SQL fixtures of the PostgreSQL rules with the real Alembic.

For each rule in ``EXPECTED`` this runs ``alembic upgrade head --sql`` (PostgreSQL dialect, nothing
connects) on the ``fixtures/rules/<rule>/bad/versions`` and ``safe/versions`` cases and writes
``bad.sql`` / ``safe.sql`` beside them, so the SQL path is tested on exactly what Alembic emits for
the Python path. Statements that must be reported get the fixture convention's ``-- expect: <rule>``
marker (tests/rulefixtures.py), chosen here by text (never by running migcheck).

Run it after editing those revisions (Alembic must be installed), then check ``git diff``: on
unchanged revisions it rewrites the committed files byte for byte. The other rules' ``.sql`` cases
are written by hand.

    python tools/render_offline_fixtures.py [rule ...]
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "rules"

#: rule -> (statements of bad.sql that must be reported, per_migration_transactions for safe.sql)
EXPECTED: dict[str, tuple[list[str], bool]] = {
    "add-column-with-volatile-default": (
        ["ADD COLUMN public_id", "ADD COLUMN total", "ADD COLUMN seq", "ADD COLUMN row_id", "ADD COLUMN jitter",
         "ADD COLUMN legacy_id"], False),
    "set-not-null": (["customer_id SET NOT NULL", "note SET NOT NULL", "region SET NOT NULL"], True),
    "drop-not-null": (["note DROP NOT NULL", "region DROP NOT NULL"], False),
    # offline SQL has no existing_type: quantity is unknown there; amount and label are known from 0001
    "alter-column-type": (["amount TYPE numeric(10, 2)", "COLUMN label TYPE TEXT", "code TYPE VARCHAR(20)",
                           "quantity TYPE BIGINT", "placed_at TYPE TIMESTAMP"], False),
    "add-foreign-key-without-not-valid": (
        ["fk_orders_customer_id FOREIGN KEY", '"fk_user" FOREIGN KEY', "FOREIGN KEY(shop_id)",
         "coupon_id int REFERENCES"], False),
    "add-check-constraint-without-not-valid": (["positive_balance CHECK", '"currency_code" CHECK'], False),
    "add-unique-constraint": (["uq_users_email UNIQUE", "dist_id_uniq UNIQUE", "ADD UNIQUE (handle)",
                               "api_key text UNIQUE"], False),
    "add-primary-key-to-existing-table": (["pk_events PRIMARY KEY", "account ADD PRIMARY KEY"], False),
    "add-exclusion-constraint": (["no_overlap EXCLUDE", "authors_name_excl EXCLUDE"], False),
    "validate-in-same-transaction": (["VALIDATE CONSTRAINT"], True),
    "rename-column": (["RENAME user_name TO", "RENAME COLUMN mail TO"], False),
    "rename-table": (["user_stars RENAME TO", "audit RENAME TO"], False),
    "enum-add-value-in-transaction": (["ADD VALUE"], False),
    "reindex-not-concurrently": (["REINDEX"], False),
    "vacuum-full-or-cluster": (["VACUUM", "CLUSTER"], False),
    "refresh-materialized-view-not-concurrently": (["REFRESH MATERIALIZED VIEW"], False),
    "detach-partition-not-concurrently": (["DETACH PARTITION"], False),
    "truncate-table": (["TRUNCATE"], False),
    "drop-schema-or-database": (["DROP SCHEMA", "DROP DATABASE"], False),
    "cannot-run-in-transaction": (["VACUUM", "REINDEX", "DETACH PARTITION", "CREATE DATABASE"], False),
}

ENV = '''from alembic import context
context.configure(url="postgresql://", literal_binds=True, dialect_name="postgresql",
                  transaction_per_migration={per_migration})
with context.begin_transaction():
    context.run_migrations()
'''
INI = "[alembic]\nscript_location = {script}\n"


def render(versions: Path, per_migration: bool) -> str:
    from alembic import command
    from alembic.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "migrations"
        shutil.copytree(versions, script / "versions", ignore=shutil.ignore_patterns("__pycache__"))
        (script / "env.py").write_text(ENV.format(per_migration=per_migration))
        (script / "script.py.mako").write_text("")
        ini = Path(tmp) / "alembic.ini"
        ini.write_text(INI.format(script=script))
        out = io.StringIO()
        config = Config(str(ini), stdout=out)
        config.output_buffer = out
        with contextlib.redirect_stdout(out):
            command.upgrade(config, "heads", sql=True)
        return out.getvalue()


def annotate(sql: str, rule: str, needles: list[str]) -> str:
    """Add ``-- expect: rule`` to the first line of each statement containing one of ``needles``."""
    out = sql.splitlines()
    start: int | None = None
    for number, line in enumerate(out):
        if start is None and line.strip() and not line.lstrip().startswith("--"):
            start = number
        if start is not None and line.rstrip().endswith(";"):
            text = " ".join(out[start:number + 1])
            if any(n in text for n in needles) and not text.lstrip().upper().startswith(("INSERT", "UPDATE ALEMBIC")):
                out[start] = f"{out[start]}  -- expect: {rule}"
            start = None
    return "\n".join(out) + "\n"


def main(rules: list[str]) -> None:
    for rule in rules or sorted(EXPECTED):
        needles, safe_per_migration = EXPECTED[rule]
        base = ROOT / rule
        bad = render(base / "bad" / "versions", per_migration=False)
        (base / "bad.sql").write_text(annotate(bad, rule, needles))
        safe = render(base / "safe" / "versions", per_migration=safe_per_migration)
        (base / "safe.sql").write_text(re.sub(r"\n{3,}", "\n\n", safe))
        print(f"rendered {rule}")


if __name__ == "__main__":
    main(sys.argv[1:])
