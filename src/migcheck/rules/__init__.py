"""Rule families. Importing this package registers every rule."""

# One import per line, so that branches adding families merge without conflicts.
# ruff: noqa: I001

from migcheck.rules import alembic_specific  # noqa: F401
from migcheck.rules import data  # noqa: F401
from migcheck.rules import design  # noqa: F401
from migcheck.rules import destructive  # noqa: F401
from migcheck.rules import downgrade  # noqa: F401
from migcheck.rules import files  # noqa: F401
from migcheck.rules import graph  # noqa: F401
from migcheck.rules import locking  # noqa: F401
from migcheck.rules import safety  # noqa: F401

from migcheck.rules.peers import attach_peers

attach_peers()
