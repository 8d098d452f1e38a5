"""The local shell and its Slack stand-in: `reseller-bot shell` drives the real Bolt app from a
terminal (`repl`, `modalfill`); `localslack` plays Slack's Web API on 127.0.0.1 (its answers in
`webapi`) for the shell, the tests and the benchmarks; `demo`, `seed` and `demo_rows` fill a database
with a lived-in agency.

None of it runs in production; it is grouped here so the app's own modules are not crowded by
tooling, and nothing under `bot/` outside this folder imports it except the CLI (`reseller-bot shell`,
`demo-data`)."""
