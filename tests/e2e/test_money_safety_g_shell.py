"""Issue 14 (helper G) typed in the local shell (`reseller-bot shell`, commands from a pipe): the same
flows as over HTTP, as an agency member types them."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_processes import run_cli

ADD = (
    '/accounts commission add acme-ref client "Acme SA" referred 2026-11-02 plan marketing plus 2500 monthly'
)


def test_shell_records_a_commission_account_and_refuses_its_earmark(tmp_path: Path) -> None:
    """Typed in the shell: a referred account is recorded and listed with its referral date; an
    earmark for it is refused with the reason; a prepaid amount too long to read names the bound."""
    script = "\n".join(
        [
            ADD,
            "/accounts commission",
            "/credits buy prepaid 50 for acme-ref",
            "/credits buy prepaid 99999999999999",
            ADD.replace("2026-11-02", "2999-01-01").replace("acme-ref", "other-ref"),
            "",
        ]
    )
    result = run_cli(tmp_path, "shell", stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Commission account acme-ref recorded (Acme SA, referred Nov 2, 2026)" in out
    assert "acme-ref · Acme SA · active · referred Nov 2, 2026 · $19.80 / month" in out
    assert "acme-ref is a commission account" in out and "could never be used" in out
    assert "Confirm purchase" not in out
    assert "Amount: prepaid credit is bought from $50.00 to $10,000.00 at a time." in out
    assert "The referral date Jan 1, 2999 is in the future" in out


def test_shell_manager_is_refused_before_the_seats_form_opens(tmp_path: Path) -> None:
    """A manager typing `/seats new` is told at once that the role does not allow it: no form opens
    (in pipe mode the following lines would otherwise be read as its fields)."""
    owner = run_cli(tmp_path, "shell", stdin="/agency members add <@U0MGR> manager\n")
    assert owner.returncode == 0, owner.stderr
    manager = run_cli(tmp_path, "shell", "--as", "U0MGR", stdin="/seats new\nJean Dupont\n/agency settings\n")
    assert manager.returncode == 0, manager.stderr
    assert manager.stdout.count("Your role (manager) does not allow this") == 2, manager.stdout
    assert "(modal)" not in manager.stdout
