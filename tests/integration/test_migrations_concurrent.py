"""Instances started together migrate one after the other: every one of them starts."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from domain.store.db import make_engine
from domain.store.migrate import head_revisions

INSTANCES = 4


def _upgrade_together(url: str, barrier: object, results: object) -> None:
    from domain.store.migrate import upgrade  # imported before the barrier: the upgrades start at once

    barrier.wait()  # type: ignore[attr-defined]
    try:
        upgrade(url)
        results.put("ok")  # type: ignore[attr-defined]
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")  # type: ignore[attr-defined]


def upgrade_at_once(url: str, instances: int = INSTANCES) -> list[str]:
    """`instances` processes upgrading `url`, released by a barrier once each has imported Alembic."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(instances), ctx.Queue()
    procs = [ctx.Process(target=_upgrade_together, args=(url, barrier, results)) for _ in range(instances)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    return outcomes


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new PostgreSQL database beside the test one (named after it,
    so CI's and a developer's never clash), or a new SQLite file."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrate_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_instances_started_together_all_migrate_an_empty_database(empty_database: str) -> None:
    """Four `db upgrade`s released at the same instant on an empty database all succeed (on PostgreSQL
    they used to collide on `pg_type_typname_nsp_index`), and the database ends at the head."""
    assert upgrade_at_once(empty_database) == ["ok"] * INSTANCES
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    engine.dispose()
    assert versions == head_revisions()
