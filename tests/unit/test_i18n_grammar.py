"""What a native reader notices first: articles and elisions around numbers, names and dates, and
numbers grouped the reader's way even when they arrive as a list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.i18n import Translator, italian_articles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("si rinnova il 8 dic 2027", "si rinnova l'8 dic 2027"),
        ("fino al 11 gennaio 2028", "fino all'11 gennaio 2028"),
        ("dal 1 gen 2027 al 18 feb 2027", "dall'1 gen 2027 al 18 feb 2027"),
        ("uno sconto rivenditore del 0%", "uno sconto rivenditore dello 0%"),
        ("arrivare al 0%", "arrivare allo 0%"),
        ("sconto del 80%", "sconto dell'80%"),
        ("sconto del 25%", "sconto del 25%"),
        ("il 30 nov 2027", "il 30 nov 2027"),
        ("il 2025 è stato", "il 2025 è stato"),
    ],
)
def test_italian_article_follows_how_the_number_is_read(text: str, expected: str) -> None:
    """Italian: "l'8", "dell'11%", "dello 0%", but "il 30", "del 25%"; other numbers are left alone."""
    assert italian_articles(text) == expected


def test_italian_messages_get_the_right_article() -> None:
    """A translated Italian message with a date or a percentage reads "l'8 dic", "dello 0%"."""
    t = Translator("it", "EUR")
    assert "l'8 dic 2027" in t("*{account}* renews on {date}.", account="acme", date=date(2027, 12, 8))
    zero = t(
        "The agency has {n} active paid accounts: a reseller discount of {percent}%.", n=0, percent=Decimal(0)
    )
    assert "dello 0%" in zero


@pytest.mark.parametrize(
    ("name", "expected"), [("Acme", "Membres d'Acme"), ("Boulangerie", "Membres de Boulangerie")]
)
def test_french_de_is_elided_before_a_vowel(name: str, expected: str) -> None:
    """French: "de {agency}" is "d'Acme" before a vowel and stays "de Boulangerie" otherwise."""
    assert Translator("fr")("Members of {agency}", agency=name) == expected


def test_a_list_of_numbers_is_grouped_the_readers_way() -> None:
    """Pack sizes listed in a message: `1 000` in French, `1.000` in Italian, `1,000` in English."""
    message = "There is no {kind} pack of {pack}. Packs: {choices}."
    choices = (50, 200, 1000)
    assert "50, 200, 1\u202f000" in Translator("fr")(message, kind="sms", pack="7", choices=choices)
    assert "50, 200, 1.000" in Translator("it")(message, kind="sms", pack="7", choices=choices)
    assert "50, 200, 1,000" in Translator("en")(message, kind="sms", pack="7", choices=choices)


@pytest.mark.parametrize(
    ("lang", "one", "two"),
    [
        (
            "en",
            "1 active paid account. 1 more account reaches",
            "2 active paid accounts. 2 more accounts reach",
        ),
        (
            "fr",
            "1 compte payant actif. Encore 1 compte pour",
            "2 comptes payants actifs. Encore 2 comptes pour",
        ),
        (
            "it",
            "1 account a pagamento attivo. Con 1 altro account",
            "2 account a pagamento attivi. Con altri 2",
        ),
    ],
)
def test_a_tier_change_notice_agrees_with_each_of_its_counts(lang: str, one: str, two: str) -> None:
    """ "1 active paid accounts" never: the tier notice's counts each take their own plural form."""
    from bot.notice_render import render_line

    def said(count: int, to_next: int) -> str:
        payload = {"direction": "up", "percent": 10, "previous_percent": 0, "count": count}
        payload |= {"next_percent": 15, "to_next": to_next}
        return render_line(Translator(lang), "tier_changed", None, date(2026, 11, 30), payload)

    assert one in said(1, 1) and two in said(2, 2)


