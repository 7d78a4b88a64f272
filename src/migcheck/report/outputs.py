"""Several reports from one run: ``--output-format FORMAT[:PATH]`` (alias ``--format``), repeatable.

One rule, easy to remember: each ``--format`` names a format and, after a
colon, the file it goes to. A format without a path (or with ``-``) goes to
standard output, and only one may. When every format has a path, the text
report still goes to standard output, so ``--format sarif:results.sarif``
keeps the terminal readable. The path is split at the first colon only, so
``sarif:C:\\reports\\out.sarif`` works on Windows.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from migcheck.run.engine import LintResult
from migcheck.sources.discovery import named_project
from migcheck.vocabulary.settings import OUTPUT_FORMATS

FORMATS = OUTPUT_FORMATS


class OutputError(ValueError):
    """A ``--format`` value or an output file that cannot be used; one line for the user."""


@dataclass(frozen=True)
class Output:
    """One ``--format FORMAT[:PATH]``: a report format and where it goes."""

    format: str
    #: None: standard output.
    path: Path | None = None


def parse(values: list[str] | None) -> list[Output]:
    """Validate every ``--format`` before any linting, so bad options change nothing."""
    outputs: list[Output] = []
    for value in values or []:
        name, colon, target = value.partition(":")
        name = name.strip().lower()
        if name not in FORMATS:
            choices = ", ".join(FORMATS)
            raise OutputError(f"unknown format {name!r} in --output-format {value!r} (choose from {choices})")
        if colon and not target:
            raise OutputError(f"--output-format {value!r} has an empty path: write {name}:PATH or just {name}")
        outputs.append(Output(name, None if target in ("", "-") else Path(target)))
    to_stdout = [o.format for o in outputs if o.path is None]
    if len(to_stdout) > 1:
        raise OutputError(
            f"only one --output-format can write to standard output (got {', '.join(to_stdout)}); "
            f"give the others a file, e.g. --output-format {to_stdout[1]}:report.{to_stdout[1]}"
        )
    paths = [os.path.normcase(os.path.abspath(o.path)) for o in outputs if o.path is not None]
    if len(paths) != len(set(paths)):
        raise OutputError("two --output-format options write to the same file")
    if not to_stdout:
        outputs.insert(0, Output("text"))
    return outputs


def check_statistics(outputs: list[Output]) -> None:
    """``--statistics`` prints text or JSON counts on standard output; another format there is an error."""
    for output in outputs:
        if output.path is None and output.format not in ("text", "concise", "json"):
            raise OutputError(f"--statistics prints text or json on standard output, not {output.format}; "
                              f"write the {output.format} report to a file: --output-format {output.format}:PATH")


def render(output: Output, result: LintResult, exit_code: int, *, quiet: bool, color: bool,
           pretty: bool = False, links: bool = False) -> str:
    """The report in one format; reporters are imported only when asked for.

    A ``migcheck verify`` result (it has ``steps``) adds its per-revision table to text and its
    ``verify`` section to JSON; the other formats print its findings like lint's.
    """
    live = hasattr(result, "steps")
    if output.format == "json":
        if live:
            from migcheck.report import verify as verify_report

            return verify_report.render_json(result, exit_code, pretty)  # type: ignore[arg-type]
        from migcheck.report import json as json_report

        return json_report.render(result, exit_code, pretty)
    if output.format == "sarif":
        from migcheck.report import sarif

        if live:  # the run's counts in the run's property bag
            from migcheck.report.json import dumps

            doc = sarif.document(result)
            doc["runs"][0]["properties"] = {"verify": result.counts()}  # type: ignore[attr-defined]
            return dumps(doc, pretty)
        return sarif.render(result, pretty)
    if output.format == "github":
        from migcheck.report import github

        return github.render(result, quiet=quiet)
    if output.format == "markdown":
        from migcheck.report import markdown
        from migcheck.report.paths import github_blob_base

        return markdown.render(result, link_base=github_blob_base(os.environ))
    from migcheck.report import text

    concise = output.format == "concise"
    report = text.render(result, color=color, quiet=quiet, concise=concise, links=links)
    if live and not quiet and not concise:
        from migcheck.report import verify as verify_report

        return verify_report.table(result) + report  # type: ignore[arg-type]
    return report


def _refuse_link_out(output: Output) -> None:
    """A report file is not written through a symlink of the project that leads out of it.

    CI runs ``--format sarif:migcheck.sarif`` (the Action's ``sarif-file``) in the checkout of a pull
    request, which can commit ``migcheck.sarif -> ~/.gitconfig`` (or a folder on the way linked to
    elsewhere): opening it for writing would overwrite that file with the report. Only links inside
    the project are the pull request's: ``/tmp`` linked to ``/private/tmp`` (macOS) is the system's,
    and links that stay in the project are followed, as they are when reading.
    """
    assert output.path is not None
    project = named_project(output.path)
    named = Path(os.path.abspath(output.path))
    for part in (named, *named.parents):
        if not part.is_symlink() or not Path(os.path.realpath(part.parent)).is_relative_to(project):
            continue
        target = Path(os.path.realpath(part))
        if not target.is_relative_to(project):
            raise OutputError(f"cannot write {output.format} report to {output.path}: {part} is a symlink "
                              f"to {target}, outside the project ({project})")


def write_all(
    outputs: list[Output],
    result: LintResult,
    exit_code: int,
    *,
    quiet: bool = False,
    pretty: bool = False,
    stdout: TextIO | None = None,
    use_color: Callable[[TextIO], bool] | None = None,
    statistics: bool = False,
) -> None:
    """Files first, then standard output: a file that cannot be written stops the run with exit 2.

    With ``statistics`` standard output gets the counts per rule instead of the findings (text or
    JSON); reports written to files are complete either way.
    """
    from migcheck.report.text import use_color as default_use_color
    from migcheck.report.text import use_hyperlinks

    out = stdout or sys.stdout
    for output in outputs:
        if output.path is None:
            continue
        content = render(output, result, exit_code, quiet=quiet, color=False, pretty=pretty)
        _refuse_link_out(output)
        try:
            output.path.parent.mkdir(parents=True, exist_ok=True)
            with output.path.open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
        except OSError as exc:
            raise OutputError(f"cannot write {output.format} report to {output.path}: "
                              f"{exc.strerror or exc}") from None
    for output in outputs:
        if output.path is None and statistics:
            from migcheck.report import text

            if output.format == "json":
                out.write(json.dumps(text.statistics_json(result), indent=2) + "\n")
            else:
                out.write(text.statistics(result))
        elif output.path is None:
            color = (use_color or default_use_color)(out)
            links = use_hyperlinks(out)
            out.write(render(output, result, exit_code, quiet=quiet, color=color, pretty=pretty, links=links))
