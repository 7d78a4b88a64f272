"""Read an alembic.ini as Alembic does (``%(here)s`` and ``%(key)s`` interpolation), with the expansion bounded.

A pull request writes the alembic.ini. configparser's interpolation is recursive with no bound on how many
references each level makes: ``x1 = %(x0)s%(x0)s...`` twenty times, seven levels deep, is 807 bytes that expand
to 20**6 copies (minutes, then memory exhausted). A value here may expand to ``MAX_VALUE`` characters; past
that the file is refused with one line, as a malformed one is.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from typing import Any

#: Far above any real path list of an alembic.ini (version_locations of a few dozen folders).
MAX_VALUE = 16_384


class _BoundedInterpolation(configparser.BasicInterpolation):
    """configparser's ``%(name)s`` interpolation, refusing a value that grows past MAX_VALUE characters."""

    def _interpolate_some(self, parser: configparser.ConfigParser, option: str, accum: list[str], rest: str,
                          section: str, map: Mapping[str, Any], depth: int) -> None:
        if sum(len(part) for part in accum) > MAX_VALUE:
            raise configparser.InterpolationError(
                option, section, f"the value of {option!r} expands past {MAX_VALUE:,} characters")
        super()._interpolate_some(parser, option, accum, rest, section, map, depth)  # type: ignore[misc]  # typeshed omits it


def ini_parser(here: str) -> configparser.ConfigParser:
    """A parser with Alembic's ``here`` default and the bounded interpolation."""
    return configparser.ConfigParser(defaults={"here": here}, interpolation=_BoundedInterpolation())
