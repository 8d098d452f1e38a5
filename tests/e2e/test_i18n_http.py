"""French and Italian over signed HTTP: the reader's Slack locale picks the language, the agency's
currency is written as that language writes money, and every payload stays within Block Kit limits
(`tests/slackhttp.py` checks each one)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from tests.factories import make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, payload_text, text_input
from tests.slackhttp import select as pick

NBSP, NNBSP = "\u00a0", "\u202f"

SCREENS: dict[str, dict[str, str]] = {
    "fr": {
        "user": "U0FRENCH",
        "help": "Autres commandes",
        "role": "<@U0FRENCH> — facturation",
        "quote": "Devis : Marketing",
        "quote_money": f"948,00{NBSP}€",
        "confirm": "Confirmer l'achat",
        "amount": f"1{NNBSP}234,56{NBSP}€",
        "bought": "Acheté",
        "credits": "Crédits de Test Agency",
        "seats": "Sièges de licence",
        "settings_title": "Paramètres de l'agence",
        "saved": "Paramètres enregistrés",
    },
    "it": {
        "user": "U0ITALIAN",
        "help": "Altri comandi",
        "role": "<@U0ITALIAN> — fatturazione",
        "quote": "Preventivo: Marketing",
        "quote_money": f"948,00{NBSP}€",
        "confirm": "Conferma l'acquisto",
        "amount": f"1.234,56{NBSP}€",
        "bought": "Acquistato",
        "credits": "Crediti di Test Agency",
        "seats": "Posti licenza",
        "settings_title": "Impostazioni agenzia",
        "saved": "Impostazioni salvate",
    },
}


def _eur_agency(sessions: sessionmaker[Session], **fields: Any) -> None:
    with sessions.begin() as s:
        agency = make_agency(s, **{"currency": "EUR", "timezone": "Europe/Paris", **fields})
        make_profile(s, agency)
        make_account(s, agency, name="acme")


def _button(body: dict[str, Any], action_id: str) -> str:
    for block in body.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_scenario_reads_in_the_members_slack_language(
    lang: str, http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    """A member whose Slack is in French (Italian) gets help, a quote, a credit purchase, balances and
    seats in that language, with euros written the local way; the English owner still reads English."""
    screen = SCREENS[lang]
    user = screen["user"]
    _eur_agency(sessions)
    added = http.command("/agency", f"members add {user} billing")
    assert "is now billing" in added.text  # the owner's Slack is in English
    assert screen["role"] in http.command("/agency", "members", user=user).text

    assert screen["help"] in http.command("/agency", "help", user=user).text

    quote = http.command("/quote", "plus 2500 annual", user=user).text
    assert screen["quote"] in quote and screen["quote_money"] in quote
    assert "Quote" not in quote and "per cycle" not in quote

    card = http.command("/credits", "buy prepaid 1234.56", user=user)
    assert screen["confirm"] in card.text and screen["amount"] in card.text
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"), user=user)
    answer = payload_text(slack.of("response_url")[-1].params)
    assert screen["bought"] in answer and screen["amount"] in answer

    credits = http.command("/credits", user=user).text
    assert screen["credits"] in credits and screen["amount"] in credits
    assert screen["seats"] in http.command("/seats", user=user).text

    owner = http.command("/credits").text
    assert "Credits of Test Agency" in owner and "€1,234.56" in owner


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_settings_modal_in_the_owners_language_saves_the_currency(
    lang: str, http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    """The settings modal opens translated for a French (Italian) owner; saving EUR makes every later
    amount euros, in that owner's format."""
    screen = SCREENS[lang]
    user = screen["user"]
    _eur_agency(sessions, currency="USD")
    http.command("/agency", f"members add {user} owner")
    http.command("/agency", "settings", user=user)
    view = http.opened_view()
    assert view["title"]["text"] == screen["settings_title"]
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    result = http.submit(
        view,
        {
            "name": text_input("Test Agency"),
            "currency": text_input("EUR"),
            "timezone": text_input("Europe/Rome"),
            "language": pick(lang),
            "low_balance_threshold": {"type": "number_input", "value": "250"},
        },
        user=user,
    )
    assert result.status == 200 and result.body == {}
    assert screen["saved"] in slack.of("chat.postEphemeral")[-1].params["text"]
    card = http.command("/credits", "buy prepaid 1234.56", user=user)
    assert screen["amount"] in card.text


