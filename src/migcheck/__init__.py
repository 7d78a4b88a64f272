"""migcheck: an Alembic migration safety checker.

``migcheck.lint(paths, **settings)`` and ``migcheck.verify(paths, ...)`` return a
:class:`migcheck.api.Result`; they are imported on first use, so ``import migcheck``
stays as cheap as the command line's start-up.
"""

from __future__ import annotations

from migcheck.vocabulary.version import VERSION as __version__

#: Not ``typing.TYPE_CHECKING``: importing typing is half of ``migcheck --version``'s start-up, and
#: type checkers honour any constant of this name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Result", "UsageError", "__version__", "lint", "verify"]


def __getattr__(name: str) -> Any:
    if name in ("lint", "verify", "Result", "UsageError"):
        from migcheck import api

        return getattr(api, name)
    raise AttributeError(f"module 'migcheck' has no attribute {name!r}")
