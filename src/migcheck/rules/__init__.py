"""Rule families. Importing this package registers every rule."""

from migcheck.rules import data, destructive, downgrade, files, graph, locking  # noqa: F401

# The live cycle's rule ids (no database library is imported by this).
from migcheck.live import rules as _live_rules  # noqa: E402, F401
