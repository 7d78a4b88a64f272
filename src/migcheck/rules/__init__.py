"""Rule families. Importing this package registers every rule."""

# Static families first: the live cycle's ids (no database library is imported by them) share
# an id with a static rule where one exists, so they must come second.
from migcheck.rules import data, destructive, downgrade, files, graph, locking  # noqa: F401, I001
from migcheck.live import rules as _live_rules  # noqa: F401
