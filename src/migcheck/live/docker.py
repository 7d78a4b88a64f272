"""``--engine docker``: a database server in a container that never outlives the run.

Every container migcheck starts carries labels (``migcheck.owner``, ``migcheck.pid``,
``migcheck.host``, ``migcheck.run``) and is removed when the run ends: on success, on failure, on
Ctrl-C and on SIGTERM. A run killed outright (SIGKILL, a lost machine) leaves its container
behind; the next run on the same host removes containers whose process is gone. testcontainers'
reaper (ryuk) is used as well when its image is at hand, never required: no registry is needed.

Which server runs is decided by the image and read from the server, not guessed from the image's
name: the image's exposed port says which protocol it speaks (5432 PostgreSQL, 3306
MySQL/MariaDB), so PostGIS, pgvector or TimescaleDB images are PostgreSQL, and the scratch
database reports the version the server itself gives.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from migcheck.live import LiveError, owner
from migcheck.live.provision import shielded

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

OTHER_ENGINES = "use --engine embedded (PostgreSQL, no Docker needed) or --db-url URL (an existing server)"

LABEL_OWNER = "migcheck.owner"
LABEL_PID = "migcheck.pid"
LABEL_PID_START = "migcheck.pid-start"
LABEL_HOST = "migcheck.host"
LABEL_RUN = "migcheck.run"

#: The container listens on loopback only (a remote engine aside) and lives for one run.
POSTGRES_PORT = 5432
MYSQL_PORT = 3306
#: How long the server in a fresh container may take to answer (initdb and friends), in seconds.
START_TIMEOUT = 120.0
#: How long pulling the reaper's image may take before migcheck runs without it.
REAPER_PULL_TIMEOUT = 30


@contextlib.contextmanager
def docker_server(image: str) -> Iterator[tuple[URL, str]]:
    """A PostgreSQL or MySQL/MariaDB server in a container: its admin URL and what to call it."""
    docker, tc_config = _import_sdk()
    start_timeout()  # a bad value is an error before anything starts
    client = _client(docker)
    run = secrets.token_hex(6)
    try:
        try:
            url, resolved = _start(client, docker, tc_config, image, run)
        except LiveError:
            raise
        except Exception as exc:  # the engine went away or answered nonsense while starting
            raise LiveError(f"--engine docker: the Docker engine failed while starting {image}: "
                            f"{_api_error(exc)}") from None
        yield url, f"docker {resolved}"
    finally:
        with shielded():
            with contextlib.suppress(Exception):
                remove_run(client, run)
            client.close()


def _start(client: Any, docker: Any, tc_config: Any, image: str, run: str) -> tuple[URL, str]:
    """Remove debris, find the image, run it labelled with ``run``, wait for the server."""
    remove_debris(client)
    resolved, config = _local_image(client, docker, image, tc_config.hub_image_name_prefix)
    port, dialect = _protocol(image, config)
    labels = {**owner_labels(run), **_reaper_labels(client, docker, tc_config)}
    host = _host(tc_config)
    password = secrets.token_urlsafe(24)  # per run: the port may be reachable by others on this host
    try:
        container = client.containers.run(
            resolved,
            command=_command(dialect, config),
            detach=True,
            environment=_environment(dialect, password),
            labels=labels,
            ports={f"{port}/tcp": ("127.0.0.1" if _is_loopback(host) else "0.0.0.0", None)},
        )
    except docker.errors.APIError as exc:
        raise LiveError(f"--engine docker: the engine refused to start {image}: {_api_error(exc)}") from None
    return _wait_until_ready(container, image, dialect, port, host, password), resolved


# --- labels and debris ---------------------------------------------------------------------------


def owner_labels(run: str) -> dict[str, str]:
    """Who started a container: this process on this host, for this run."""
    pid = os.getpid()
    labels = {
        LABEL_OWNER: "migcheck",
        LABEL_PID: str(pid),
        LABEL_HOST: owner.hostname(),
        LABEL_RUN: run,
    }
    started = owner.process_start(pid)
    if started is not None:
        labels[LABEL_PID_START] = started
    return labels


def owner_alive(labels: dict[str, str]) -> bool:
    """Is the process that started a container still running? Unknown hosts' containers count as alive."""
    if labels.get(LABEL_HOST) != owner.hostname():
        return True  # another machine's run on a shared engine: not ours to judge
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    recorded = labels.get(LABEL_PID_START)
    return recorded is None or owner.process_start(pid) in (None, recorded)