def test_agency_language_is_the_fallback_for_a_language_we_do_not_speak(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    """A member whose Slack is in German reads the agency's language (Italian here); an English Slack
    user still reads English."""
    _eur_agency(sessions, language="it")
    slack.user_locales["U0GERMAN"] = "de-DE"
    http.command("/agency", "members add U0GERMAN viewer")
    assert "Altri comandi" in http.command("/agency", "help", user="U0GERMAN").text
    assert "Other commands" in http.command("/agency", "help").text


def test_a_refusal_and_a_domain_error_are_translated(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Errors raised in the domain come back in the reader's language, with the words they carry."""
    _eur_agency(sessions)
    refused = http.command("/agency", "members", user="U0FRENCH")
    assert "Vous n'êtes pas membre" in refused.text
    http.command("/agency", "members add U0ITALIAN viewer")
    denied = http.command("/agency", "members add U0FRENCH owner", user="U0ITALIAN")
    assert "Il tuo ruolo (lettore) non lo consente" in denied.text  # the role in the reader's words


@pytest.mark.parametrize(
    ("lang", "words", "english"),
    [
        (
            "fr",
            ("achat", "acceptée", "refusée", "2\u202f000,00"),
            ("purchase", "success", "declined"),
        ),
        (
            "it",
            ("acquisto", "accettata", "rifiutata", "2.000,00"),
            ("purchase", "success", "declined"),
        ),
    ],
)
def test_credit_history_and_card_hint_have_no_english_left(
    lang: str,
    words: tuple[str, ...],
    english: tuple[str, ...],
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
) -> None:
    """The kinds of credit movements and the test cards' outcomes are words of the reader's language."""
    user = SCREENS[lang]["user"]
    _eur_agency(sessions)
    http.command("/agency", f"members add {user} owner")
    card = http.command("/credits", "buy prepaid 2000", user=user)
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"), user=user)
    history = http.command("/credits", "history", user=user).text
    http.command("/billing", "profiles add", user=user)
    hint = payload_text({"blocks": http.opened_view()["blocks"]})
    shown = history + hint
    assert all(word in shown for word in words), shown
    assert not any(f" {word}" in history or f"({word})" in hint for word in english), shown


def test_an_unnamed_agency_and_a_notices_run_read_in_the_readers_language(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Before anyone names the agency it is "Mon agence"; a notices run counts without "1 nouveaux"."""
    _eur_agency(sessions, name="My agency")
    http.command("/agency", "members add U0FRENCH owner")
    assert "Membres de Mon agence" in http.command("/agency", "members", user="U0FRENCH").text
    run = http.command("/agency", "notices run", user="U0FRENCH").text
    assert "nouveaux :" in run and "en attente :" in run


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ("membre ajouté", "rôle : facturation", "prix client modifié", "prix client : – → 50,00 €")),
        (
            "it",
            (
                "membro aggiunto",
                "ruolo: fatturazione",
                "prezzo al cliente modificato",
                "prezzo al cliente: – → 50,00 €",
            ),
        ),
    ],
)
def test_audit_log_and_account_history_read_as_words_of_the_readers_language(
    lang: str, words: tuple[str, ...], http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """`/agency audit` and the account card's history name each action and field in the reader's
    language; the stored codes (`member.added`, `client_price`) are not shown."""
    user = SCREENS[lang]["user"]
    _eur_agency(sessions)
    http.command("/agency", f"members add {user} owner")
    http.command("/agency", "members add <@U0MARIA|maria> billing", user=user)
    http.command("/accounts", "price acme 50", user=user)
    log = http.command("/agency", "audit 20", user=user).text.replace(NNBSP, " ").replace(NBSP, " ")
    card = http.command("/accounts", "show acme", user=user).text
    assert all(word in log for word in words), log
    assert words[2] in card, card
    for code in ("member.added", "account.client_price", "client_price", "role:"):
        assert code not in log + card, code
