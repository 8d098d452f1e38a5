"""Issue 14 §3 and §5 typed in the local shell (`reseller-bot shell` from a pipe), as an agency would:
transfers change the books, new subscriptions get the agency's notification email, a VAT number must
be of the customer's country, reverse-charge invoices say so, and `/quote` explains VAT numbers."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_processes import run_cli

SETTINGS = "/agency settings\n\n\n\n\n\n\nops@shell-agency.example\n\n\n"
"""The settings modal with every default kept and the agency's notification email typed (fields in
order: name, notice channel, currency, time zone, language, low-balance threshold, notification
email, large-charge amount, prepaid advice day)."""
SEATS = "/seats new\nJean Dupont\njean@dupont.example\nDupont SA\n{country}\nFR40303265045\n4\n\n\n"


def _fresh(tmp_path: Path) -> str:
    """The shell's own SQLite file, so request and invoice numbers start at 1 on every database."""
    return f"sqlite:///{tmp_path / 'shell.db'}"


def test_transfers_in_the_shell(tmp_path: Path) -> None:
    """transfer-in with a plan, confirmed: the account exists with that plan and the agency's address;
    transfer-out confirmed: `transferred`, listed under status:transferred, Renew refused."""
    script = (
        SETTINGS
        + "/accounts transfer-in old-client client@old.example plus 2500 monthly\n"
        + "/accounts transfer-confirm 1\n"
        + "/accounts show old-client\n"
        + "/accounts transfer-out old-client\n"
        + "/accounts transfer-confirm 2\n"
        + "/accounts status:transferred\n"
        + "/accounts renew old-client\n"
    )
    result = run_cli(tmp_path, "shell", stdin=script, DATABASE_URL=_fresh(tmp_path))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "with the plan Marketing · Plus · 2,500 contacts · monthly: $99.00 per cycle" in out, out
    assert "old-client joins the portfolio" in out, out
    assert "Plan: Marketing Plus 2,500 contacts, monthly" in out, out
    assert "Notifications to: ops@shell-agency.example" in out, out
    assert "old-client is now transferred" in out, out
    assert "transferred · transferred out" in out, out
    assert "transferred out of the agency: it is never renewed or charged here" in out, out
    assert "There is no account named old-client" not in out


def test_books_in_the_shell(tmp_path: Path) -> None:
    """A German customer with a French VAT number is refused with the reason; the French one is
    created with the agency's notification email (not jean@dupont.example) and its invoice line in
    `/billing history` says reverse charge with the VAT number; `/quote plus … vat …` explains."""
    script = (
        SETTINGS
        + SEATS.format(country="DE")
        + SEATS.format(country="FR")
        + "\n/accounts show dupont-sa\n/billing history\n/billing invoice INV-2026-000001\n"
        + "/quote plus 2500 monthly vat FR40303265045\n"
    )
    result = run_cli(tmp_path, "shell", stdin=script, DATABASE_URL=_fresh(tmp_path))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "was issued in FR, but the customer's country is DE" in out, out
    assert "Subscription dupont-sa is created" in out, out
    assert "Notifications to: ops@shell-agency.example" in out, out
    assert "reverse charge, VAT number FR40303265045" in out, out
    assert "Reverse charge (no VAT charged)" in out and "Customer VAT number: FR40303265045" in out, out
    assert "VAT numbers and the customer's country apply to per-seat products only" in out, out
    assert "I don't understand vat" not in out
