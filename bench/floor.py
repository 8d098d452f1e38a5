"""The floor: a bare Bolt app with a no-op command, served exactly like the real one."""

from __future__ import annotations

import argparse
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.server import _Gunicorn, wsgi_app


def floor_app(secret: str, api_url: str) -> App:
    app = App(
        signing_secret=secret,
        client=WebClient(token="xoxb-floor", base_url=api_url),
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/noop")
    def noop(ack: Ack, command: dict[str, Any]) -> None:
        ack()

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    options = {
        "bind": f"127.0.0.1:{args.port}",
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": 16,
        "accesslog": None,
        "loglevel": "warning",
    }
    _Gunicorn(lambda: wsgi_app(floor_app(args.secret, args.api_url)), options).run()


if __name__ == "__main__":
    main()
