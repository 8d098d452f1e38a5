"""The audit log reads as words: every action the domain records has a label, and so has every field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from bot.audit_text import ACTIONS, FIELDS, action_label, describe_change, entry_line
from bot.i18n import Translator
from domain.store.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = "account|agency|approval|billing_profile|credits|invoice|member|notices|seats|view|workspace"
CODE = re.compile(rf'"((?:{PREFIXES})\.[a-z_]+)"')
# Codes the domain builds at run time (f-strings), listed by hand.
BUILT = {
    "account.transfer_in_confirmed",
    "account.transfer_out_confirmed",
    "account.cancelled",
    "account.disabled",
}


def recorded_codes() -> set[str]:
    codes = set(BUILT)
    for path in (ROOT / "domain").rglob("*.py"):
        text = path.read_text()
        if "audit" in text:
            codes |= set(CODE.findall(text))
    return codes


def test_every_recorded_action_has_a_label() -> None:
    """A new audit action needs a human label in `bot/audit_text.py` (and its translations)."""
    codes = recorded_codes()
    missing = sorted(code for code in codes if code not in ACTIONS)
    assert len(codes) > 40
    assert not missing, missing


def test_labels_are_translated_and_codes_stay_out() -> None:
    """In French an entry names the action and the fields in French, with French money."""
    t = Translator("fr", currency="EUR", timezone="Europe/Paris")
    entry = AuditEntry(
        actor="system",
        action="account.renewed",
        target="acme",
        before={"period_end": "2026-12-01", "price_per_cycle": "40.00"},
        after={"period_end": "2027-01-01", "price_per_cycle": "45.00", "invoice": "INV-7"},
        at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    )
    line = entry_line(t, entry).replace("\u202f", " ").replace("\u00a0", " ")
    assert "*compte renouvelé* acme" in line and "le système" in line
    assert "prix par cycle : 40,00 € → 45,00 €" in line and "facture : INV-7" in line
    assert "account.renewed" not in line and "price_per_cycle" not in line


def test_an_unknown_code_still_reads_as_words() -> None:
    """A code recorded before it got a label shows as words, not as an error or a blank."""
    t = Translator("it")
    assert action_label(t, "seats.pool_resized") == "seats · pool resized"
    assert describe_change(t, None, {"new_field": True}) == " (new field: sì)"
    assert all(label and "_" not in label for label in FIELDS.values())


def _line(lang: str, action: str, target: str, after: dict[str, object]) -> str:
    entry = AuditEntry(actor="U0ANA", action=action, target=target, before=None, after=after, at=NOON)
    return entry_line(Translator(lang, "EUR"), entry).replace("\u202f", " ").replace("\u00a0", " ")


NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_credit_purchase_reads_its_kind_and_quantity_as_words() -> None:
    """Was "crédits achetés prepaid (quantité : 500.00)": the kind is a word, a prepaid quantity is
    money, an SMS quantity a count grouped the reader's way."""
    prepaid = _line("fr", "credits.purchased", "prepaid", {"quantity": "500.00", "total": "500.00"})
    assert "*crédits achetés* prépayé" in prepaid and "quantité : 500,00 €" in prepaid, prepaid
    sms = _line("it", "credits.purchased", "sms", {"quantity": "1000"})
    assert "quantità: 1.000" in sms and "€" not in sms.split("quantità")[1], sms


def test_an_approval_entry_reads_its_subject_status_and_reason_as_words() -> None:
    """Was "objet : prepaid", "statut : approved", "échec : insufficient funds"."""
    line = _line(
        "fr",
        "approval.failed",
        "approval:4",
        {"kind": "credits", "status": "failed", "subject": "prepaid", "failure": "insufficient funds"},
    )
    assert "objet : prépayé" in line and "statut : échouée" in line, line
    assert "provision insuffisante" in line and "insufficient" not in line and "prepaid" not in line, line
    named = _line("fr", "approval.requested", "approval:5", {"subject": "acme-shop"})
    assert "objet : acme-shop" in named  # an account name stays as it is


def test_a_workspace_stopped_and_back_reads_in_each_language() -> None:
    """Slack stopping the app and its return (SPEC §11) read as sentences, the reason a word: never
    `workspace.suspended`, `slack` or `app_uninstalled`."""
    expected = {
        "en": ("Slack", "*posting to Slack stopped* the app was removed from the workspace"),
        "fr": ("Slack", "*publication sur Slack arrêtée* l’app a été retirée de l’espace de travail"),
        "it": ("Slack", "*pubblicazione su Slack interrotta* l’app è stata rimossa dal workspace"),
    }
    for lang, (actor, what) in expected.items():
        t = Translator(lang)
        stopped = AuditEntry(actor="slack", action="workspace.suspended", target="app_uninstalled", at=NOON)
        line = entry_line(t, stopped)
        assert f" · {actor} · {what}" in line and "app_uninstalled" not in line, line
        revoked = AuditEntry(actor="slack", action="workspace.suspended", target="tokens_revoked", at=NOON)
        assert "tokens_revoked" not in entry_line(t, revoked)
        for action in ("workspace.installed", "workspace.resumed"):
            back = AuditEntry(actor="U0ANA", action=action, target="T0AAA", at=NOON)
            line = entry_line(t, back)
            assert "workspace." not in line and "T0AAA" in line and "<@U0ANA>" in line, line
    assert "posting to Slack resumed" in entry_line(
        Translator("en"), AuditEntry(actor="slack", action="workspace.resumed", target="T0AAA", at=NOON)
    )
