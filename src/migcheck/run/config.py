"""Settings: what the rules and reporters need to know about the target and the user's choices.

Three layers, later ones win: built-in defaults, ``[tool.migcheck]`` in the
nearest ``pyproject.toml`` (or ``--config FILE``), command-line options.
Every setting remembers which layer it came from, so ``migcheck config`` can
say why a value is what it is. A key or rule id migcheck does not know is an
error naming the closest valid one: a typo in a config must never silently
turn a check off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migcheck.guard import toml
from migcheck.guard.readfile import UnreadableFile, read_regular
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.settings import (
    DEFAULT,
    DEFAULT_MYSQL_VERSION,
    DEFAULT_POSTGRES_VERSION,
    DIALECTS,
    FAIL_ON,
    OUTPUT_FORMATS,
    Settings,
)


class ConfigError(Exception):
    """Bad configuration; the message is the one line the user sees."""


# --- the keys of [tool.migcheck] ---------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One ``[tool.migcheck]`` key: the Settings attribute it sets and how its value is checked."""

    name: str
    attr: str
    parse: Callable[[Any, _Where], Any]
    help: str
    default_text: str


@dataclass(eq=False, repr=False)
class _Where:
    """Where a value comes from, for error messages and relative paths."""

    origin: str
    base_dir: Path

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{key} in {self.origin}: {message}")


