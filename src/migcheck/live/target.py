"""Where a database URL really connects, judged the way the driver and libpq will see it.

``--allow-remote`` and the ``--use-env`` guard must not be fooled by the parts
of a connection that SQLAlchemy's ``URL.host`` does not show: ``?host=`` and
``?hostaddr=`` in the query (several hosts, comma-separated), a ``?service=``
from ``pg_service.conf``, ``PGHOST``/``PGHOSTADDR``/``PGSERVICE`` in the
environment, a MySQL option file. The answer is built from the keyword
arguments SQLAlchemy hands to the driver, parsed by libpq's own parser
(``psycopg2.extensions.parse_dsn``), plus the environment defaults libpq adds.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


@dataclass(frozen=True)
class Target:
    """The addresses a connection will try, its database, and why it cannot be judged (if it cannot)."""

    hosts: tuple[str, ...]  # "" = the driver's default (a local Unix socket for libpq)
    port: str
    database: str
    unknown: str | None = None  # e.g. "a service from pg_service.conf": not provably anything

    def is_local(self) -> bool:
        return self.unknown is None and all(_local_host(h) for h in self.hosts)

    def shown(self) -> str:
        """The host part for messages (never a password)."""
        if self.unknown:
            return self.unknown
        return ",".join(h or "the default socket" for h in self.hosts)


def _local_host(host: str) -> bool:
    """Loopback addresses, ``localhost``, Unix sockets (paths, ``@abstract``) and the default socket."""
    host = host.strip()
    if not host or host.startswith(("/", "@")) or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def libpq_target(params: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Target:
    """What libpq connects to for these conninfo keywords (``dsn`` included) and environment."""
    from psycopg2.extensions import make_dsn, parse_dsn

    env = os.environ if environ is None else environ
    keywords = {k: v for k, v in params.items() if v is not None}
    dsn = keywords.pop("dsn", None)
    info: dict[str, str] = parse_dsn(make_dsn(dsn, **{k: str(v) for k, v in keywords.items()}))
    database = info.get("dbname", env.get("PGDATABASE", ""))
    port = info.get("port") or env.get("PGPORT", "") or "5432"
    service = info.get("service") or env.get("PGSERVICE")
    if service:
        return Target((), port, database, f"the service {service!r} from pg_service.conf")
    hosts = _split(info.get("host", env.get("PGHOST", "")))
    addrs = _split(info.get("hostaddr", env.get("PGHOSTADDR", "")))
    # libpq pairs host[i] with hostaddr[i] and connects to hostaddr when it is set: judge both.
    return Target(tuple(hosts + [a for a in addrs if a]), port, database)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",")] if value else [""]


def mysql_target(params: Mapping[str, Any]) -> Target:
    """What PyMySQL connects to: the Unix socket when one is given, else host (default localhost)."""
    for option in ("read_default_file", "read_default_group"):
        if params.get(option):
            return Target((), "", str(params.get("db") or ""), f"an option file ({option})")
    database = str(params.get("db") or params.get("database") or "")
    if params.get("unix_socket"):
        return Target((str(params["unix_socket"]),), "", database)
    return Target((str(params.get("host") or "localhost"),), str(params.get("port") or 3306), database)


def url_target(url: URL) -> Target:
    """The target of a SQLAlchemy URL, from the arguments its dialect gives the driver."""
    dialect_cls = url.get_dialect()
    args, kwargs = dialect_cls().create_connect_args(url)
    params = dict(kwargs)
    if args:
        params["dsn"] = args[0]
    if url.get_backend_name() in ("mysql", "mariadb"):
        return mysql_target(params)
    return libpq_target(params)


_USERINFO = re.compile(r"(?P<head>://[^:/?#@\s]*:)(?P<secret>[^/?#\s]*)(?=@[^@/?#\s]*(?:[/?#\s]|$))")
_QUERY_SECRET = re.compile(r"(?P<head>\bpassword=)(?P<secret>[^&\s]*)", re.IGNORECASE)


def mask(text: str) -> str:
    """A URL-like string with its password (user-info or ``password=``) replaced by ``***``."""
    text = _USERINFO.sub(lambda m: m.group("head") + "***", text)
    return _QUERY_SECRET.sub(lambda m: m.group("head") + "***", text)
