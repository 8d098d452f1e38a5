"""Issue 14 §4 typed in the local shell (`reseller-bot shell` from a pipe): a downgrade shows its quote
and waits for Confirm (`/seats reduce`), the Edit modal shows a downgrade's quote before scheduling
it, and `/seats new` says how much prepaid credit and how much the card pay, before and after."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_books_shell import SETTINGS, _fresh
from tests.e2e.test_processes import run_cli

SETUP = (
    SETTINGS
    + "/billing profiles add\n1\nMain card\n"
    + "/accounts transfer-in old-client client@old.example plus 2500 monthly seats 5\n"
    + "/accounts transfer-confirm 1\n"
)


def test_downgrades_show_their_quote_and_wait_for_confirm_in_the_shell(tmp_path: Path) -> None:
    """`/seats reduce` shows the quote and schedules nothing until button 1 (Confirm) is pressed;
    the Edit modal's plus → starter shows the downgrade's quote before it is scheduled."""
    script = (
        SETUP
        + "/seats reduce old-client 1 smaller team\n"
        + "/seats old-client\n"
        + "/seats reduce old-client 1 smaller team\n"
        + "1\n"
        + "/seats old-client\n"
        + "/accounts edit old-client\n\nstarter\n1\n\n\n\n\n\nsmaller list\n\n\n"
        + "/accounts show old-client\n"
    )
    result = run_cli(tmp_path, "shell", stdin=script, DATABASE_URL=_fresh(tmp_path))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "REDUCE OLD-CLIENT TO 4 USER SEATS AT ITS RENEWAL" in out, out
    assert "you pay $118.00 per cycle. Nothing is charged today; no refund." in out, out
    assert "[1] Confirm the downgrade [2] Cancel" in out, out
    before, after = out.split("reseller> 1 ", 1)
    assert "At renewal" not in before.split("/seats old-client", 1)[1]  # shown, not scheduled
    assert "old-client goes to 4 user seats at its renewal" in after, out
    assert "At renewal (" in after and "4 user seats" in after, out
    assert "Confirm the plan change of old-client: it takes effect at the next renewal" in out, out
    # 5 user seats kept, as Slack keeps them when only the tier and contacts change (issue 18 §4)
    assert "you pay $67.00 per cycle. Nothing is charged today; no refund." in out, out
    assert "plan change scheduled for the renewal" in out, out


def test_seats_new_says_the_credit_and_card_split_in_the_shell(tmp_path: Path) -> None:
    """$50.00 of prepaid credit bought first: the `/seats new` confirm says $50.00 from credit and
    $526.00 from the card, and the result says the invoice drew the same."""
    script = (
        SETUP
        + "/credits buy prepaid 50\n1\n"
        + "/seats new\nJean Dupont\njean@dupont.example\nDupont SA\nFR\nFR40303265045\n4\n\n\n"
    )
    result = run_cli(tmp_path, "shell", stdin=script, DATABASE_URL=_fresh(tmp_path))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "Total today: $576.00" in out, out
    assert "From prepaid credit: $50.00 · From the card: $526.00" in out, out
    assert "paid by the chosen card" not in out
    assert "of $576.00 (paid): $50.00 from credit, $526.00 by card." in out, out
