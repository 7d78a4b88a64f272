"""Read one source file into Migrations: parse once, headers and bodies from the same tree."""

from __future__ import annotations

import ast
import gc
import io
import os
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from migcheck.extract.offline import load_sql_file
from migcheck.guard.readfile import UnreadableFile, read_regular, read_regular_stat
from migcheck.vocabulary.revision import (
    HeaderError,
    Migration,
    Python2Syntax,
    module_constants,
    read_header,
    read_imports,
)


@dataclass
class LoadError(Exception):
    """A file migcheck cannot read as a revision; becomes an ``invalid-migration-file`` finding."""

    path: Path
    message: str
    line: int = 1


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes, size-capped (see migcheck.guard.readfile); LoadError for anything else."""
    try:
        return read_regular(path)
    except UnreadableFile as exc:
        raise LoadError(path, str(exc)) from None


def read_bytes_stat(path: Path) -> tuple[bytes, os.stat_result]:
    """``read_bytes`` and the stat of the file as it was opened (for the cache's signatures)."""
    try:
        return read_regular_stat(path)
    except UnreadableFile as exc:
        raise LoadError(path, str(exc)) from None


def read_source(path: Path, raw: bytes | None = None) -> str:
    """Decode as Python does (PEP 263 coding cookie, BOM), or raise LoadError."""
    if raw is None:
        raw = read_bytes(path)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise LoadError(path, f"cannot decode file: {exc}") from None


#: What a file crafted to exhaust the parser or migcheck's recursive walks of the tree gets.
TOO_DEEP = "the file is nested too deeply to analyse"
PARSER_GAVE_UP = "Python's parser gave up on this file (an expression nested too deeply): it cannot be analysed"


def load_python(path: Path, dialect: str, raw: bytes | None = None, *, extract: bool = True) -> Migration | None:
    """The revision in ``path`` (whose bytes are ``raw`` when already read); None when not a revision.

    ``extract=False`` reads the header only (no ``upgrade``/``downgrade`` bodies): enough for the
    graph, and much cheaper for history a baseline trusts. Every way a file can defeat the parser
    or the walkers (``X = ------...1`` is a MemoryError in the parser, deep nesting a RecursionError)
    is a LoadError here, so no load path (workers, header-only, cache) can lose the report to it.
    """
    collecting = _collect()
    try:
        return _load_python(path, dialect, raw, extract)
    except RecursionError:
        raise LoadError(path, TOO_DEEP) from None
    except MemoryError:
        raise LoadError(path, PARSER_GAVE_UP) from None
    finally:
        _restore(collecting)


def _collect() -> bool:
    """The cyclic collector runs while a file is parsed, also when the caller paused it (``lint`` does, for
    the whole run: see ``launch``): sqlglot's trees link children and parents, so parsing SQL is where a
    run makes cyclic garbage. Returns whether it was running before."""
    collecting = gc.isenabled()
    if not collecting:
        gc.enable()
    return collecting


def _restore(collecting: bool) -> None:
    if not collecting:
        gc.disable()


def _load_python(path: Path, dialect: str, raw: bytes | None, extract: bool) -> Migration | None:
    source = read_source(path, raw)
    if "revision" not in source and (source.isascii() or "revision" not in _nfkc(source)):
        # Every revision assigns ``revision``: a file that never says it is some other module (a Jinja or
        # cookiecutter template under a linted repository root), never parsed nor reported as broken.
        # Python folds identifiers by NFKC (a full-width r, U+FF52, makes the same name), so the test does too.
        return None
    python2: Python2Syntax | None = None
    rewritten = False  # read through migcheck.sources.python2, not parsed as it is
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        from migcheck.sources.python2 import python3_tree

        rescued = python3_tree(source)
        if rescued is None:
            if not could_be_revision(path, source):
                return None
            raise LoadError(path, syntax_error_message(exc), exc.lineno or 1) from None
        tree, constructs = rescued
        rewritten = True
        # no constructs: Python 3 of a newer grammar (PEP 758's except A, B:), checked as Python 3
        python2 = Python2Syntax(constructs, exc.lineno or 1) if constructs else None
    except ValueError as exc:  # null bytes
        raise LoadError(path, f"cannot parse file: {exc}") from None
    consts = module_constants(tree, None if rewritten else source)
    try:
        header = read_header(tree, consts)
    except HeaderError as exc:
        raise LoadError(path, str(exc), exc.line) from None
    if header is None:
        return None
    # imported on first use: a run whose revisions all come from the cache extracts nothing
    from migcheck.extract.python import PythonExtractor

    extractor = PythonExtractor(tree, consts, dialect, None if rewritten else source) if extract else None
    upgrade, downgrade = (extractor.body("upgrade"), extractor.body("downgrade")) if extractor else (None, None)
    lines = source.splitlines()
    if upgrade is not None and upgrade.opaque and not rewritten and _joined_is_source(lines, source):
        from migcheck.extract.python.imports import application_calls_of

        upgrade.application_calls = tuple(application_calls_of(tree))
    return Migration(
        path=path,
        revision=header.revision,
        down_revisions=header.down_revisions,
        branch_labels=header.branch_labels,
        label_names=header.label_names,
        depends_on=header.depends_on,
        message=header.message,
        line=header.line,
        down_line=header.down_line,
        origin="python",
        upgrade=upgrade,
        downgrade=downgrade,
        source_lines=lines,
        imports=read_imports(tree, None if rewritten else source),
        python2=python2,
    )


def _joined_is_source(lines: list[str], source: str) -> bool:
    """Whether the revision's lines joined by newlines (what rules/built.application_calls parses when the loader
    did not read the calls) are the text the loader parsed, up to a last newline: no ``\\r``, form feed or other
    line break of ``str.splitlines`` in it."""
    joined = "\n".join(lines)
    return joined == source or joined + "\n" == source


#: ``revision = ...`` (or ``revision: str = ...``) at the start of a line: how every revision names itself.
_REVISION_ASSIGNMENT = re.compile(r"^revision\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)


def could_be_revision(path: Path, source: str) -> bool:
    """Whether a file Python cannot parse may be a revision, and so worth an ``invalid-migration-file``: it lies
    in a ``versions`` folder (Alembic imports every file there, and fails on this one) or assigns ``revision`` at
    the start of a line. Any other file of a walked project that merely says "revision" (a test factory's
    ``revision_number``) is not one: Alembic never loads it, and its syntax is not migcheck's concern."""
    if any(part.lower() == "versions" for part in path.parent.parts):
        return True  # also versions/2024/01/x.py (recursive version locations)
    text = source if source.isascii() else _nfkc(source)
    # a revision names its parent: `revision, down_revision = "b1", "a1"`, or under an `if`, or in a folder of any
    # name that alembic.ini's version_locations lists (review: a broken revision there passed silently)
    return "down_revision" in text or _REVISION_ASSIGNMENT.search(text) is not None


def syntax_error_message(exc: SyntaxError) -> str:
    """The message of a file Python cannot parse. An f-string error under Python 3.11 may be the file's
    Python, not the file: Python 3.12 (PEP 701) reads the same quotes nested, backslashes and comments in
    f-strings, so the message says that the file may need a newer Python rather than that it is broken."""
    message = f"syntax error: {exc.msg}"
    if sys.version_info < (3, 12) and exc.msg.startswith("f-string"):
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        message += (f" (under Python {version}, which migcheck runs on: an f-string nesting the same quotes, or "
                    "holding a backslash or a comment, needs Python 3.12+ to parse; if the project runs on 3.12+, "
                    "run migcheck on it too)")
    return message


def load_sql(path: Path, dialect: str) -> list[Migration]:
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(path, f"cannot decode file as UTF-8: {exc.reason}") from None
    collecting = _collect()
    try:
        migrations = load_sql_file(path, text, dialect)
    except RecursionError:
        raise LoadError(path, TOO_DEEP) from None
    finally:
        _restore(collecting)
    lines = text.splitlines()
    for migration in migrations:
        migration.source_lines = lines  # for `-- migcheck: ignore[...]` comments
    return migrations


def _nfkc(text: str) -> str:
    """``text`` folded as Python folds identifiers; imported here, where a file is not ASCII (rare)."""
    import unicodedata

    return unicodedata.normalize("NFKC", text)