@pytest.mark.parametrize("lang", ["en", "fr", "it"])
def test_quote_notes_agree_with_their_count(lang: str) -> None:
    """Quote notes about accounts to the next tier and migration cycles use the reader's plural forms."""
    from bot.quote_render import note_text
    from domain.quotes import Note

    t = Translator(lang)
    tier = Note(
        "{accounts} more active paid account reaches a reseller discount of {percent}%.",
        {"accounts": 1, "percent": Decimal(5)},
        "{accounts} more active paid accounts reach a reseller discount of {percent}%.",
        "accounts",
    )
    cycles = Note(
        "The migration discount of {percent}% applies to {cycles} more cycle, this one included.",
        {"cycles": 1, "percent": Decimal(20)},
        "The migration discount of {percent}% applies to {cycles} more cycles, this one included.",
        "cycles",
    )
    expected = {
        "en": ("1 more active paid account reaches", "to 1 more cycle,"),
        "fr": ("Encore 1 compte payant actif pour", "encore à 1 cycle,"),
        "it": ("1 account a pagamento attivo per", "ancora a 1 ciclo,"),
    }[lang]
    assert expected[0] in note_text(t, tier, tier.params)
    assert expected[1] in note_text(t, cycles, cycles.params)


@pytest.mark.parametrize(
    ("lang", "name", "expected"),
    [
        ("it", "La mia agenzia", "Crediti della mia agenzia"),
        ("it", "Il Forno", "Crediti del Forno"),
        ("it", "Lo Studio", "Crediti dello Studio"),
        ("it", "L'Officina", "Crediti dell'Officina"),
        ("it", "I Tre Porcellini", "Crediti dei Tre Porcellini"),
        ("it", "Gli Amici", "Crediti degli Amici"),
        ("it", "Le Rose", "Crediti delle Rose"),
        ("it", "Lavanda", "Crediti di Lavanda"),
        ("it", "Ilva", "Crediti di Ilva"),
        ("fr", "Le Comptoir", "Crédits du Comptoir"),
        ("fr", "Les Amis", "Crédits des Amis"),
        ("fr", "La Maison", "Crédits de La Maison"),
        ("fr", "Acme", "Crédits d'Acme"),
        ("fr", "Lemon", "Crédits de Lemon"),
    ],
)
def test_a_preposition_takes_in_the_article_of_a_name(lang: str, name: str, expected: str) -> None:
    """Italian "di" + "La mia agenzia" is "della mia agenzia" (the shell's header read "CREDITI DI LA
    MIA AGENZIA"); French "de" + "Le Comptoir" is "du Comptoir"; a name without an article is kept."""
    assert Translator(lang)("Credits of {agency}", agency=name) == expected


def test_the_contraction_keeps_the_name_escaped_and_plain() -> None:
    """The name after the article is still user text: escaped in mrkdwn, raw in plain text."""
    from bot.i18n import plain

    said = Translator("it")("Credits of {agency}", agency="La <b> & co")
    assert said == "Crediti della &lt;b&gt; &amp; co" and plain(said) == "Crediti della <b> & co"


@pytest.mark.parametrize(
    ("lang", "role", "expected"),
    [("fr", "viewer", "Votre rôle (lecteur)"), ("it", "manager", "Il tuo ruolo (gestore)")],
)
def test_a_role_reaches_a_refusal_as_a_word(lang: str, role: str, expected: str) -> None:
    """`domain.roles.require` passes the role through `role_word`; a code passed as plain text to a
    `{role}` parameter is translated too."""
    from domain.errors import Forbidden
    from domain.roles import Permission, Role, require

    with pytest.raises(Forbidden) as caught:
        require(Role(role), Permission.MANAGE_AGENCY)
    t = Translator(lang)
    assert expected in t(caught.value.message, **caught.value.params)
    assert expected in t(caught.value.message, role=role)


def test_a_code_inside_backticks_is_what_the_reader_types() -> None:
    """`/credits buy {kind} <pack>` keeps the typed word; the same code in prose is translated."""
    t = Translator("fr")
    assert t("`/credits buy {kind} <pack>`", kind="prepaid").startswith("`/credits buy prepaid")
    assert (
        t("Transfer {id} is already {status}.", id=3, status="pending")
        == "Le transfert 3 est déjà en attente."
    )
