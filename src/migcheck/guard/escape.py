"""Text derived from linted files, made safe for the medium it is written to.

Revision files come from strangers (the Action lints pull requests), so every
name, message, path and SQL snippet that migcheck quotes is hostile input for
the place it lands: a terminal runs escape sequences, the GitHub log runs
``::workflow-commands::`` at the start of any line, markdown renders headings,
links and images, and strict JSON readers reject lone surrogates. Each
function here escapes for one medium *by construction*: the output cannot
change structure whatever the input, so no reporter has to get the details
right again.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

# C0 and C1 controls (tab and newline are handled per medium), DEL, lone surrogates (a str from a
# file name that is not UTF-8, or an escape in a string literal) and the bidirectional overrides
# of "Trojan Source", which make a terminal show text in another order than it is.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_INVISIBLE_OR_NEWLINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible_escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """Controls, escape sequences and lone surrogates shown as ``\\x1b``-style text; newlines kept.

    ``##[`` is shown as ``#\\x23[`` too: the Actions runner still reads the old ``##[command]``
    syntax anywhere in a line of the log, not only at its start.
    """
    return _INVISIBLE.sub(_visible_escape, text).replace("##[", "#\\x23[")


def one_line(text: str) -> str:
    """:func:`terminal`, and CR/LF shown as ``\\r``/``\\n``: the text cannot start a new line.

    For standard error, which the GitHub runner scans for workflow commands at the start of
    every line: with no line break of its own, a note that begins ``migcheck:`` stays one line,
    so a directory named ``x\\n::stop-commands::t`` cannot inject anything.
    """
    return _INVISIBLE_OR_NEWLINE.sub(_visible_escape, text).replace("##[", "#\\x23[")


def log_line(line: str) -> str:
    """A line of a report printed to a log: it can never be read as a workflow command.

    The runner runs ``::command::`` at the start of a line (leading blanks ignored). migcheck's
    own text never starts a line that way, so a line that does starts with a quoted name (a
    revision id, a file called ``::error::x.py``): its first colon is shown as ``\\x3a``.
    """
    stripped = line.lstrip()
    if stripped.startswith("::"):
        return line[: len(line) - len(stripped)] + "\\x3a" + stripped[1:]
    return line


def json_tree(value: Any) -> Any:
    """A copy of a JSON document with lone surrogates in strings written out as ``\\udcff`` text.

    ``json.dumps`` would emit them as ``\\udcff`` escapes, which many strict readers (serde,
    GitHub's SARIF ingestion) reject; control characters are left to JSON's own escaping.
    """
    if isinstance(value, str):
        return _SURROGATE.sub(_visible_escape, value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {json_tree(k): json_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_tree(v) for v in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def uri_path(path: str) -> str:
    """A relative path as a URI path: percent-encoded from the file system's own bytes.

    A file name that is not UTF-8 arrives as a str with surrogate escapes; encoding it back
    with ``os.fsencode`` gives the real bytes, which percent-encoding can always represent.
    """
    return quote(os.fsencode(path), safe="/")


# --- markdown (GitHub-flavoured) --------------------------------------------------------------

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one
# is always literal: no emphasis, link, image, heading, HTML, entity, table pipe or code span
# can start from escaped text.
_MD_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_BACKTICKS = re.compile(r"`+")


def md_text(text: str) -> str:
    """Plain text for a markdown paragraph or table cell: shown exactly, never markup.

    Line breaks become ``<br>`` (the only way to break a line inside a table cell), so the
    text cannot end a table row or start a block of its own; an ``@`` is followed by an invisible
    word joiner, so no e-mail autolink forms.
    """
    text = terminal(text).replace("\r\n", "\n").replace("\r", "\n")
    escaped = _MD_PUNCTUATION.sub(r"\\\1", text)
    # GFM links ``a@b.co`` as an e-mail address even when ``@`` and ``.`` are escaped; a word
    # joiner (U+2060, invisible) after the ``@`` leaves no domain for it to find
    return escaped.replace("\n", "<br>").replace("\\@", "\\@\u2060")


def md_code(text: str) -> str:
    """An inline code span that holds ``text`` whatever backticks it contains.

    The delimiter is one backtick longer than the longest run inside (CommonMark closes a span
    only at a run of the same length), padded with a space when the content touches a
    backtick; line breaks become spaces (as CommonMark does inside spans anyway) and ``|`` is
    escaped, which GFM tables undo inside code spans.
    """
    text = terminal(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    if not text.strip():
        return "` `" if not text else "`" + text.replace("|", "\\|") + "`"
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def md_message(message: str) -> str:
    """A migcheck message, whose own `code spans` name tables and quote SQL, for a table cell.

    The message is split into code spans and text the way CommonMark pairs backtick runs (a
    run closes only at the next run of the same length), then each part is written out again
    with :func:`md_code` or :func:`md_text`. Whatever the quoted names contain, the result is
    only ever code spans and escaped text; if a name makes the pairing differ from what the
    author meant, the reader sees odd spans, never markup.
    """
    out: list[str] = []
    pos = 0
    runs = list(_BACKTICKS.finditer(message))
    i = 0
    while i < len(runs):
        opening = runs[i]
        closing_index = next(
            (j for j in range(i + 1, len(runs)) if len(runs[j].group(0)) == len(opening.group(0))), None
        )
        if closing_index is None:
            i += 1
            continue
        closing = runs[closing_index]
        out.append(md_text(message[pos:opening.start()]))
        content = message[opening.end():closing.start()].replace("\n", " ")
        if len(content) > 2 and content[0] == " " and content[-1] == " " and content.strip():
            content = content[1:-1]  # CommonMark strips one space each side
        out.append(md_code(content))
        pos = closing.end()
        i = closing_index + 1
    out.append(md_text(message[pos:]))
    return "".join(out)


def md_fence(text: str, info: str = "") -> list[str]:
    """A fenced code block around ``text``: its fence is longer than any backtick run inside."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", terminal(text), fence]
