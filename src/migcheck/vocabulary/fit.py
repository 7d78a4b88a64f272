"""Whether a name fits a template of literal parts and gaps, without a regular expression.

A template built from the linted text (a partition named ``f"events_{month}"``, a naming convention
``"ix_%(column_0_label)s_%(table_name)s"``) turned into ``events_[0-9_]+`` or ``ix_[\\w$]+_[\\w$]+`` backtracks
polynomially in its gaps when their class holds the parts' own characters: eight gaps against a 60-character name
took five minutes. This walks the positions each part can end at, once per part: linear in the name times the parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def fits(parts: Sequence[str], name: str, gap: Callable[[str], bool]) -> bool:
    """``name`` is ``parts[0] + g1 + parts[1] + ... + gN + parts[N]``, each gap one or more characters ``gap``
    accepts (one part: ``name`` is that part)."""
    if len(parts) == 1:
        return name == parts[0]
    if not parts or not name.startswith(parts[0]):
        return False
    size = len(name)
    run_end = list(range(size + 1))  # run_end[i]: where the run of gap characters from i stops
    for i in range(size - 1, -1, -1):
        if gap(name[i]):
            run_end[i] = run_end[i + 1]
    ends = [len(parts[0])]
    for part in parts[1:]:
        starts: list[int] = []
        covered = -1
        for i in ends:  # ascending: a gap spans name[i:j], i < j <= run_end[i]; each j taken once
            starts.extend(range(max(i + 1, covered + 1), run_end[i] + 1))
            covered = max(covered, run_end[i])
        ends = [j + len(part) for j in starts if name.startswith(part, j)]
        if not ends:
            return False
    return ends[-1] == size


def run_time_part(char: str) -> bool:
    """What a run-time part of a partition's name may be: digits and underscores (``events_2025_01``, not
    ``events_latest``)."""
    return char in "0123456789_"


def word_part(char: str) -> bool:
    """``[\\w$]``: what a naming convention's ``%(...)s`` may stand for in an identifier."""
    return char.isalnum() or char in "_$"
