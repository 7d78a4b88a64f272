"""Rule families. Importing this package registers every rule."""
# One family per line, so branches that add families merge cleanly.
# ruff: noqa: I001

from migcheck.rules import alembic_specific  # noqa: F401
from migcheck.rules import autogen  # noqa: F401
from migcheck.rules import constraints  # noqa: F401
from migcheck.rules import data  # noqa: F401
from migcheck.rules import design  # noqa: F401
from migcheck.rules import destructive  # noqa: F401
from migcheck.rules import downgrade  # noqa: F401
from migcheck.rules import enums  # noqa: F401
from migcheck.rules import files  # noqa: F401
from migcheck.rules import graph  # noqa: F401
from migcheck.rules import history  # noqa: F401  (engine-emitted in pull-request mode: migcheck.run.pullrequest)
from migcheck.rules import locking  # noqa: F401
from migcheck.rules import maintenance  # noqa: F401
from migcheck.rules import mysql_alter  # noqa: F401
from migcheck.rules import renames  # noqa: F401
from migcheck.rules import rewrites  # noqa: F401
from migcheck.rules import rolling  # noqa: F401
from migcheck.rules import safety  # noqa: F401
from migcheck.rules import suppression  # noqa: F401  (engine-emitted after the rules: migcheck.run.suppress)

# The live cycle's ids come after the static families: where a static rule has the same id
# (downgrade-not-inverse), the live check shares it. No database library is imported here.
from migcheck.rules import live as _live_rules  # noqa: F401

from migcheck.rules.peers import attach_peers

attach_peers()
