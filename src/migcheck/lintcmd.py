"""What ``migcheck lint`` does once its arguments are read, and a reading of the commonest command lines
without typer.

``cli.lint`` (typer) calls :func:`lint_command`. A pre-commit hook runs ``migcheck lint FILE... [--format F]
[-q]``: for such a command line (only paths and the few options :func:`simple_args` knows) the command
is run from here, without importing typer and building its click command, about a third of the imports of
a pre-commit run (docs/speed.md). Anything else, including every mistake a user can make on the command
line, goes to typer, which says what is wrong as it always did. Errors found after the arguments are read
are the same lines either way (``migcheck: error: ...``, exit 2).
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

#: The flags a simple command line may hold: option -> ``lint_command`` keyword.
_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--no-cache": "no_cache", "--pretty": "pretty", "--no-config": "no_config"}
#: The options taking a value a simple command line may hold.
_FORMAT = ("--output-format", "--format", "-f")
#: Options of one value a simple command line may hold once each (a CI job's ``--fail-on never --jobs 1``): option ->
#: ``lint_command`` keyword. Their values are checked here as click would accept them; any other goes to typer.
_SINGLE = {"--fail-on": "fail_on", "--jobs": "jobs", "-j": "jobs"}
_FAIL_ON = frozenset({"error", "warning", "info", "never"})


class UsageError(Exception):
    """Bad input found after the arguments were read: one line on stderr, exit 2."""


def simple_args(args: list[str]) -> dict[str, Any] | None:
    """``lint_command``'s keywords for the arguments after ``lint``, or None when typer must read them.

    Simple: every argument is a path (not starting with ``-``; empty and unreadable ones are typer's, which
    refuses an existing path this user cannot read), a flag of ``_FLAGS``, ``--format VALUE`` /
    ``--format=VALUE`` (and its other spellings) with a value not starting with ``-``, or one of ``_SINGLE``
    at most once with a value click takes as it is (``--fail-on`` one of its four words, ``--jobs`` digits
    without a leading zero). Never on Windows, where click expands wildcards in the arguments itself (no
    shell does it there).
    """
    if os.name == "nt":
        return None
    paths: list[Path] = []
    formats: list[str] = []
    flags: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg in _FLAGS:
            flags[_FLAGS[arg]] = True
            continue
        name, equals, value = arg.partition("=")
        if name in _FORMAT and (equals or name == arg):
            if not equals:
                if i == len(args):
                    return None
                value, i = args[i], i + 1
            if (name == "-f" and equals) or not value or value.startswith("-"):
                return None
            formats.append(value)
            continue
        if name in _SINGLE and (equals or name == arg):
            if not equals:
                if i == len(args):
                    return None
                value, i = args[i], i + 1
            keyword = _SINGLE[name]
            if keyword in flags or (name == "-j" and equals) or not _plain_value(keyword, value):
                return None
            flags[keyword] = int(value) if keyword == "jobs" else value
            continue
        if not arg or arg.startswith("-") or not _readable(arg):
            return None
        paths.append(Path(arg))
    return {"paths": paths or None, "output_format": formats or None, **flags}


def _plain_value(keyword: str, value: str) -> bool:
    """A value of ``_SINGLE``'s option that click reads as written: a ``--fail-on`` choice, or a ``--jobs`` count
    of ASCII digits from 1 up without a leading zero (click's ``int()`` also takes ``+3``, `` 3``, ``3_0``:
    those go to typer, as does ``0``, which it refuses)."""
    if keyword == "fail_on":
        return value in _FAIL_ON
    return value.isascii() and value.isdigit() and not value.startswith("0")


def _readable(path: str) -> bool:
    """What typer's path check lets through: a path that does not exist, or one this user can read."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return True
    return os.access(path, os.R_OK)


def run_simple(keywords: dict[str, Any]) -> NoReturn:
    """Run ``lint_command`` and exit as typer's ``standalone_mode`` does (``typer.core._main``)."""
    try:
        try:
            code = lint_command(**keywords)
        except UsageError as exc:
            say(f"migcheck: error: {_one_line(str(exc))}")
            code = EXIT_USAGE
        except EOFError:
            say("")
            say("Aborted!")
            code = 1
        except KeyboardInterrupt:
            code = 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.stdout = cast(TextIO, _Pacified(sys.stdout))
        sys.stderr = cast(TextIO, _Pacified(sys.stderr))
        code = 1
    raise SystemExit(code)


def stderr_plain() -> bool:
    """Whether standard error takes text as is: click re-encodes a stream without one or in ASCII (a
    simple command line is then typer's, so notes and errors come out as they always did)."""
    import codecs

    encoding = getattr(sys.stderr, "encoding", None)
    try:
        return isinstance(encoding, str) and bool(encoding) and codecs.lookup(encoding).name != "ascii"
    except LookupError:
        return False


def say(line: str) -> None:
    """One line on stderr, as ``typer.echo(line, err=True)`` writes it to a text stream."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _Pacified:
    """click's ``PacifyFlushWrapper``: after a broken pipe, flushing at exit must not raise again."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)


def _one_line(text: str) -> str:
    from migcheck.guard.escape import one_line

    return one_line(text)


