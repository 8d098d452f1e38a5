"""Readiness: can this process serve requests right now? The database answers, it is migrated to the
revisions this code expects, and (SQLite) its file is still the one the app opened.

`GET /healthz` runs these checks (200 when all pass, 503 naming the part that failed); `GET /livez`
runs none (the process answers). Reasons in the answer are short and name no host, path or
credential: the details go to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from domain.store.db import make_engine
from domain.store.migrate import head_revisions

log = logging.getLogger("reseller_desk.health")


@dataclass(frozen=True)
class Report:
    checks: dict[str, str] = field(default_factory=dict)
    """Each check's name and `ok` or why it failed."""

    @property
    def ok(self) -> bool:
        return all(value == "ok" for value in self.checks.values())

    def as_json(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "unavailable", "checks": self.checks}


class Readiness:
    """Built in each worker when it starts (after the fork), like the app's own engines."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.heads = head_revisions()
        self.sqlite_file: Path | None = None
        self.file_id: tuple[int, int] | None = None
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                self.sqlite_file = Path(url.database).resolve()
                self.file_id = _file_id(self.sqlite_file)
            # A new connection per check: a pooled one would still read the file after it is deleted.
            self.engine: Engine = make_engine(database_url, poolclass=NullPool)
        else:
            self.engine = make_engine(
                database_url, pool_size=1, max_overflow=2, pool_timeout=5, connect_args={"connect_timeout": 5}
            )

    def check(self) -> Report:
        checks: dict[str, str] = {}
        if self.sqlite_file is not None:
            checks["database_file"] = self._file_state()
            if checks["database_file"] != "ok":
                # Opening a missing file would create an empty database in its place.
                return Report({**checks, "database": "not checked", "migrations": "not checked"})
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                checks["database"] = "ok"
                current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except SQLAlchemyError as exc:
            log.warning("readiness: the database does not answer: %s", exc)
            checks.setdefault("database", "unreachable")
            checks["migrations"] = "not checked" if checks["database"] != "ok" else "unreadable"
            return Report(checks)
        if current == self.heads:
            checks["migrations"] = "ok"
        else:
            at = ", ".join(sorted(current)) or "none"
            checks["migrations"] = f"at {at}, expected {', '.join(sorted(self.heads))}"
        return Report(checks)

    def _file_state(self) -> str:
        assert self.sqlite_file is not None
        now = _file_id(self.sqlite_file)
        if now is None:
            log.warning("readiness: the database file %s is missing", self.sqlite_file)
            return "missing"
        if self.file_id is not None and now != self.file_id:
            log.warning("readiness: the database file %s was replaced since start", self.sqlite_file)
            return "replaced since start"
        return "ok"

    def close(self) -> None:
        self.engine.dispose()


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()  # the device and inode say whether it is still the same file
    except FileNotFoundError:
        return None
    return (stat.st_dev, stat.st_ino)
