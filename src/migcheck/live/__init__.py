"""The live cycle behind ``migcheck verify``: migrations run for real against a throwaway database.

Nothing in this package is imported by ``lint``; its rule ids are registered by
``migcheck.rules.live`` (for ``migcheck rules`` and ``explain``), which imports no database
library. Heavy imports (alembic, SQLAlchemy, drivers) happen inside functions.
"""

from __future__ import annotations


class LiveError(Exception):
    """A problem the user must fix before verify can run: one line on stderr, exit 2."""


def require_live() -> None:
    """Fail with the install hint when the ``live`` extra is missing."""
    try:
        import alembic  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise LiveError(
            f"migcheck verify needs the live extra ({exc.name} is not installed): "
            "pip install 'alembic-migcheck[live]'"
        ) from None
