"""A history whose revisions count how often the look-backs read them: the linear-history tests share it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from migcheck.vocabulary.changes import Change
from migcheck.vocabulary.revision import Body, Migration


class CountingList(list[Change]):
    """A revision's changes that count how often a rule reads them through, forwards, backwards or by slice."""

    reads = 0

    def __iter__(self) -> Iterator[Change]:
        CountingList.reads += 1
        return super().__iter__()

    def __reversed__(self) -> Iterator[Change]:
        CountingList.reads += 1
        return super().__reversed__()

    def __getitem__(self, item):  # type: ignore[no-untyped-def]
        if isinstance(item, slice):
            CountingList.reads += 1
        return super().__getitem__(item)


def chain(body: list[list[Change]]) -> list[Migration]:
    """One linear revision per entry of ``body``, r0 first, each upgrade's changes counted."""
    return [Migration(path=Path(f"r{i}.py"), revision=f"r{i}", down_revisions=(f"r{i - 1}",) if i else (),
                      upgrade=Body(line=1, changes=CountingList(changes))) for i, changes in enumerate(body)]
