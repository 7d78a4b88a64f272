"""Parse TOML from the linted tree: a file that is not valid TOML, or cannot be read, is one error.

``tomllib`` raises ``TOMLDecodeError`` for bad syntax, but a pull request's ``pyproject.toml`` can
also hold what its parser is not built for: arrays or inline tables nested a few thousand deep
(a ``RecursionError`` in its recursive descent) or an integer of more than 4,300 digits (a plain
``ValueError`` from ``int()``). Either escaped every caller and ended the run in a traceback, so
:func:`loads` turns all three into :class:`TomlError`, which callers report as "not valid TOML".
"""

from __future__ import annotations

import sys
from typing import Any


class TomlError(ValueError):
    """Why a TOML text was not read; the message is the one the user sees."""


def loads(text: str) -> dict[str, Any]:
    """``text`` parsed as TOML, or :class:`TomlError` (never RecursionError or another ValueError). The parser
    is imported here: most runs read no TOML file, and the lint path stays light."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from None
    except RecursionError:
        raise TomlError("nested too deeply to read") from None
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) for integer string conversion"
        raise TomlError(f"a value that cannot be read ({exc})") from None