def _closest(value: str, choices: list[str] | tuple[str, ...]) -> str:
    normalized = value.replace("_", "-").lower()
    from difflib import get_close_matches  # only to word an error

    close = get_close_matches(normalized, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f" (valid: {', '.join(choices)})"


def _choice(key: str, choices: tuple[str, ...]) -> Callable[[Any, _Where], str]:
    def parse(value: Any, where: _Where) -> str:
        if not isinstance(value, str) or value not in choices:
            raise where.error(key, f"unknown value {value!r}{_closest(str(value), choices)}")
        return value

    return parse


def _string_list(key: str) -> Callable[[Any, _Where], list[str]]:
    def parse(value: Any, where: _Where) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise where.error(key, "must be a list of strings")
        return [v.strip() for v in value if v.strip()]

    return parse


def known_rule_ids() -> list[str]:
    from migcheck.rules.registry import all_rules

    return [r.id for r in all_rules()]


def rule_hint(rule_id: str, known: list[str]) -> str:
    """``; did you mean 'x'?`` for a misspelt or shortened rule id."""
    from difflib import get_close_matches  # only to word an error

    close = get_close_matches(rule_id, known, n=1) or [k for k in known if k.startswith(rule_id)][:1]
    return f"; did you mean {close[0]!r}?" if close else "; `migcheck rules` lists them"


def check_rule_ids(ids: list[str] | set[str], key: str, where: _Where) -> None:
    known = known_rule_ids()
    for rule_id in sorted(ids):
        if rule_id not in known:
            raise where.error(key, f"unknown rule {rule_id!r}{rule_hint(rule_id, known)}")


def _rule_set(key: str) -> Callable[[Any, _Where], set[str]]:
    as_list = _string_list(key)

    def parse(value: Any, where: _Where) -> set[str]:
        ids = {part.strip() for item in as_list(value, where) for part in item.split(",") if part.strip()}
        check_rule_ids(ids, key, where)
        return ids

    return parse


def _parse_select(value: Any, where: _Where) -> set[str] | None:
    return _rule_set("select")(value, where)


def _parse_severity(value: Any, where: _Where) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise where.error("severity", 'must be a table of rule id = "error" | "warning" | "info"')
    check_rule_ids(list(value), "severity", where)
    out: dict[str, Severity] = {}
    for rule_id, level in value.items():
        if not isinstance(level, str) or level.lower() not in ("error", "warning", "info"):
            raise where.error(f"severity.{rule_id}",
                              f"unknown severity {level!r} (use error, warning or info)")
        out[rule_id] = Severity.parse(level)
    return out


def _parse_fail_on(value: Any, where: _Where) -> Severity | None:
    text = _choice("fail-on", FAIL_ON)(value, where)
    return None if text == "never" else Severity.parse(text)


def _parse_postgres_version(value: Any, where: _Where) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 9 <= value <= 99:
        raise where.error("postgres-version",
                          f"must be a PostgreSQL major version such as 15 (got {value!r})")
    return value


def _parse_mysql_version(value: Any, where: _Where) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise where.error("mysql-version", f'must be a version string such as "8.0" (got {value!r})')
    return value.strip()


def _parse_paths(value: Any, where: _Where) -> list[Path]:
    return [(where.base_dir / p) if not Path(p).is_absolute() else Path(p)
            for p in _string_list("paths")(value, where)]


def _parse_output_format(value: Any, where: _Where) -> list[str]:
    specs = [value] if isinstance(value, str) else _string_list("output-format")(value, where)
    for spec in specs:
        name = spec.partition(":")[0].strip().lower()
        if name not in OUTPUT_FORMATS:
            raise where.error("output-format", f"unknown format {name!r}{_closest(name, OUTPUT_FORMATS)}")
    return specs


def _parse_bool(key: str) -> Callable[[Any, _Where], bool]:
    def parse(value: Any, where: _Where) -> bool:
        if not isinstance(value, bool):
            raise where.error(key, f"must be true or false (got {value!r})")
        return value

    return parse


def _parse_file(key: str) -> Callable[[Any, _Where], Path]:
    def parse(value: Any, where: _Where) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise where.error(key, f"must be a file path (got {value!r})")
        path = Path(value.strip())
        return path if path.is_absolute() else where.base_dir / path

    return parse


def _parse_count(key: str, minimum: int = 0) -> Callable[[Any, _Where], int]:
    def parse(value: Any, where: _Where) -> int:
        if isinstance(value, str) and value.strip().replace("_", "").isdigit():
            value = int(value.strip().replace("_", ""))
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise where.error(key, f"must be a whole number of at least {minimum} (got {value!r})")
        return value

    return parse


def _parse_baseline(value: Any, where: _Where) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    return tuple(_string_list("baseline")(value, where))


KEYS: tuple[Key, ...] = (
    Key("dialect", "dialect", _choice("dialect", DIALECTS), "Target database: postgresql, mysql or sqlite.",
        '"postgresql"'),
    Key("postgres-version", "postgres_version", _parse_postgres_version,
        "PostgreSQL major version of production; rules about version-dependent locks use it.",
        str(DEFAULT_POSTGRES_VERSION)),
    Key("mysql-version", "mysql_version", _parse_mysql_version, "MySQL / MariaDB version of production.",
        f'"{DEFAULT_MYSQL_VERSION}"'),
    Key("select", "select", _parse_select,
        "Only these rules run (default: every rule that is on by default).", "every rule on by default"),
    Key("extend-select", "extend_select", _rule_set("extend-select"),
        "Rules to run in addition, e.g. ones that are off by default.", "[]"),
    Key("ignore", "ignore", _rule_set("ignore"), "Rules never to run.", "[]"),
    Key("severity", "severity_overrides", _parse_severity,
        'Per-rule severity: a table of rule id = "error" | "warning" | "info".', "{}"),
    Key("fail-on", "fail_on", _parse_fail_on,
        "Exit 1 when an unsuppressed finding at or above this severity remains: error, warning, info, never.",
        '"error"'),
    Key("paths", "paths", _parse_paths,
        "What `migcheck lint` checks when given no paths (relative to the config file).", '["."]'),
    Key("exclude", "exclude", _string_list("exclude"),
        "Glob patterns of files not to lint (they still count in the revision graph).", "[]"),
    Key("output-format", "output_format", _parse_output_format,
        "Report format(s), as `--format` takes them: text, json, sarif, github, markdown, each with an "
        "optional `:PATH` (a string or a list).", '"text"'),
    Key("require-reason", "require_reason", _parse_bool("require-reason"),
        "An inline suppression without `-- reason` is a finding (suppression-without-reason).", "true"),
    Key("baseline", "baseline", _parse_baseline,
        "Revision id(s): they and their ancestors are trusted history, not linted by per-revision rules.",
        "none"),
    Key("models", "models", _string_list("models"),
        "Modules of the application's models (`[\"app.models\"]`), read statically, never imported; by "
        "default env.py's `target_metadata` is followed.", "[]"),
    Key("table-stats", "table_stats", _parse_file("table-stats"),
        "A `migcheck stats` snapshot (JSON): findings whose cost grows with the table follow its size.",
        "none"),
    Key("small-table-rows", "small_table_rows", _parse_count("small-table-rows"),
        "Below this many rows (and small-table-bytes) a size-dependent finding is info.", "10000"),
    Key("small-table-bytes", "small_table_bytes", _parse_count("small-table-bytes"),
        "Below this many bytes of heap (and small-table-rows) a size-dependent finding is info.",
        str(64 * 1024 * 1024)),
    Key("large-table-rows", "large_table_rows", _parse_count("large-table-rows"),
        "From this many rows (or large-table-bytes) the message says the table is large and how long a pass takes.",
        "1000000"),
    Key("large-table-bytes", "large_table_bytes", _parse_count("large-table-bytes"),
        "From this many bytes of heap (or large-table-rows) the table counts as large.", str(1024 ** 3)),
    Key("table-stats-max-age", "table_stats_max_age", _parse_count("table-stats-max-age", 1),
        "Days after which the snapshot gets a note that it is old.", "90"),
    Key("verify-data", "verify_data", _parse_file("verify-data"),
        "`migcheck verify`: a folder of `<revision>.toml` files, rows inserted before that revision and "
        "checked after it (relative to the config file).", "none"),
)
KEY_NAMES = tuple(k.name for k in KEYS)
_BY_NAME = {k.name: k for k in KEYS}


# --- finding and reading the file --------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return toml.loads(read_regular(path).decode("utf-8"))
    except UnreadableFile as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {path}: not UTF-8 ({exc.reason})") from None
    except toml.TomlError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def migcheck_table(data: dict[str, Any]) -> dict[str, Any] | None:
    tool = data.get("tool")
    table = tool.get("migcheck") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def search_start(start: Path) -> Path:
    here = start.resolve()
    return here.parent if here.is_file() or not here.exists() else here


def search_stop(start: Path) -> Path | None:
    """The repository root above ``start``: config lookup goes no higher (as ruff's and pytest's)."""
    from migcheck.sources.discovery import checkout_top

    return checkout_top(search_start(start))


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.migcheck]`` table, from ``start`` up to the repository root.

    Above the repository is someone else's: a parent directory's ``fail-on = "never"`` (a shared
    workspace, ``/tmp``) must not switch off a project's checks. Outside any repository the search
    goes up to the filesystem root, but takes only files owned by this user or root.
    """
    here = search_start(start)
    stop = search_stop(here)
    folders = [here, *here.parents]
    if stop is not None:
        folders = folders[: folders.index(stop) + 1]
    for folder in folders:
        candidate = folder / "pyproject.toml"
        if stop is None and not _owned_here(candidate):
            continue
        if not candidate.is_file():
            continue
        try:
            text = read_regular(candidate).decode("utf-8")
        except (UnreadableFile, UnicodeDecodeError):
            continue
        if "migcheck" not in text:
            continue
        # A broken file that mentions migcheck is an error, not something to skip past silently.
        if migcheck_table(_read_toml(candidate)) is not None:
            return candidate
    return None


def _owned_here(path: Path) -> bool:
    try:
        owner = path.stat().st_uid
    except OSError:
        return False
    return owner in (0, os.geteuid()) if hasattr(os, "geteuid") else True


def search_note(start: Path) -> str:
    """Where the lookup went, for ``migcheck config`` when it found nothing."""
    here, stop = search_start(start), search_stop(start)
    if stop is None:
        return f"searched from {short_path(here)} up to /, no repository root above it"
    return f"searched from {short_path(here)} up to the repository root {short_path(stop)}"


def read_config_file(path: Path) -> dict[str, Any]:
    """The migcheck table of ``path``: ``[tool.migcheck]`` of a pyproject.toml, else the whole file."""
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    data = _read_toml(path)
    table = migcheck_table(data)
    if table is not None:
        return table
    if path.name == "pyproject.toml":
        raise ConfigError(f"{path} has no [tool.migcheck] table (`migcheck init` writes one)")
    return data


def _table_origin(path: Path) -> str:
    return f"{short_path(path)} [tool.migcheck]" if path.name == "pyproject.toml" else short_path(path)


def short_path(path: Path) -> str:
    """Relative to the working directory when below it, else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(resolved)


