"""The ``migcheck`` command's entry point.

``migcheck --version`` (or ``-V``) alone is answered here, before typer and the command-line module are
imported: they are nine tenths of that run, and the line printed is the same. Anything else goes to
:func:`migcheck.cli.main`.
"""

from __future__ import annotations

import os
import sys

from migcheck.vocabulary.version import VERSION


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]) and not _completing():
        # The distribution's name: `pip install migcheck` is an unrelated project with the same command.
        sys.stdout.write(f"alembic-migcheck {VERSION}\n")
        sys.stdout.flush()
        raise SystemExit(0)
    from migcheck.cli import main as cli_main

    cli_main()


def _completing() -> bool:
    """Shell completion (click's ``_MIGCHECK_COMPLETE``) is the CLI's business, whatever the arguments."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)
