"""The ``__init__`` of the IR's kinds of change, written once as source (``changeinits.py``) instead of at import.

``dataclass`` writes each class's ``__init__`` as text and compiles it every time the module is imported: for
the 19 kinds of change (about 25 keyword parameters each) about 5 ms of every run, a tenth of what migcheck's
own imports cost a pre-commit run. ``scripts/gen_change_inits.py`` writes the same functions into
``changeinits.py``, which Python compiles once into its bytecode cache like any module. ``ir_class`` makes the
data class without an ``__init__`` and takes the written one, after checking that it takes exactly the class's
fields with the class's defaults; when it does not (a field added and the file not written again), it lets
``dataclass`` write the ``__init__`` as before, so a stale file costs speed, never behaviour
(``tests/test_speed.py`` fails when the file is stale).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: object) -> Callable[[Any], Any]:
        return lambda decorated: decorated

from migcheck.vocabulary import changeinits

T = TypeVar("T", bound=type)

#: The classes made by ``ir_class``, in order (what scripts/gen_change_inits.py writes functions for).
CLASSES: list[type] = []

#: What the written ``__init__`` of a field with a ``default_factory`` has as its default: "call the factory".
FACTORY = changeinits.FACTORY


@dataclass_transform(kw_only_default=True, eq_default=False, field_specifiers=(dataclasses.field, dataclasses.Field))
def ir_class(cls: T) -> T:
    """``@dataclass(kw_only=True, eq=False, repr=False)``, with the ``__init__`` written in ``changeinits.py``."""
    CLASSES.append(cls)
    made: Any = dataclasses.dataclass(kw_only=True, eq=False, repr=False, init=False)(cls)
    written = getattr(changeinits, cls.__name__, None)
    if written is None or not takes_the_fields(written, made):
        written = _reading_the_fields(dataclasses.fields(made))
    written.__qualname__ = f"{cls.__qualname__}.__init__"
    made.__init__ = written
    return cast(T, made)


def _reading_the_fields(fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """An ``__init__`` that reads the fields when called: slower, for a class ``changeinits.py`` is stale for."""

    def __init__(self: Any, **given: Any) -> None:
        for f in fields:
            if f.name in given:
                value = given.pop(f.name)
            elif f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                raise TypeError(f"__init__() missing 1 required keyword-only argument: {f.name!r}")
            setattr(self, f.name, value)
        if given:
            raise TypeError(f"__init__() got an unexpected keyword argument {next(iter(given))!r}")

    return __init__


def takes_the_fields(init: Any, cls: type) -> bool:
    """Whether ``init`` takes exactly the fields of ``cls``, keyword-only, in order, with their defaults, and
    nothing else, and is written for every field (``changeinits.FIELDS``)."""
    fields = dataclasses.fields(cls)
    if any(not f.init or not f.kw_only for f in fields):
        return False
    code = init.__code__
    names = tuple(f.name for f in fields)
    if code.co_argcount != 1 or code.co_kwonlyargcount != len(names) or code.co_varnames[1:1 + len(names)] != names:
        return False
    if changeinits.FIELDS.get(cls.__name__) != names:
        return False
    defaults = init.__kwdefaults__ or {}
    for f in fields:
        if f.default is not dataclasses.MISSING:
            if f.name not in defaults or (defaults[f.name] is not f.default and (
                    type(defaults[f.name]) is not type(f.default) or defaults[f.name] != f.default)):
                return False
        elif f.default_factory is not dataclasses.MISSING:
            if defaults.get(f.name) is not FACTORY or changeinits.FACTORIES.get(
                    f"{cls.__name__}.{f.name}") is not f.default_factory:
                return False
        elif f.name in defaults:
            return False
    return True
