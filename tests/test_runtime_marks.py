"""The rules recognise the front end's run-time stand-ins by one tuple: it must name the ones evaluate writes."""

from migcheck.extract.python.scope import NAME_PLACEHOLDER, PLACEHOLDER
from migcheck.vocabulary.changes import RUNTIME_MARKS


def test_the_marks_name_what_the_front_end_writes() -> None:
    assert {PLACEHOLDER, NAME_PLACEHOLDER, "{…}"} <= set(RUNTIME_MARKS)
