"""Rule families. Importing this package registers every rule."""

from migcheck.rules import (  # noqa: F401
    data,
    destructive,
    downgrade,
    files,
    graph,
    history,  # engine-emitted in pull-request mode (migcheck.gitbase)
    locking,
    suppression,  # engine-emitted after the rules (migcheck.suppress)
)
