"""What serving many workspaces costs a request (SPEC §11): the same interactions against `serve`
with one bot token and against `serve` installed through OAuth in fifty workspaces (Bolt authorises
each request by its workspace's installation: one read of `slack_bots`, the `auth.test` answer
cached per token), side by side on the same database, with the bare-Bolt floor."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Installation

from bench.harness import TEAM, Client, Stats, measure, server
from bench.scenarios import SCENARIOS, floor_body
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from bot.workspaces import installation_store, new_token_key
from domain.store.db import make_engine

HEADING = "## Many workspaces: the cost of authorising each request by its installation"
WORKSPACES = 50
CLIENT_ID = "1234.5678"
MEASURED = ("/quote", "/accounts (overview", "/accounts show", "/credits buy confirm")


def install_many(url: str, slack: LocalSlack, key: str) -> None:
    """Fifty installations sealed as the OAuth flow stores them; the bench's workspace is one."""
    settings = Settings(
        slack_client_id=CLIENT_ID, slack_client_secret="bench-client-secret", slack_token_key=key
    )  # type: ignore[arg-type]
    engine = make_engine(url)
    store = installation_store(settings, engine)
    for n in range(WORKSPACES):
        team = TEAM if n == 0 else f"T0BENCH{n:02d}"
        token = f"xoxb-bench-{team}"
        slack.install(token, team)
        store.save(
            Installation(
                app_id="A0BENCH",
                enterprise_id=None,
                team_id=team,
                bot_token=token,
                bot_id="B0BENCH",
                bot_user_id="U0BOT",
                bot_scopes="commands,chat:write",
                user_id="U0INSTALLER",
            )
        )
    engine.dispose()


def workspace_rows(kind: str, url: str, slack: LocalSlack, n: int) -> list[tuple[str, Stats, Stats]]:
    """(scenario, one workspace, fifty workspaces) for each measured interaction, and the floor."""
    key = new_token_key()
    install_many(url, slack, key)
    many_env = {
        "SLACK_BOT_TOKEN": "",
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "bench-client-secret",
        "SLACK_TOKEN_KEY": key,
        "RESELLER_OWNERS": "",
    }
    scenarios = [s for s in SCENARIOS if s.name.startswith(MEASURED)]
    with server("floor", url, slack.api_url) as port:
        floor = measure("bare Bolt no-op (floor)", Client(port), lambda i: floor_body(slack), n)
    measured: dict[str, list[Stats]] = {s.name: [] for s in scenarios}
    for env in ({}, many_env):
        with server("app", url, slack.api_url, extra_env=env) as port:
            client = Client(port)
            for scenario in scenarios:
                stats = measure(
                    scenario.name, client, scenario.prepare(client, slack, url), n, scenario.check
                )
                measured[scenario.name].append(stats)
                mode = "fifty workspaces" if env else "one workspace"
                print(
                    f"  {kind}, {mode}, {scenario.name}: p50 {stats.p50:.2f} ms, errors {stats.errors}",
                    flush=True,
                )
    return [(kind, floor, floor)] + [(kind, one, many) for one, many in measured.values()]


def section(rows: list[tuple[str, Stats, Stats]], n: int, machine: str, when: str) -> list[str]:
    lines = [
        HEADING,
        "",
        f"Machine: {machine}",
        f"Run: {when}, {n} requests per interaction after 30 warm-up requests (`bench/workspaces.py`).",
        "",
        "The same `serve` (gunicorn, 2 workers × 8 threads) on the same database of 1,000 accounts, first",
        "with `SLACK_BOT_TOKEN`, then installed through OAuth in fifty workspaces (`SLACK_CLIENT_ID`,",
        "tokens sealed with `SLACK_TOKEN_KEY`). Round trips in ms; ratios against the floor taken in the same run.",
        "",
        "| database | interaction | one workspace p50 | fifty p50 | one p99 | fifty p99 | fifty / one (p50) |",
        "|---|---|---|---|---|---|---|",
    ]
    floors = {kind: one for kind, one, many in rows if one is many}
    for kind, one, many in rows:
        if one is many:
            lines.append(f"| {kind} | {one.name} | {one.p50:.2f} | — | {one.p99:.2f} | — | — |")
            continue
        floor = floors[kind].p50 or 1.0
        lines.append(
            f"| {kind} | {one.name} | {one.p50:.2f} ({one.p50 / floor:.1f}× floor) | "
            f"{many.p50:.2f} ({many.p50 / floor:.1f}× floor) | {one.p99:.2f} | {many.p99:.2f} | "
            f"{many.p50 / one.p50 if one.p50 else 0:.2f} |"
        )
    return lines


def replace_section(document: str, lines: list[str]) -> str:
    """`document` with this section replaced, or added at the end."""
    block = "\n".join(lines) + "\n"
    if HEADING in document:
        start = document.index(HEADING)
        end = document.find("\n## ", start + len(HEADING))
        return document[:start] + block + (document[end:] if end != -1 else "")
    return document.rstrip("\n") + "\n\n" + block