def remove_debris(client: Any) -> list[str]:
    """Remove containers left by killed migcheck runs on this host; their short ids."""
    removed = []
    for container in client.containers.list(all=True, filters={"label": LABEL_OWNER}):
        if not owner_alive(container.labels):
            with contextlib.suppress(Exception):  # gone meanwhile, or removed by another run
                container.remove(force=True, v=True)
                removed.append(container.short_id)
    return removed


def remove_run(client: Any, run: str) -> None:
    """Remove every container of this run, also one whose creation a signal interrupted."""
    for container in client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run}"}):
        with contextlib.suppress(Exception):
            container.remove(force=True, v=True)


# --- engine, image, reaper -----------------------------------------------------------------------


def _import_sdk() -> tuple[Any, Any]:
    try:
        import docker
        from testcontainers.core.config import testcontainers_config
    except ImportError:
        raise LiveError(
            "--engine docker needs testcontainers: pip install 'alembic-migcheck[docker]'; "
            f"or {OTHER_ENGINES}"
        ) from None
    return docker, testcontainers_config


def _client(docker: Any) -> Any:
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # docker raises several unrelated types when no engine answers
        raise LiveError(f"--engine docker: no Docker engine answers ({_first_line(exc)}); {OTHER_ENGINES}") from None
    return client


def _local_image(client: Any, docker: Any, image: str, prefix: str) -> tuple[str, dict[str, Any]]:
    """The image as the engine has it, pulled only when it is not there (through a mirror prefix if set)."""
    candidates = [image] if not prefix else [image, prefix + image]
    for name in candidates:
        try:
            return name, client.images.get(name).attrs.get("Config") or {}
        except docker.errors.ImageNotFound:
            continue
        except docker.errors.APIError as exc:  # not a valid reference, and such
            raise LiveError(f"--image {name}: {_api_error(exc)}") from None
    name = candidates[-1]
    try:
        pulled = client.images.pull(name)
    except docker.errors.APIError as exc:
        raise LiveError(
            f"--engine docker: image {image} is not on this Docker engine and pulling {name} failed "
            f"({_api_error(exc)}); build or load it locally (docker images lists what the engine has), "
            "or set TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX to a registry mirror"
        ) from None
    return name, pulled.attrs.get("Config") or {}


def _protocol(image: str, config: dict[str, Any]) -> tuple[int, str]:
    """The port and dialect the image serves, from the ports it exposes (not from its name)."""
    exposed = set(config.get("ExposedPorts") or {})
    if f"{POSTGRES_PORT}/tcp" in exposed:
        return POSTGRES_PORT, "postgresql"
    if f"{MYSQL_PORT}/tcp" in exposed:
        return MYSQL_PORT, "mysql"
    shown = ", ".join(sorted(exposed)) or "none"
    raise LiveError(
        f"--image {image}: exposes neither {POSTGRES_PORT} (PostgreSQL) nor {MYSQL_PORT} (MySQL/MariaDB) "
        f"(exposed: {shown}); use a PostgreSQL, MySQL or MariaDB image"
    )


