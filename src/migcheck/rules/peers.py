"""The equivalent rules of other migration linters, so users switching from them find theirs.

One entry per migcheck rule id (both halves of the catalogue, and the core rules). Ids are
the peers' own spellings: squawk rule names, strong_migrations check keys (``disable_check``),
django-migration-linter codes (``--exclude-migration-tests``), Eugene hint ids, Atlas
analyzer codes and alembic-guard ids. "—" means the peer has no equivalent;
"(partial)" means it covers part of the migcheck rule. Researched from the peers' rule
sources and documentation (squawk 2.x, strong_migrations 2.x, django-migration-linter 5.x,
Eugene 0.8, Atlas analyzers page, alembic-guard 0.1.1).
"""

from __future__ import annotations

NONE = "—"

#: Column order of the README table.
PEER_TOOLS = ("squawk", "strong_migrations", "django-migration-linter", "eugene", "atlas", "alembic-guard")

PEER_LABELS = {
    "squawk": "squawk",
    "strong_migrations": "strong_migrations",
    "django-migration-linter": "django-migration-linter",
    "eugene": "Eugene",
    "atlas": "Atlas",
    "alembic-guard": "alembic-guard",
}


def _row(
    squawk: str = NONE,
    strong: str = NONE,
    django: str = NONE,
    eugene: str = NONE,
    atlas: str = NONE,
    guard: str = NONE,
) -> dict[str, str]:
    return {
        "squawk": squawk,
        "strong_migrations": strong,
        "django-migration-linter": django,
        "eugene": eugene,
        "atlas": atlas,
        "alembic-guard": guard,
    }


