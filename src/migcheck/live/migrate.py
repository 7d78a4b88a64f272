"""Move a database to a revision inside a test: the engine of the ``migcheck_migrate`` fixture.

Data-migration tests need what ``alembic upgrade REV`` does, against a scratch database, from
Python: upgrade to the revision before the one under test, insert rows, upgrade through it, and
assert. Like verify, it runs the revisions with migcheck's own minimal environment (no env.py,
so the application is imported only if the revisions import it), or with the project's env.py
when ``use_env`` is set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migcheck.live import LiveError


class Migrator:
    """``upgrade``/``downgrade``/``current`` for one database and one Alembic history."""

    def __init__(self, paths: list[Path], url: Any, use_env: bool = False) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from migcheck.live.history import load_history
        from migcheck.live.runner import Runner, _config_file

        self.url = make_url(url) if isinstance(url, str) else url
        sources, _migrations, self.graph = load_history(paths)
        config_file = _config_file(paths)
        if use_env and config_file is None:
            raise LiveError("use_env needs the project's alembic.ini (point the paths at it or its directory)")
        runner = Runner(sources, self.url, use_env, config_file)
        self.config, self.script, self.use_env = runner.config, runner.script, use_env
        self.engine = create_engine(self.url)

    def upgrade(self, revision: str = "heads") -> None:
        """``alembic upgrade REVISION`` (``heads``, an id, a prefix, ``label@head``, ``+1``)."""
        self._run(revision, lambda rev, ctx: self.script._upgrade_revs(revision, rev))

    def downgrade(self, revision: str = "base") -> None:
        """``alembic downgrade REVISION`` (``base``, an id, ``-1``)."""
        self._run(revision, lambda rev, ctx: self.script._downgrade_revs(revision, rev))

    def current(self) -> tuple[str, ...]:
        """The revisions the database is at (its ``alembic_version`` rows); () at base."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))

    def dispose(self) -> None:
        self.engine.dispose()

    def _run(self, destination: str, fn: Any) -> None:
        from alembic.util import CommandError

        from migcheck.live.runner import run_migrations

        try:
            if self.use_env:
                self.config.set_main_option(
                    "sqlalchemy.url", self.url.render_as_string(hide_password=False).replace("%", "%%"))
            run_migrations(self.config, self.script, fn, engine=self.engine, use_env=self.use_env,
                           scratch_url=self.url, destination=destination)
        except CommandError as exc:
            raise LiveError(f"alembic: {exc}") from None