def _environment(dialect: str, password: str) -> dict[str, str]:
    """The official images' contract for the superuser, its password and a first database."""
    if dialect == "postgresql":
        return {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": password, "POSTGRES_DB": "postgres"}
    return {
        "MARIADB_ROOT_PASSWORD": password,
        "MYSQL_ROOT_PASSWORD": password,
        "MARIADB_DATABASE": "migcheck",
        "MYSQL_DATABASE": "migcheck",
    }


def _command(dialect: str, config: dict[str, Any]) -> list[str] | None:
    """Durability off for images that run plain ``postgres`` (the data is thrown away); others as they are."""
    if dialect == "postgresql" and list(config.get("Cmd") or []) == ["postgres"]:
        return ["postgres", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]
    return None


def _reaper_labels(client: Any, docker: Any, tc_config: Any) -> dict[str, str]:
    """testcontainers' reaper when it is enabled and its image can be had; otherwise nothing.

    The reaper removes the container even when migcheck is killed outright; without it the next
    run does (``remove_debris``). ``TESTCONTAINERS_RYUK_DISABLED=true`` skips it.
    """
    if tc_config.ryuk_disabled:
        return {}
    image = tc_config.ryuk_image
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        try:
            with contextlib.closing(docker.from_env(timeout=REAPER_PULL_TIMEOUT)) as puller:
                puller.images.pull(image)
        except Exception:  # no registry, a timeout: run without the reaper
            return {}
    except Exception:
        return {}
    try:
        from testcontainers.core.container import Reaper
        from testcontainers.core.labels import LABEL_SESSION_ID, SESSION_ID

        Reaper.get_instance()
    except Exception:
        return {}
    return {LABEL_SESSION_ID: SESSION_ID}


def _host(tc_config: Any) -> str:
    """Where the published port is reached: the engine's host for a TCP engine, else this machine."""
    if tc_config.tc_host_override:
        return str(tc_config.tc_host_override)
    parsed = urlparse(os.environ.get("DOCKER_HOST", ""))
    if parsed.scheme in ("tcp", "http", "https") and parsed.hostname:
        return parsed.hostname
    return "127.0.0.1"


def _is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


# --- waiting for the server ----------------------------------------------------------------------


def _wait_until_ready(container: Any, image: str, dialect: str, port: int, host: str, password: str) -> URL:
    """Poll until the server answers a query; one-line errors for an exited container or a silent port."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    timeout = start_timeout()
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    url: URL | None = None
    while time.monotonic() < deadline:
        container.reload()
        if container.status in ("exited", "dead"):
            code = container.attrs.get("State", {}).get("ExitCode")
            raise LiveError(
                f"--engine docker: the container of {image} exited (code {code}) before its server "
                f"answered: {_last_log_line(container)}"
            )
        if url is None:
            bound = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{port}/tcp")
            if bound:
                url = _url(dialect, host, int(bound[0]["HostPort"]), password)
        if url is not None:
            engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return url
            except Exception as exc:  # not up yet: refused, reset, still initialising
                last = _first_line(getattr(exc, "orig", None) or exc)
            finally:
                engine.dispose()
        time.sleep(0.5)
    raise LiveError(
        f"--engine docker: port {port} of {image} never answered within {timeout:g} s "
        f"(last: {last}); set MIGCHECK_DOCKER_START_TIMEOUT to wait longer"
    )


def start_timeout() -> float:
    """``MIGCHECK_DOCKER_START_TIMEOUT`` seconds, or the default."""
    raw = os.environ.get("MIGCHECK_DOCKER_START_TIMEOUT", "").strip()
    if not raw:
        return START_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise LiveError(f"MIGCHECK_DOCKER_START_TIMEOUT must be a number of seconds, not {raw!r}")
    return value


def _url(dialect: str, host: str, port: int, password: str) -> URL:
    from sqlalchemy.engine import URL

    if dialect == "postgresql":
        return URL.create("postgresql+psycopg2", "postgres", password, host, port, "postgres")
    return URL.create("mysql+pymysql", "root", password, host, port)


def _last_log_line(container: Any) -> str:
    try:
        lines = container.logs(tail=20).decode(errors="replace").splitlines()
    except Exception:
        return "(no log)"
    lines = [line.strip() for line in lines if line.strip()]
    return lines[-1] if lines else "(no log)"


def _api_error(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    return _first_line(explanation) if explanation else _first_line(exc)


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


