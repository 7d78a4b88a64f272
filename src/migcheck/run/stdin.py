"""`migcheck lint -`: one revision read from standard input, as editor integrations send a buffer.

The text is written to a private temp directory and linted there, so nothing in the project is
touched. With `--stdin-filename PATH` findings are reported under PATH, and when PATH's folder
exists its other revisions complete the revision graph and its project's env.py is read, exactly
as for a file named on the command line (pre-commit); the text itself always comes from stdin.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from migcheck.run.engine import LintResult, display_path, lint_sources
from migcheck.sources.discovery import DiscoveryError, Sources, add_context, discover
from migcheck.vocabulary.settings import Settings

STDIN = "-"


def shown_name(filename: Path | None) -> str:
    """The path findings on the standard input are reported under."""
    return display_path(filename) if filename is not None else STDIN


def lint_stdin(data: bytes, filename: Path | None, settings: Settings) -> LintResult:
    """Lint ``data`` as one revision file; paths in the result read ``filename`` (or ``-``)."""
    name = filename.name if filename is not None else "stdin.py"
    if Path(name).suffix not in (".py", ".sql"):
        raise DiscoveryError(f"--stdin-filename must name a .py revision or a .sql file, not {filename}")
    shown = shown_name(filename)
    settings.cache = False  # the text has no file of its own to key a cache entry on
    with tempfile.TemporaryDirectory(prefix="migcheck-stdin-") as tmp:
        target = Path(tmp) / name
        target.write_bytes(data)
        sources = discover([target])
        sources.context = []
        folder = filename.parent if filename is not None else None
        if filename is not None and folder is not None and folder.is_dir() and target.suffix == ".py":
            beside = Sources(python=[filename])  # the siblings of the file the text stands for
            add_context([folder], beside)
            sources.context = beside.context
            env_py = folder.parent / "env.py"
            if env_py.is_file():
                sources.env_py = [env_py]
        result = lint_sources(sources, settings)
        temp_shown = display_path(target)
    for finding in result.findings:
        if finding.path == temp_shown:
            finding.path = shown
    for migration in result.migrations:
        if migration.path == target:
            migration.path = Path(shown)
    return result
