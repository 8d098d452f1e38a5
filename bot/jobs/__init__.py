"""The work that runs outside a Slack request: the daily jobs (`daily`), the scheduler that starts
them (`scheduler`), the notice sender (`notifier`, posting through `slack_sender`), the expiry of four-eyes requests
(`approval_expiry`), and the per-agency Slack clients all of them post with (`workspace_clients`).

Kept apart from the listeners so a reader looking for "what happens at 06:00" or "who posts when
nobody clicked" finds one folder. The app itself uses only the clients and the notice sender from
here, for the work it does after the ack (`/notices` run now, vendor operations)."""