# --- building Settings -------------------------------------------------------------------------


def load_settings(
    paths: list[Path] | None = None,
    config: Path | None = None,
    *,
    isolated: bool = False,
    cli: dict[str, tuple[Any, str]] | None = None,
) -> Settings:
    """Defaults, then the config file, then the command line (``key -> (value, option name)``)."""
    settings = Settings(origins={k.name: DEFAULT for k in KEYS})
    config_path: Path | None = None
    if config is not None:
        config_path = config
    elif not isolated:
        config_path = find_config(paths[0] if paths else Path.cwd())
        if config_path is None:
            settings.config_search = search_note(paths[0] if paths else Path.cwd())
    if config_path is not None:
        table = read_config_file(config_path)
        settings.config_file = config_path.resolve()
        settings.root = settings.config_file.parent
        where = _Where(_table_origin(config_path), settings.root)
        for name, value in table.items():
            key = _BY_NAME.get(name)
            if key is None:
                raise ConfigError(f"unknown key {name!r} in {where.origin}{_closest(name, KEY_NAMES)}")
            setattr(settings, key.attr, key.parse(value, where))
            settings.origins[name] = where.origin
    for name, (value, option) in (cli or {}).items():
        if value is None:
            continue
        key = _BY_NAME[name]
        where = _Where(f"command line ({option})", Path.cwd())
        parsed = key.parse(value, where)
        previous = settings.origins[name]
        if name in ("ignore", "extend-select") and previous != DEFAULT:
            # Adding to the team's lists, not replacing them: a local --ignore must not re-enable
            # a rule the project turned off.
            parsed = getattr(settings, key.attr) | parsed
            where.origin = f"{previous} + {where.origin}"
        setattr(settings, key.attr, parsed)
        settings.origins[name] = where.origin
    return settings


