"""Findings about the files themselves, emitted by the engine while loading."""

from migcheck.rules.registry import engine_rule
from migcheck.vocabulary.findings import Severity

INVALID_MIGRATION_FILE = engine_rule(
    "invalid-migration-file",
    severity=Severity.ERROR,
    family="files",
    summary="A revision file that cannot be read: syntax error, bad encoding or a header that is not a literal.",
).id
PYTHON2_MIGRATION_FILE = engine_rule(
    "python2-migration-file",
    severity=Severity.WARNING,
    family="files",
    summary="A revision in Python 2 syntax (`print 'x'`): Python 3 cannot load it; read for the history, not checked.",
).id
