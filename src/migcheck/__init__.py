"""migcheck: an Alembic migration safety checker."""

__version__ = "0.1.0"
