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
    shell = sub.add_parser("shell", help="the local shell: slash commands typed or piped, replies as text")
    shell.add_argument("--as", dest="user", default=LOCAL_USER, help="Slack user id to act as")
    shell.add_argument("--locale", default="en", choices=["en", "fr", "it"])
    db = sub.add_parser("db", help="database tools")
    db.add_argument("action", choices=["upgrade"])
    demo = sub.add_parser("demo-data", help="load a realistic demo portfolio (idempotent)")
    demo.add_argument("--accounts", type=int, default=None, help="how many resold accounts")
    demo.add_argument("--team", default="T0LOCAL")
    jobs = sub.add_parser("jobs", help="run a daily job once (for cron); serve and socket schedule them")
    jobs.add_argument("job", choices=["statuses", "approvals", "billing", "notices", "daily"])
    jobs.add_argument(
        "--date", type=_day, default=None, help="the day to run for (YYYY-MM-DD), default today"
    )
    jobs.add_argument(
        "--dry-run", action="store_true", help="billing: print what would be charged, charge nothing"
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
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        from domain.catalog import load_catalog

        load_catalog(settings.reseller_catalog)
    except (SettingsError, CatalogError) as exc:
        print(f"reseller-bot: {exc}", file=sys.stderr)
        return 2
    cmd = args.cmd or "run"
    if cmd == "run":
        if not settings.has_slack_credentials:
            return shell(settings, LOCAL_USER, "en")
        cmd = "socket" if settings.slack_app_token else "serve"
    if cmd == "db":
        from domain.store.migrate import upgrade

        upgrade(settings.database_url)
        print("database is at the latest revision")
        return 0
    if cmd == "shell":
        return shell(settings, args.user, args.locale)
    if cmd == "jobs":
        from bot.jobs import run_jobs

        for report in run_jobs(settings, args.job, day=args.date, dry_run=args.dry_run):
            print(report.summary())
            for line in report.lines:
                print(f"  {line}")
        return 0
    if cmd == "demo-data":
        from bot.demo import load_demo

        print(load_demo(settings, team_id=args.team, accounts=args.accounts))
        return 0
    return serve(
        settings,
        cmd,
        getattr(args, "host", "0.0.0.0"),  # noqa: S104
        getattr(args, "port", None),
        getattr(args, "workers", None),
    )


def serve(settings: Settings, mode: str, host: str, port: int | None, workers: int | None = None) -> int:
    from bot.app import build_app
    from bot.server import serve_http, serve_socket
    from domain.store.migrate import upgrade

    if not settings.has_slack_credentials:
        print(
            "reseller-bot: setting SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are needed to serve Slack",
            file=sys.stderr,
        )
        return 2
    upgrade(settings.database_url)
    scheduled = os.environ.get("RESELLER_NO_SCHEDULER") != "1"
    if mode == "socket":
        if settings.slack_app_token is None:
            print("reseller-bot: setting SLACK_APP_TOKEN is needed for Socket Mode", file=sys.stderr)
            return 2
        if scheduled:
            from bot.scheduler import start_scheduler

            start_scheduler(settings)
        serve_socket(build_app(settings), settings.slack_app_token.get_secret_value())
        return 0
    count = workers or int(os.environ.get("WEB_CONCURRENCY", "2"))
    when_ready = (lambda _arbiter: start_scheduler_process(settings)) if scheduled else None
    serve_http(
        lambda: build_app(settings), host, port or settings.port, workers=max(1, count), when_ready=when_ready
    )
    return 0


def start_scheduler_process(settings: Settings) -> None:
    """The daily jobs in one child process of gunicorn's master: once, whatever the worker count,
    and with no thread in the master that workers would be forked from."""
    import multiprocessing

    multiprocessing.Process(
        target=_run_scheduler, args=(settings,), name="reseller-scheduler", daemon=True
    ).start()


def _run_scheduler(settings: Settings) -> None:
    import signal

    from bot.scheduler import start_scheduler

    # The child inherits gunicorn's arbiter signal handlers; it must die on SIGTERM like any process.
    for name in (
        "SIGTERM",
        "SIGINT",
        "SIGHUP",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGWINCH",
        "SIGTTIN",
        "SIGTTOU",
    ):
        signal.signal(getattr(signal, name), signal.SIG_DFL)

    start_scheduler(settings).thread.join()


def shell(settings: Settings, user: str, locale: str) -> int:
    from bot.app import LOCAL_BOT_TOKEN, build_app
    from bot.localslack import LocalSlack
    from bot.shell import run_shell
    from domain.store.migrate import upgrade

    upgrade(settings.database_url)
    slack = LocalSlack(user_locales={user: {"en": "en-US", "fr": "fr-FR", "it": "it-IT"}[locale]}).start()
    local = settings.model_copy(
        update={
            "slack_api_url": slack.api_url,
            "slack_bot_token": _secret(LOCAL_BOT_TOKEN),
            "reseller_owners": (*settings.reseller_owners, user),
        }
    )
    app = build_app(local, verify_requests=False)
    try:
        return run_shell(app, slack, user)
    finally:
        slack.stop()


def _secret(value: str) -> object:
    from pydantic import SecretStr

    return SecretStr(value)


if __name__ == "__main__":
    sys.exit(main())
