"""The ``migcheck`` command's entry point.

``migcheck --version`` (or ``-V``) alone is answered here, before typer and the command-line module are
imported: they are nine tenths of that run, and the line printed is the same. A simple ``migcheck lint``
command line (paths, ``--format``, ``-q``: what a pre-commit hook runs) is run by :mod:`migcheck.lintcmd`
without typer, by the same code typer's ``lint`` calls. Anything else goes to :func:`migcheck.cli.main`.

``migcheck lint`` runs with the cyclic garbage collector paused except while a file is parsed
(``sources.load``): what a lint builds (imported modules, the revisions read from the cache, the
findings) lives until the process exits, and each collector pass only walked it again, finding nothing
(a pre-commit run: 57 passes, 47 M instructions; docs/speed.md). Parsing
SQL is where cyclic garbage is made (sqlglot's trees), so the collector runs there as before. Only the
command does this; ``migcheck.lint()`` leaves the host process's collector alone.
"""

from __future__ import annotations

import gc
import os
import sys

from migcheck.vocabulary.version import VERSION


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]) and not _completing():
        # The distribution's name: `pip install migcheck` is an unrelated project with the same command.
        sys.stdout.write(f"alembic-migcheck {VERSION}\n")
        sys.stdout.flush()
        raise SystemExit(0)
    if sys.argv[1:2] == ["lint"]:
        gc.disable()  # never re-enabled: the process ends with the command
        if not _completing():
            from migcheck import lintcmd

            keywords = lintcmd.simple_args(sys.argv[2:])
            if keywords is not None and lintcmd.stderr_plain():
                lintcmd.run_simple(keywords)
    from migcheck.cli import main as cli_main

    cli_main()


def _completing() -> bool:
    """Shell completion (click's ``_MIGCHECK_COMPLETE``) is the CLI's business, whatever the arguments."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)
