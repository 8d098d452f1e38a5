"""`reseller-bot import accounts FILE.csv`: the CSV import (`domain.csv_import`) from the command line.

Acts as a member of the workspace's agency (`--as`, default the first of RESELLER_OWNERS), who must be
an owner. Prints one line per refused row (its line number and reason) and a summary. Exit status: 0
when every row was imported or already there, 1 when some rows were refused (the good ones were
imported), 2 when the file itself was refused (not CSV, unknown or missing columns): nothing imported.
"""

from __future__ import annotations

from pathlib import Path

from bot.i18n import Translator, plain
from bot.settings import Settings
from domain.errors import DomainError
from domain.i18n import N_


def import_accounts(settings: Settings, path: str, *, team: str, user: str | None) -> tuple[int, list[str]]:
    from domain import csv_import
    from domain.agency import resolve_actor
    from domain.catalog import load_catalog
    from domain.clock import SystemClock
    from domain.store.db import make_engine, make_session_factory
    from domain.store.uow import SqlUnitOfWork

    t = Translator("en")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return 2, [f"cannot read {path}: {exc.strerror or type(exc).__name__}"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 2, [f"{path} is not a UTF-8 CSV file: nothing was imported"]
    catalog = load_catalog(settings.reseller_catalog)
    engine = make_engine(settings.database_url)
    clock = SystemClock()
    owners = settings.reseller_owners
    try:
        sessions = make_session_factory(engine, catalog)
        with SqlUnitOfWork(sessions) as uow:
            actor = resolve_actor(uow, clock, team, user or (owners[0] if owners else ""), owners)
            uow.commit()
        with SqlUnitOfWork(sessions) as uow:
            result = csv_import.import_csv(uow, clock, catalog, actor, text)
    except DomainError as error:
        return 2, [plain(t(error.message, **error.params))]
    finally:
        engine.dispose()
    lines = [
        plain(t(N_("Line {line}: {reason}"), line=e.line, reason=plain(t(e.message, **e.params))))
        for e in result.errors
    ]
    lines.append(
        f"{len(result.added)} added, {len(result.existing)} already there, {len(result.errors)} refused"
    )
    return (1 if result.errors else 0), lines
