"""Where a statement's text really ends, found without a regular expression.

A pattern like ``^HEAD(.*?)\\s*;?\\s*$`` tries its trailing ``\\s*;?\\s*$`` after every character of the
lazy group, and inside a run of blanks each try splits the run again: cubic time on a statement with a
long run of blanks in it (a pull request's offline SQL). These helpers give the same answers in linear
time; callers match only the head with a regular expression and cut the rest with them.
"""

from __future__ import annotations


def trailing_start(text: str, start: int = 0, *, semicolon: bool = True, marks: str = "") -> int:
    """Where the longest suffix of ``text[start:]`` that ``\\s*;?\\s*`` matches begins (``\\s*`` alone
    without ``semicolon``; ``[\\s<marks>]*`` with ``marks``): the end of what a lazy group before that suffix
    would take."""
    if marks:
        end = len(text)
        while end > start and (text[end - 1] in marks or text[end - 1].isspace()):
            end -= 1
        return end
    end = len(text.rstrip())
    if semicolon and end > start and text[end - 1] == ";":
        end = len(text[:end - 1].rstrip())
    return max(end, start)


def without_word_end(text: str, words: tuple[str, ...]) -> tuple[str, str] | None:
    """``text`` as ``(.+?)(\\s+(?:WORD|...))$`` (case-insensitive) splits it: ``(head, tail)``, the tail
    with its blanks; None when it does not end so."""
    for word in words:
        if len(text) < len(word) or text[len(text) - len(word):].upper() != word:
            continue
        before = text[: len(text) - len(word)]
        head = before.rstrip()
        if len(head) == len(before):
            continue
        if not head:  # the lazy group takes one character at least, the blanks after it the rest
            if len(before) < 2:
                continue
            head = before[:1]
        return head, text[len(head):]
    return None