PEERS: dict[str, dict[str, str]] = {
    # -- core rules ---------------------------------------------------------------------------
    "add-not-null-column-without-default": _row(
        "adding-required-field", NONE, "NOT_NULL", NONE, "MF103, MY101", "AG001"
    ),
    "drop-column": _row("ban-drop-column", "remove_column", "DROP_COLUMN", NONE, "DS103", "AG005"),
    "drop-table": _row("ban-drop-table", NONE, "DROP_TABLE", NONE, "DS102", "AG005"),
    "create-index-not-concurrently": _row(
        "require-concurrent-index-creation",
        "add_index, add_reference",
        "CREATE_INDEX",
        "E6",
        "PG101",
        "AG002",
    ),
    "drop-index-not-concurrently": _row(
        "require-concurrent-index-deletion", "remove_index", "DROP_INDEX", NONE, "PG102"
    ),
    "concurrent-index-in-transaction": _row(
        "ban-concurrent-index-creation-in-transaction", NONE, NONE, NONE, "PG103", "AG003"
    ),
    "mixed-schema-and-data-change": _row(NONE, NONE, "CREATE_INDEX_EXCLUSIVE (partial)", "E4 (partial)"),
    "multiple-heads": _row(),
    "missing-down-revision": _row(),
    "duplicate-revision-id": _row(),
    "revision-cycle": _row(),
    "missing-downgrade": _row(NONE, NONE, "RUNPYTHON_REVERSIBLE, RUNSQL_REVERSIBLE (partial)"),
    "invalid-migration-file": _row("syntax-error (partial)"),
    "python2-migration-file": _row(),
    # -- locks and rewrites (PostgreSQL) --------------------------------------------------------
    "add-column-with-volatile-default": _row(
        "adding-field-with-default",
        "add_column_default, add_column_default_callable, "
        "add_column_generated_stored, add_column_auto_incrementing",
        NONE,
        "E11 (partial)",
        "PG302",
        "AG009",
    ),
    "set-not-null": _row(
        "adding-not-nullable-field",
        "change_column_null_postgresql",
        "NOT_NULL (partial)",
        "E2",
        "PG303, MF104",
        "AG007",
    ),
    "alter-column-type": _row(
        "changing-column-type",
        "change_column, change_column_constraint, change_column_with_not_null",
        "ALTER_COLUMN",
        "E5",
        "PG301",
        "AG006",
    ),
    "add-foreign-key-without-not-valid": _row(
        "adding-foreign-key-constraint, constraint-missing-not-valid",
        "add_foreign_key",
        NONE,
        "E1",
        "PG306",
        "AG008",
    ),
    "add-check-constraint-without-not-valid": _row(
        "constraint-missing-not-valid", "add_check_constraint", NONE, "E1", "PG305", "AG008"
    ),
    "validate-in-same-transaction": _row(
        "constraint-missing-not-valid (partial)",
        "validate_foreign_key, validate_check_constraint",
        NONE,
        "E4 (partial)",
    ),
    "add-unique-constraint": _row(
        "disallowed-unique-constraint", "add_unique_constraint", "ADD_UNIQUE", "E7", "PG105, MF101", "AG010"
    ),
    "add-primary-key-to-existing-table": _row(
        "adding-serial-primary-key-field", NONE, NONE, "W14 (partial)", "PG104, PG304", "AG010"
    ),
    "rename-column": _row("renaming-column", "rename_column", "RENAME_COLUMN", NONE, "BC102", "AG004"),
    "rename-table": _row("renaming-table", "rename_table", "RENAME_TABLE", NONE, "BC101", "AG004"),
    "enum-add-value-in-transaction": _row(),
    "reindex-not-concurrently": _row("require-concurrent-reindex", NONE, "REINDEX"),
    "vacuum-full-or-cluster": _row("prefer-repack"),
    "refresh-materialized-view-not-concurrently": _row(),
    "detach-partition-not-concurrently": _row("require-concurrent-partition-detach"),
    "truncate-table": _row("ban-truncate-cascade (partial)"),
    "drop-schema-or-database": _row("ban-drop-database", NONE, NONE, NONE, "DS101"),
    "drop-not-null": _row("ban-drop-not-null"),
    "cannot-run-in-transaction": _row("ban-concurrent-index-creation-in-transaction (partial)", NONE, NONE,
                                      NONE, "PG103 (partial)", "AG003 (partial)"),
    # -- the live cycle (migcheck verify); pytest-alembic's tests are the nearest peers ---------
    "upgrade-failed": _row(),
    "downgrade-failed": _row(),
    "upgrade-not-repeatable": _row(),
    "dangerous-lock": _row(),
    "table-rewrite": _row(NONE, NONE, NONE, "E10 (trace, partial)"),
    "model-drift": _row(),
    "data-check-failed": _row(),
    # -- judged against the application's models (migcheck.extract.models): no peer reads them -------------
    "still-mapped-at-head": _row(),
    "still-mapped-on-base": _row(),
    "not-null-breaks-running-inserts": _row(),
    "type-differs-on-base": _row(),
    "rename-as-drop-and-add": _row(),
    "model-not-in-migrations": _row(),
    "model-differs-from-migrations": _row(),
    "models-not-readable": _row(),
    # -- adoption: suppressions and pull-request mode -------------------------------------------
    "unused-suppression": _row(),
    "suppression-without-reason": _row(),
    "modified-applied-migration": _row(),
    "deleted-migration": _row(),
    "new-revision-not-on-base-head": _row(),
    "add-exclusion-constraint": _row(
        "constraint-missing-not-valid (partial)", "add_exclusion_constraint", NONE, "E8"
    ),
    # -- Alembic-specific -------------------------------------------------------------------------
    "missing-lock-timeout": _row("require-lock-timeout", NONE, NONE, "E9"),
    "transaction-per-migration-off": _row(),
    "alter-column-without-existing-type": _row(),
    "sqlite-alter-outside-batch": _row(),
    "orm-model-import-in-migration": _row(NONE, NONE, "RUNPYTHON_MODEL_IMPORT"),
    "empty-migration": _row(),
    "downgrade-not-inverse": _row(),
    # -- data and safety --------------------------------------------------------------------------
    "unsafe-sql-interpolation": _row(),
    "unbatched-backfill": _row(NONE, NONE, NONE, "E4 (partial)"),
    "mysql-alter-copies-table": _row(),
    "raw-sql-not-understood": _row("syntax-error", "execute, change_table"),
    # -- schema design ----------------------------------------------------------------------------
    "prefer-bigint-primary-key": _row("prefer-bigint-over-int, prefer-bigint-over-smallint"),
    "prefer-identity": _row("prefer-identity"),
    "prefer-timestamptz": _row("prefer-timestamptz"),
    "prefer-text-over-varchar": _row("prefer-text-field"),
    "ban-char-field": _row("ban-char-field"),
    "identifier-too-long": _row("identifier-too-long"),
    "json-instead-of-jsonb": _row(NONE, "add_column_json", NONE, "E3"),
}


def peers_of(rule_id: str) -> dict[str, str]:
    """The peers' equivalent ids for ``rule_id`` ("—" for none), in README column order."""
    row = PEERS.get(rule_id, {})
    return {tool: row.get(tool, NONE) for tool in PEER_TOOLS}


def attach_peers() -> None:
    """Fill ``Rule.peers`` (tool -> ids, only where a peer has an equivalent) for every registered rule."""
    from migcheck.rules.registry import REGISTRY

    for rule in REGISTRY.values():
        rule.peers = {tool: ids for tool, ids in peers_of(rule.id).items() if ids != NONE}