def cli_values(
    *, output_format: list[str] | None = None, fail_on: str | None = None, dialect: str | None = None,
    postgres_version: int | None = None, select: list[str] | None = None,
    extend_select: list[str] | None = None, ignore: list[str] | None = None, exclude: list[str] | None = None,
    baseline: str | None = None, table_stats: Path | None = None, mysql_version: str | None = None,
    verify_data: Path | None = None,
) -> dict[str, tuple[object, str]]:
    """The command line's settings, each with the option that gave it, for ``load_settings``."""
    from migcheck.run.config import split_cli_list

    return {
        "output-format": (output_format or None, "--output-format"),
        "fail-on": (fail_on, "--fail-on"),
        "dialect": (dialect, "--dialect"),
        "postgres-version": (postgres_version, "--postgres-version"),
        "select": (split_cli_list(select), "--select"),
        "extend-select": (split_cli_list(extend_select), "--extend-select"),
        "ignore": (split_cli_list(ignore), "--ignore"),
        "exclude": (exclude or None, "--exclude"),
        "baseline": (baseline, "--baseline"),
        "table-stats": (str(table_stats) if table_stats else None, "--table-stats"),
        "mysql-version": (mysql_version, "--mysql-version"),
        "verify-data": (str(verify_data) if verify_data else None, "--verify-data"),
    }


def load_settings_or_fail(paths: list[Path] | None, config: Path | None, no_config: bool,
                          cli: dict[str, tuple[object, str]]) -> Any:
    """Defaults < config file < command line; bad settings are a ``UsageError``."""
    from migcheck.run.config import ConfigError, load_settings

    if config is not None and no_config:
        raise UsageError("--config and --no-config contradict each other; use one")
    try:
        return load_settings(paths, config, isolated=no_config, cli=cli)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def lint_command(
    paths: list[Path] | None = None,
    output_format: list[str] | None = None,
    fail_on: str | None = None,
    dialect: str | None = None,
    postgres_version: int | None = None,
    select: list[str] | None = None,
    extend_select: list[str] | None = None,
    ignore: list[str] | None = None,
    exclude: list[str] | None = None,
    baseline: str | None = None,
    base: str | None = None,
    table_stats: Path | None = None,
    config: Path | None = None,
    no_config: bool = False,
    quiet: bool = False,
    jobs: int | None = None,
    no_cache: bool = False,
    statistics: bool = False,
    mysql_version: str | None = None,
    pretty: bool = False,
    stdin_filename: Path | None = None,
) -> int:
    """``migcheck lint`` with its options read: writes the reports, returns the exit code."""
    from migcheck.report import outputs
    from migcheck.run.config import ConfigError
    from migcheck.run.engine import lint_paths
    from migcheck.sources.discovery import DiscoveryError

    from_stdin = _stdin_mode(paths, stdin_filename, base)
    config_paths = ([stdin_filename] if stdin_filename else None) if from_stdin else paths
    settings = load_settings_or_fail(config_paths, config, no_config, cli_values(
        output_format=output_format, fail_on=fail_on, dialect=dialect, postgres_version=postgres_version,
        select=select, extend_select=extend_select, ignore=ignore, exclude=exclude, baseline=baseline,
        table_stats=table_stats, mysql_version=mysql_version))
    settings.base = base
    settings.jobs = jobs
    settings.cache = not no_cache
    try:
        wanted = outputs.parse(settings.output_format)
        if statistics:
            outputs.check_statistics(wanted)
    except outputs.OutputError as exc:
        raise UsageError(str(exc)) from None
    try:
        if from_stdin:
            from migcheck.report import source
            from migcheck.run.stdin import lint_stdin, shown_name

            data = sys.stdin.buffer.read()
            result = lint_stdin(data, stdin_filename, settings)
            source.remember(shown_name(stdin_filename), data)  # the source line under each finding
        else:
            result = lint_paths(paths or settings.paths or [Path(".")], settings)
    except (DiscoveryError, ConfigError) as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:
        if not _git_base_error(exc):
            raise
        raise UsageError(str(exc)) from None
    for note in result.sources.notes:
        say(f"migcheck: note: {_one_line(note)}")
    worst = result.worst()
    code = EXIT_FINDINGS if settings.fail_on is not None and worst is not None and worst >= settings.fail_on \
        else EXIT_OK
    try:
        outputs.write_all(wanted, result, code, quiet=quiet, pretty=pretty, statistics=statistics)
    except outputs.OutputError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if from_stdin:
            from migcheck.report import source

            source.forget()
    return code


def _git_base_error(exc: Exception) -> bool:
    """Whether ``exc`` is pull-request mode's ``GitBaseError``: only a run that imported that module (and git's
    subprocess machinery with it, which a run without ``--base`` does not need) can have raised one."""
    module = sys.modules.get("migcheck.sources.git")
    return module is not None and isinstance(exc, module.GitBaseError)


def _stdin_mode(paths: list[Path] | None, stdin_filename: Path | None, base: str | None) -> bool:
    """`lint -` reads stdin; `-` beside other paths, or --stdin-filename without `-`, is a usage error."""
    dash = [p for p in paths or [] if str(p) == "-"]
    if not dash:
        if stdin_filename is not None:
            raise UsageError("--stdin-filename names the text read from stdin: give `-` as the path (migcheck "
                             f"lint - --stdin-filename {stdin_filename})")
        return False
    if len(paths or []) > 1:
        raise UsageError("`-` (read stdin) cannot be combined with other paths")
    if base is not None:
        raise UsageError("--base compares files in git; it cannot apply to text read from stdin")
    return True
