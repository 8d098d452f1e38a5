"""`reseller-bot`: run the app (Slack over HTTP or Socket Mode, or the local shell) and its tools."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date

from bot.settings import Settings, SettingsError, load_settings
from domain.catalog import CatalogError

LOCAL_USER = "U0LOCALOWNER"


class MigrationError(Exception):
    """The database opened but a migration failed: one line with the database's own reason."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reseller-bot", description="Reseller Desk: your resold SaaS portfolio in Slack."
    )
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("run", help="serve Slack if credentials are set, else open the local shell (default)")
    serve = sub.add_parser("serve", help="serve Slack over HTTP (POST /slack/events, GET /healthz)")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server listens on all interfaces
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: WEB_CONCURRENCY or 2)"
    )
    sub.add_parser("socket", help="connect to Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    sub.add_parser("keygen", help="print a new SLACK_TOKEN_KEY (seals the tokens of many-workspace installs)")
    sub.add_parser(
        "schedule", help="run the daily jobs on their schedule until stopped (serve starts one for you)"
    )
    shell = sub.add_parser("shell", help="the local shell: slash commands typed or piped, replies as text")
    shell.add_argument(
        "--as",
        dest="user",
        default=LOCAL_USER,
        help=f"Slack user id to act as, with that member's role (default {LOCAL_USER}, an owner)",
    )
    shell.add_argument("--locale", default="en", choices=["en", "fr", "it"])
    db = sub.add_parser("db", help="database tools")
    db.add_argument("action", choices=["upgrade"])
    demo = sub.add_parser("demo-data", help="load a realistic demo portfolio (idempotent)")
    demo.add_argument("--accounts", type=int, default=None, help="how many resold accounts")
    demo.add_argument("--team", default="T0LOCAL")
    imports = sub.add_parser("import", help="import existing accounts from a CSV file (README: columns)")
    imports.add_argument("what", choices=["accounts"])
    imports.add_argument("file", help="the CSV file; its first line names the columns")
    imports.add_argument("--team", default="T0LOCAL", help="the Slack workspace (team id) of the agency")
    imports.add_argument(
        "--as", dest="user", default=None, help="an owner's Slack user id (default: first owner)"
    )
    jobs = sub.add_parser("jobs", help="run a daily job once (for cron); serve and socket schedule them")
    jobs.add_argument("job", choices=["statuses", "approvals", "billing", "reconcile", "notices", "daily"])
    jobs.add_argument(
        "--date", type=_day, default=None, help="the day to run for (YYYY-MM-DD), default today"
    )
    jobs.add_argument(
        "--dry-run", action="store_true", help="billing: print what would be charged, charge nothing"
    )
    export = sub.add_parser(
        "export", help="write the agency's accounts, invoices and ledger as CSV files (per month or all)"
    )
    export.add_argument(
        "--month", default=None, help="YYYY-MM: that month's invoices and ledger (default all)"
    )
    export.add_argument("--team", default="T0LOCAL", help="the Slack workspace (team id) of the agency")
    export.add_argument("--out", default=".", help="the folder the three files go to (default .)")
    ops = sub.add_parser(
        "operations", help="run vendor operations left pending (the scheduler does it each minute)"
    )
    ops.add_argument("action", choices=["run"])
    ops.add_argument(
        "id", nargs="?", type=int, default=None, help="one operation's id (default: every due one)"
    )
    return p


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{text!r} is not a date; write it as YYYY-MM-DD"
        raise argparse.ArgumentTypeError(msg) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.cmd == "keygen":  # needs no settings: it makes one
        from bot.workspaces import new_token_key

        print(new_token_key())
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        from domain.catalog import load_catalog

        load_catalog(settings.reseller_catalog)
        cmd = args.cmd or "run"
        if cmd == "run":
            if not any(_slack_settings(settings).values()):
                cmd = "shell"
            else:
                cmd = "socket" if settings.slack_app_token else "serve"
        if cmd in ("serve", "socket"):
            require_slack(settings, socket=cmd == "socket")
        configure_logging(settings, serving=cmd in ("serve", "socket", "schedule"))
        open_database(settings.database_url)
    except (SettingsError, CatalogError) as exc:
        print(f"reseller-bot: {exc}", file=sys.stderr)
        return 2
    except MigrationError as exc:
        print(f"reseller-bot: {exc}", file=sys.stderr)
        return 1
    if cmd == "schedule":
        from bot.jobs.scheduler import run_until_stopped

        run_until_stopped(settings)
        return 0
    if cmd == "db":
        print("database is at the latest revision")
        return 0
    if cmd == "shell":
        return shell(settings, getattr(args, "user", LOCAL_USER), getattr(args, "locale", "en"))
    if cmd == "jobs":
        from bot.jobs.daily import run_jobs

        for report in run_jobs(settings, args.job, day=args.date, dry_run=args.dry_run):
            print(report.summary())
            for line in report.lines:
                print(f"  {line}")
        return 0
    if cmd == "import":
        from bot.csv_cli import import_accounts

        status, lines = import_accounts(settings, args.file, team=args.team, user=args.user)
        for line in lines:
            print(line, file=sys.stderr if status == 2 else sys.stdout)
        return status
    if cmd == "export":
        from bot.books_cli import export_books

        status, lines = export_books(settings, team=args.team, month_text=args.month, out=args.out)
        for line in lines:
            print(line, file=sys.stderr if status == 2 else sys.stdout)
        return status
    if cmd == "operations":
        return run_operations(settings, args.id)
    if cmd == "demo-data":
        from bot.shell.demo import load_demo

        print(load_demo(settings, team_id=args.team, accounts=args.accounts))
        return 0
    return serve(
        settings,
        cmd,
        getattr(args, "host", "0.0.0.0"),  # noqa: S104
        getattr(args, "port", None),
        getattr(args, "workers", None),
    )


def run_operations(settings: Settings, only: int | None) -> int:
    """`reseller-bot operations run [ID]`: one line per operation run; exit 0."""
    from bot.operations import sweep_operations
    from domain.clock import SystemClock
    from domain.store.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        outcomes = sweep_operations(settings, make_session_factory(engine), SystemClock(), only=only)
    finally:
        engine.dispose()
    for outcome in outcomes:
        print(f"operation {outcome.operation_id} {outcome.kind} {outcome.target}: {outcome.state}")
    if not outcomes:
        print("no vendor operation was due")
    return 0


def _slack_settings(settings: Settings) -> dict[str, object]:
    return {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SLACK_APP_TOKEN": settings.slack_app_token,
        "SLACK_CLIENT_ID": settings.slack_client_id,
    }


def require_slack(settings: Settings, *, socket: bool) -> None:
    """Serving Slack with half its credentials would fail on the first request: name the missing one.

    This also catches `make run` with only some Slack variables set, which would otherwise open the
    local shell as if none were set."""
    given = _slack_settings(settings)
    if settings.multi_workspace and socket:
        msg = "Socket Mode serves one workspace (SLACK_BOT_TOKEN): installs in many are served by `serve`"
        raise SettingsError(msg)
    token = "SLACK_CLIENT_ID" if settings.multi_workspace else "SLACK_BOT_TOKEN"  # tokens from installs
    needed = [token, "SLACK_SIGNING_SECRET"] + (["SLACK_APP_TOKEN"] if socket else [])
    missing = [name for name in needed if not given[name]]
    if missing:
        mode = "Socket Mode" if socket else "Slack over HTTP"
        present = [name for name, value in given.items() if value]
        why = f" (set: {', '.join(present)})" if present else ""
        msg = f"setting {missing[0]} is missing: {mode} needs {', '.join(needed)}{why}"
        raise SettingsError(msg)


def configure_logging(settings: Settings, *, serving: bool) -> None:
    """`LOG_LEVEL`, else INFO when serving Slack (a line per request) and WARNING for the shell and
    the tools; the Slack credentials and the vendor's API key are redacted from every line (`bot.logs`)."""
    from bot.logs import configure_logging as configure

    secrets = (
        settings.slack_signing_secret,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.ac_partner_api_key,
        settings.metrics_token,
        settings.slack_client_secret,
    )
    keys = settings.slack_token_key.get_secret_value().split(",") if settings.slack_token_key else []
    configure(
        settings.log_level or ("INFO" if serving else "WARNING"),
        [secret.get_secret_value() for secret in secrets if secret is not None] + keys,
        log_format=settings.log_format,
    )


def open_database(url: str) -> None:
    """Migrate before anything runs. A database that cannot be opened is one line naming
    DATABASE_URL (a setting error); a migration that fails once it is open is one line with the
    database's own reason (`MigrationError`), never a traceback."""
    from alembic.util import CommandError
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from domain.store.db import make_engine
    from domain.store.migrate import upgrade

    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (OperationalError, DatabaseError, OSError) as exc:
        msg = f"setting DATABASE_URL: cannot open the database: {_reason(exc)}"
        raise SettingsError(msg) from None
    finally:
        engine.dispose()
    try:
        upgrade(url)
    except (SQLAlchemyError, CommandError, OSError) as exc:
        logging.getLogger("reseller_desk.migrations").debug("migration failed", exc_info=exc)
        raise MigrationError(f"migrating the database failed: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def serve(settings: Settings, mode: str, host: str, port: int | None, workers: int | None = None) -> int:
    from bot.app import build_app
    from bot.server import serve_http, serve_socket

    scheduled = os.environ.get("RESELLER_NO_SCHEDULER") != "1"
    if mode == "socket":
        require_slack(settings, socket=True)  # main checked it; this keeps the token's type narrow
        app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        if scheduled:
            from bot.jobs.scheduler import start_scheduler

            start_scheduler(settings)
        serve_socket(build_app(settings), app_token)
        return 0
    count = workers or int(os.environ.get("WEB_CONCURRENCY", "2"))
    serve_http(
        lambda: build_app(settings),
        host,
        port or settings.port,
        workers=max(1, count),
        database_url=settings.database_url,
        scheduler=[sys.executable, "-m", "bot.cli", "schedule"] if scheduled else None,
        log_level=settings.log_level or "INFO",
    )
    return 0


def shell(settings: Settings, user: str, locale: str) -> int:
    from bot.app import LOCAL_BOT_TOKEN, build_app
    from bot.shell.localslack import LocalSlack
    from bot.shell.repl import TEAM, run_shell

    slack = LocalSlack(
        user_locales={user: {"en": "en-US", "fr": "fr-FR", "it": "it-IT"}[locale]}, team=TEAM
    ).start()
    local = settings.model_copy(
        update={
            "slack_api_url": slack.api_url,
            "slack_bot_token": _secret(LOCAL_BOT_TOKEN),
            # The default local user is an owner; `--as` acts as that user with their real role (or as
            # a stranger, who is refused), so roles and refusals can be tried in the shell.
            "reseller_owners": (*settings.reseller_owners, LOCAL_USER),
        }
    )
    app = build_app(local, verify_requests=False)
    try:
        return run_shell(app, slack, user, locale=locale)
    finally:
        slack.stop()


def _secret(value: str) -> object:
    from pydantic import SecretStr

    return SecretStr(value)


if __name__ == "__main__":
    sys.exit(main())
