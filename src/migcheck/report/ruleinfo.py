"""What reporters say about a rule: descriptions and help taken from its one documentation page.

A rule's page (``rules/docs/<id>.md``) has the sections What it finds / Why
it hurts / Example / Safe alternative. Not every rule has a page yet, so
everything here falls back to the rule's one-line summary.
"""

from __future__ import annotations

import re

from migcheck.rules.registry import Rule
from migcheck.vocabulary.lazyregex import lazy_regex

#: Where each rule's page lives on the web; SARIF ``helpUri`` and markdown links point here.
DOCS_URL_BASE = "https://github.com/migcheck/migcheck/blob/main/docs/rules/"

#: The head of a markdown heading; ``_heading`` cuts its closing ``#``s (``(.*?)\s*#*\s*$`` tried that tail at
#: every character of the text: quadratic in a run of blanks).
_HEADING = lazy_regex(r"(#{1,6})\s+")
_DOUBLE_TICKS = lazy_regex(r"``(.+?)``")


def _heading(line: str) -> tuple[str, str] | None:
    """``(hashes, text)`` of a markdown heading line, as ``^(#{1,6})\\s+(.*?)\\s*#*\\s*$`` reads one line."""
    match = _HEADING.match(line)
    if match is None:
        return None
    end = len(line.rstrip())
    end = len(line[:end].rstrip("#").rstrip())
    return match.group(1), line[match.end():max(end, match.end())]


def doc_url(rule_id: str) -> str:
    return f"{DOCS_URL_BASE}{rule_id}.md"


def as_markdown(text: str) -> str:
    """Docstring-style ````code```` becomes markdown ```code```."""
    return _DOUBLE_TICKS.sub(r"`\1`", text)


def as_plain(text: str) -> str:
    """Markdown inline code and emphasis marks dropped, for fields shown as plain text."""
    return re.sub(r"`+|\*\*", "", text).strip()


def sections(doc: str) -> dict[str, str]:
    """``## Heading`` -> body text; the title (``# id``) and fenced code stay out of headings' way."""
    out: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    fenced = False
    for line in doc.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _heading(line)
        if match and len(match[0]) == 2:
            if current is not None:
                out[current] = "\n".join(body).strip()
            current, body = match[1], []
        elif current is not None:
            body.append(line)
    if current is not None:
        out[current] = "\n".join(body).strip()
    return out


def _first_paragraph(text: str) -> str:
    paragraph = text.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def short_description(rule: Rule) -> str:
    return as_plain(as_markdown(rule.summary)) or rule.id


def full_description(rule: Rule) -> str:
    """The page's "What it finds" paragraph, else the summary."""
    found = sections(rule.doc).get("What it finds", "")
    return as_plain(_first_paragraph(found)) if found.strip() else short_description(rule)


def help_markdown(rule: Rule) -> str:
    """The page without its ``# id`` title (the viewer shows the rule id already)."""
    lines = rule.doc.strip().splitlines()
    if lines and _HEADING.match(lines[0]) and lines[0].startswith("# "):
        lines = lines[1:]
    text = "\n".join(lines).strip()
    if not sections(rule.doc):
        text = as_markdown(rule.summary)
    return f"{text}\n\nFull documentation: {doc_url(rule.id)}"


def help_text(rule: Rule) -> str:
    """Plain-text help for viewers that do not render markdown: headings as plain lines."""
    out: list[str] = []
    fenced = False
    for line in help_markdown(rule).splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        heading = None if fenced else _heading(line)
        out.append(f"    {line}" if fenced else line if heading is None else heading[1])
    return "\n".join(out)
