"""The live cycle behind ``migcheck verify``: migrations run for real against a throwaway database.

Nothing in this package is imported by ``lint``; its rule ids are registered by
``migcheck.rules.live`` (for ``migcheck rules`` and ``explain``), which imports no database
library. Heavy imports (alembic, SQLAlchemy, drivers) happen inside functions.
"""

from __future__ import annotations

import sys


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


def import_alembic_plainly() -> None:
    """``migcheck verify``'s own process: import Alembic without Mako's Pygments plugin.

    Alembic imports Mako, whose error pages import Pygments when it is installed (about 0.1 s
    of CPU, a tenth of verify's start-up); verify renders no template. The plugin is hidden
    only while Alembic is first imported, so Mako falls back to plain error pages. Not for a
    process migcheck does not own (the API, the pytest plugin): nothing is hidden there.
    """
    plugin = "mako.ext.pygmentplugin"
    if "alembic" in sys.modules or "mako.exceptions" in sys.modules or plugin in sys.modules:
        return
    sys.modules[plugin] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        import alembic  # noqa: F401
    except ImportError:
        pass  # require_live says what is missing
    finally:
        if sys.modules.get(plugin, False) is None:
            del sys.modules[plugin]
