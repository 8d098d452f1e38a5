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
