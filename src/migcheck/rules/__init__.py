"""Rule families. Importing this package registers every rule."""

from migcheck.rules import data, destructive, downgrade, files, graph, locking  # noqa: F401
