"""Measures of work for the linear-time tests, counted rather than timed: a history whose revisions count how
often the look-backs read them, and the lines of Python a call runs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest

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


def lines_run(call: Callable[[], object]) -> int:
    """How many lines of Python ``call()`` runs (every module's, migcheck's and its libraries'): a measure of work
    that, unlike a clock, a loaded machine does not change. Work done inside C (a regular expression, str.find)
    counts as the one line that asks for it."""
    count = 0

    def line(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal count
        if event == "line":
            count += 1
        return line

    previous = sys.gettrace()
    sys.settrace(line)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count


def count_history_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, in this process, every revision of a graph a rule's context is built on counts how often its
    upgrade's changes are read (CountingList.reads, reset here): the linear-history tests that lint files."""
    from migcheck.rules.context import RevisionContext

    build = RevisionContext.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[RevisionContext], migration: Migration, settings: object, graph: object,
                *args: object, **kwargs: object) -> RevisionContext:
        for other in getattr(graph, "by_id", {}).values():
            if other.upgrade is not None and not isinstance(other.upgrade.changes, CountingList):
                other.upgrade.changes = CountingList(other.upgrade.changes)
        return build(cls, migration, settings, graph, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(RevisionContext, "build", classmethod(counted))
    CountingList.reads = 0
