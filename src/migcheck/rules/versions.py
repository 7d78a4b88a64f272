"""Server versions as rules need them: MySQL vs MariaDB, INSTANT DDL, SQLite's ALTER TABLE."""

from __future__ import annotations

from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.settings import Settings

_NUMBER = lazy_regex(r"\d+")


def version_tuple(text: str | int) -> tuple[int, ...]:
    """``"8.0.12"`` -> ``(8, 0, 12)``; ``"10.11.6-MariaDB"`` -> ``(10, 11, 6)``; junk -> ``()``."""
    return tuple(int(n) for n in _NUMBER.findall(str(text))[:3])


def is_mariadb(settings: Settings) -> bool:
    """MariaDB numbers its releases 10.x and 11.x; MySQL went from 5.7 to 8.0 and 9.x."""
    major = version_tuple(settings.mysql_version)[:1]
    return bool(major) and 10 <= major[0] < 20


def mysql_at_least(settings: Settings, mysql: tuple[int, ...], mariadb: tuple[int, ...]) -> bool:
    return version_tuple(settings.mysql_version) >= (mariadb if is_mariadb(settings) else mysql)


def mysql_label(settings: Settings) -> str:
    return f"{'MariaDB' if is_mariadb(settings) else 'MySQL'} {settings.mysql_version}"


def release_unknown(settings: Settings, mysql: tuple[int, ...], mariadb: tuple[int, ...]) -> str | None:
    """The first release with a feature, when the configured version names only its series: ``"8.0"``
    (the default) says nothing about 8.0.12; None when the version decides it either way."""
    threshold = mariadb if is_mariadb(settings) else mysql
    configured = version_tuple(settings.mysql_version)
    if configured and len(configured) < len(threshold) and threshold[: len(configured)] == configured:
        return f"{'MariaDB' if is_mariadb(settings) else 'MySQL'} {'.'.join(map(str, threshold))}"
    return None


def instant_add_column(settings: Settings) -> bool:
    """ADD COLUMN without a table copy: MySQL 8.0.12 (ALGORITHM=INSTANT), MariaDB 10.3."""
    return mysql_at_least(settings, (8, 0, 12), (10, 3))


def instant_drop_column(settings: Settings) -> bool:
    """DROP COLUMN without a table rebuild: MySQL 8.0.29, MariaDB 10.4."""
    return mysql_at_least(settings, (8, 0, 29), (10, 4))


def sqlite_at_least(settings: Settings, version: tuple[int, ...]) -> bool:
    return version_tuple(settings.sqlite_version) >= version


def mysql_not_null_reason(settings: Settings, other_value: str | None = None, dated: bool = False) -> str:
    """Why ADD COLUMN .. NOT NULL without a default hurts on MySQL/MariaDB (checked on MariaDB 10.11); for a
    boolean, ``other_value`` names what gives new rows another value than the FALSE existing rows get. ``dated``: a
    DATE / DATETIME column, whose implicit default is the zero date, which MySQL 5.7+'s default sql_mode refuses
    (NO_ZERO_DATE with strict mode: the ALTER fails on a table with rows) and MariaDB's allows (checked on MariaDB
    10.11 in both modes; held-out-24 #17)."""
    since = release_unknown(settings, (8, 0, 12), (10, 3))
    copy = (
        "" if instant_add_column(settings)
        else f", and before {since} the ALTER copies the table" if since
        else f", and on {mysql_label(settings)} the ALTER copies the table"
    )
    if other_value:
        return (f"MySQL and MariaDB fill every existing row with 0 (FALSE), even in strict mode, while {other_value} "
                f"gives new rows another value{copy}")
    if dated:
        return (
            "the implicit default of a date is the zero date: under MySQL's default sql_mode (strict, with "
            "NO_ZERO_DATE, 5.7 and later) the ALTER fails on a table with rows ('Incorrect datetime value'), and "
            f"where zero dates are allowed (MariaDB's default) every existing row holds 0000-00-00, a value nobody "
            f"wrote{copy}"
        )
    return (
        "MySQL and MariaDB fill every existing row with the type's implicit default (0, '' or a zero date), "
        f"even in strict mode, so the column holds values nobody wrote{copy}"
    )


def mysql_ddl_note(settings: Settings) -> str:
    """MySQL commits each DDL statement on its own: a revision that fails half-way stays half-applied."""
    return (
        f"; {mysql_label(settings)} commits DDL immediately, so if a later step of this revision fails the "
        "drop is not rolled back"
    )
