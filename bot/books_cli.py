"""`reseller-bot export`: the agency's accounts, invoices and ledger as three CSV files (issue 17 §3).

Exit status 0 with one line per file written; 2 with one line naming the option when `--month` is not
YYYY-MM or `--team` names no agency (nothing written).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.settings import Settings
from domain.errors import InvalidInput


def export_books(settings: Settings, *, team: str, month_text: str | None, out: str) -> tuple[int, list[str]]:
    from domain import books_export
    from domain.billing.invoices import parse_month
    from domain.catalog import load_catalog
    from domain.store.db import make_engine, make_session_factory

    month = None
    if month_text is not None:
        try:
            month = parse_month(month_text)
        except InvalidInput:
            return 2, [f"--month: {month_text!r} is not a month; write it as YYYY-MM, like 2026-11"]
    engine = make_engine(settings.database_url)
    try:
        sessions = make_session_factory(engine, load_catalog(settings.reseller_catalog))
        with sessions() as session:
            agency = books_export.agency_of_team(session, team)
            if agency is None:
                return 2, [f"--team: no agency for the Slack workspace {team!r}"]
            files = books_export.books(session, agency, month)
    finally:
        engine.dispose()
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for kind, text in files.items():
            path = folder / books_export.file_name(kind, month)
            path.write_text(text, encoding="utf-8", newline="")
            lines.append(f"{path}: {len(list(csv.reader(io.StringIO(text)))) - 1} rows")
    except OSError as exc:
        return 2, [f"--out: cannot write to {out}: {exc.strerror or type(exc).__name__}"]
    return 0, lines