def split_cli_list(values: list[str] | None) -> list[str] | None:
    """``--select a,b --select c`` -> ``[a, b, c]``; None when the option was not given."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


# --- showing the effective settings ------------------------------------------------------------


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's (\\n, \\t, \\uXXXX, ...), and TOML wants DEL escaped too."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Severity):
        return f'"{value.label}"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Path):
        return _toml_value(short_path(value))
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dict):
        inner = ", ".join(f'{k} = {_toml_value(v)}' for k, v in sorted(value.items()))
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else list(value)
        return "[" + ", ".join(_toml_value(v) for v in items) + "]"
    return _toml_value(str(value))


def effective(settings: Settings) -> list[tuple[str, Any, str]]:
    """``(key, value as shown, origin)`` for every key; values are TOML-ready or None when unset."""
    rows: list[tuple[str, Any, str]] = []
    for key in KEYS:
        value = getattr(settings, key.attr)
        if key.name == "fail-on":
            value = "never" if value is None else value.label
        if key.name == "paths":
            # As they would be written in the config file: relative to its directory.
            base = settings.root or Path.cwd()
            value = [Path(os.path.relpath(p, base)).as_posix() for p in value] or None
        if key.name == "baseline" and not value:
            value = None
        elif key.name == "baseline" and len(value) == 1:
            value = value[0]
        rows.append((key.name, value, settings.origins.get(key.name, DEFAULT)))
    return rows


def render_effective(settings: Settings) -> str:
    """The settings as a ``[tool.migcheck]`` table, each line commented with where it came from."""
    source = short_path(settings.config_file) if settings.config_file else \
        f"none found{f' ({settings.config_search})' if settings.config_search else ''}; defaults"
    lines = [f"# config file: {source}", "[tool.migcheck]"]
    rows = []
    for name, value, origin in effective(settings):
        if value is None:
            rows.append((f"# {name} = (not set: {_BY_NAME[name].default_text})", origin))
        else:
            rows.append((f"{name} = {_toml_value(value)}", origin))
    width = max(len(text) for text, _ in rows)
    lines.extend(f"{text:<{width}}  # {origin}" for text, origin in rows)
    return "\n".join(lines) + "\n"


def effective_json(settings: Settings) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Severity):
            return value.label
        if isinstance(value, Path):
            return short_path(value)
        if isinstance(value, set | frozenset):
            return sorted(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in sorted(value.items())}
        return value

    return {
        "config_file": str(settings.config_file) if settings.config_file else None,
        "config_search": settings.config_search,
        "settings": {name: {"value": plain(value), "origin": origin}
                     for name, value, origin in effective(settings)},
    }
