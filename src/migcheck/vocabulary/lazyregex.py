"""Regular expressions compiled the first time they are used.

``lint`` imports every rule and both front ends; compiling their module-level patterns up front cost
about 35 M instructions of a pre-commit run, and most runs use a few of them. A lazy pattern compiles
itself on its first use and then holds the compiled pattern's own bound methods, so from the second
call on, ``PATTERN.match(text)`` costs what it costs on a compiled pattern.
"""

from __future__ import annotations

import re
from typing import Any, cast

#: What a compiled pattern offers, copied onto the lazy one when it compiles.
_ATTRIBUTES = ("match", "search", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
               "pattern", "flags", "groups", "groupindex")


class _LazyPattern:
    """Stands for ``re.compile(pattern, flags)`` until first used; then every attribute is the compiled one's."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only for attributes not copied yet: the first use
        if name.startswith("__"):  # copy, pickle and friends probing for hooks: not a use of the pattern
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return repr(re.compile(*self._source))


def lazy_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled on first use (typed as the pattern it stands for).

    For module-level patterns only: it is not a ``re.Pattern`` instance, so never pass it to ``re.sub``
    and friends or check it with ``isinstance``; call its methods.
    """
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))
