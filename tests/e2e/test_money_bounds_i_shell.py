"""Issue 14 §2 typed in the local shell (`reseller-bot shell`, commands from a pipe): the bounds named
in the refusals, and the large-charge amount set in `/agency settings` then warned about on a confirm
card, as an agency member types them."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_processes import run_cli


def test_shell_names_the_bounds_and_warns_about_a_large_charge(tmp_path: Path) -> None:
    """Typed: 999,999,999 contacts is refused naming the bound (it was quoted $8,500,009.00); the
    settings modal's large-charge field (the one before the prepaid advice day) sets it to 40; a $50.00 purchase then carries the
    warning line on its confirm card."""
    script = "\n".join(
        [
            "/quote plus 999999999 monthly",
            "/billing profiles add",
            "1",
            "Shell card",
            "/agency settings",
            "Shell Agency",
            "",
            "",
            "",
            "",
            "",
            "",
            "40",
            "",  # the prepaid advice day (the modal's last field since issue 18): kept
            "/credits buy prepaid 50",
            "",
        ]
    )
    result = run_cli(tmp_path, "shell", stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Contacts: at most 5,000,000; you asked for 999,999,999." in out
    assert "per cycle" not in out.split("/billing profiles add")[0]
    assert "Settings saved: Shell Agency" in out, out
    assert (
        "Large charge: $50.00 is above your large-charge amount ($40.00). Check it before confirming." in out
    )
