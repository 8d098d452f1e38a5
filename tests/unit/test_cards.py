"""Card numbers, however they are spelled, are found; ordinary numbers pass (issue 13 §3, SPEC §10).

Also the simulated gateway's references: random, never derived from card data.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import luhn

from domain.cards import contains_card_number, is_card_number, normalize_digits
from domain.errors import InvalidInput
from domain.simulated import TEST_CARDS, SimulatedGateway, reference_outcome

CARD = "4242424242424242"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _grouped(sep: str, number: str = CARD, size: int = 4) -> str:
    return sep.join(number[i : i + size] for i in range(0, len(number), size))


CARD_SPELLINGS = [
    pytest.param(CARD, id="plain"),
    pytest.param(_grouped(" "), id="spaces"),
    pytest.param(_grouped("-"), id="dashes"),
    pytest.param(_grouped("."), id="dots"),
    pytest.param(_grouped("/"), id="slashes"),
    pytest.param(_grouped("  "), id="double-spaces"),
    pytest.param(_grouped("\u00a0"), id="non-breaking-spaces"),
    pytest.param(_grouped("\u202f"), id="narrow-no-break-spaces"),
    pytest.param(_grouped("\u200b"), id="zero-width-spaces"),
    pytest.param(_grouped("\u2060\ufeff"), id="word-joiner-and-bom"),
    pytest.param(_grouped("_"), id="underscores"),
    pytest.param(_grouped(","), id="commas"),
    pytest.param("4242 -4242- 4242 - 4242", id="mixed-space-dash"),
    pytest.param(_grouped("\t"), id="tabs"),
    pytest.param(_grouped("\n"), id="line-breaks"),
    pytest.param(_grouped("\u3000"), id="ideographic-spaces"),
    pytest.param(" ".join(CARD), id="every-digit-spaced"),
    pytest.param(CARD.translate(FULLWIDTH), id="fullwidth-digits"),
    pytest.param(CARD.translate(ARABIC_INDIC), id="arabic-indic-digits"),
    pytest.param(_grouped(" ", CARD.translate(DEVANAGARI)), id="devanagari-digits"),
    pytest.param("\u0034\u20dd" + CARD[1:], id="combining-mark"),
    pytest.param(_grouped("\u2013"), id="en-dashes"),
    pytest.param(f"pay with ({CARD[:4]}) {CARD[4:8]}·{CARD[8:12]}·{CARD[12:]} thanks", id="in-a-sentence"),
    pytest.param("3782-822463-10005", id="amex-4-6-5"),
    pytest.param("4000 0000 0000 9995 cvc 123", id="test-card-declined"),
]

NOT_CARDS = [
    pytest.param("", id="empty"),
    pytest.param("buy prepaid 500", id="amount"),
    pytest.param("4242424242424241", id="luhn-invalid"),
    pytest.param("0000000000000", id="thirteen-zeros"),
    pytest.param("0000 0000 0000 0000", id="sixteen-zeros"),
    pytest.param("4444444444444444", id="one-digit-repeated"),
    pytest.param("1111-1111-1111-1111-111", id="ones-grouped"),
    pytest.param("0044 20 7946 0958 12", id="leading-zero"),
    pytest.param("INV-2026-000001", id="invoice-number"),
    pytest.param("order 2026/11/30-000123", id="order-reference"),
    pytest.param("999999999999 999999999999", id="two-long-groups"),
    pytest.param("12345678901234567890123", id="23-digit-reference"),
    pytest.param("+33 1 23 45 67 89", id="french-phone"),
    pytest.param("+1 (555) 123-4567", id="us-phone"),
    pytest.param("FR40303265045", id="vat-number"),
    pytest.param("2026-11-30T14:05:00", id="timestamp"),
    pytest.param("limits activities=extended,custom-reports=20", id="plan-limits"),
    pytest.param("4242", id="last-four"),
    pytest.param("bp_4242 exp 12/2030", id="vendor-reference"),
]


@pytest.mark.parametrize("text", CARD_SPELLINGS)
def test_every_spelling_of_a_card_number_is_found(text: str) -> None:
    """Separators of any kind, invisible characters and digits of any script hide no card."""
    assert contains_card_number(text)


@pytest.mark.parametrize("text", NOT_CARDS)
def test_ordinary_numbers_pass(text: str) -> None:
    """References, phones, amounts, placeholders like thirteen zeros: not cards."""
    assert not contains_card_number(text)


def test_digits_of_every_script_become_ascii_and_invisible_characters_go() -> None:
    assert normalize_digits("٤٢\u200b४२ ４２") == "4242 42"


def test_the_rule_for_one_run_of_digits() -> None:
    """13 to 19 digits, Luhn-valid, not starting with 0, not one digit repeated."""
    assert is_card_number("4242424242424242")
    assert not is_card_number("0" * 13)
    leading_zero = "0" + "4" * 12
    assert not is_card_number(leading_zero + luhn.calc_check_digit(leading_zero))
    assert not is_card_number(CARD[:12])  # 12 digits
    assert not is_card_number(CARD + "0000")  # 20 digits


SEPARATORS = st.sampled_from(
    [" ", "-", ".", "/", "_", ",", "\u00a0", "\u202f", "\u2009", "\t", "\n", " -", "- ", "  ", "·", ":", "|"]
)
INVISIBLE = st.sampled_from(["", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
SCRIPTS = st.sampled_from([str.maketrans("", ""), ARABIC_INDIC, DEVANAGARI, FULLWIDTH])


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid 13-19 digit number that does not start with 0 and is not one digit repeated."""
    length = draw(st.integers(13, 19))
    body = draw(st.text("0123456789", min_size=length - 2, max_size=length - 2))
    first = draw(st.sampled_from("123456789"))
    number = first + body
    number += luhn.calc_check_digit(number)
    assume(len(set(number)) > 1)
    return number


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    number = draw(card_numbers())
    script = draw(SCRIPTS)
    out = []
    for index, digit in enumerate(number):
        if index:
            if draw(st.booleans()):
                out.append(draw(SEPARATORS))
            out.append(draw(INVISIBLE))
        out.append(digit.translate(script))
    before = draw(st.sampled_from(["", "card ", "note: ", "ref A ", "("]))
    after = draw(st.sampled_from(["", " thanks", ")", " exp 08/29", "!"]))
    return number, before + "".join(out) + after


@given(spelled())
def test_any_card_number_with_any_separators_is_refused(case: tuple[str, str]) -> None:
    """Property: every card number (by the rule), however separated and in any script, is found."""
    number, text = case
    assert is_card_number(number) and contains_card_number(text), (number, text)


@given(st.sampled_from("0123456789"), st.integers(13, 19), SEPARATORS)
def test_one_digit_repeated_is_never_a_card(digit: str, length: int, sep: str) -> None:
    text = digit * length
    assert not contains_card_number(text)
    assert not contains_card_number(sep.join(text[i : i + 4] for i in range(0, length, 4)))


def test_test_card_references_are_random_and_name_only_the_outcome() -> None:
    """Two profiles of the same test card get different 128-bit random references, in which no
    digest of card data (the old `sha256(number:year:month)[:16]`) can be found."""
    gateway = SimulatedGateway()
    tokens = [gateway.test_card_reference("4242", 12, 2030).token for _ in range(200)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert re.fullmatch(r"tok_sim_success_[0-9a-f]{32}", token)
    old_digests = {
        hashlib.sha256(f"{number}:{2030}:{12}".encode()).hexdigest()[:16]
        for number in ("4242424242424242", "5555555555554444")
    }
    assert not any(digest in token for digest in old_digests for token in tokens)
    randoms = {token.rsplit("_", 1)[1] for token in tokens}
    assert len({r[:8] for r in randoms}) > 190  # no shared prefix: nothing fixed per card


def test_charges_follow_the_test_card_the_reference_names() -> None:
    """The outcome comes from the stored reference: 4242/4444 succeed, 9995 declines, 0119 is a
    retryable network error; a reference the gateway never made is declined, never charged."""
    gateway = SimulatedGateway()
    results = {}
    for card in TEST_CARDS:
        ref = gateway.test_card_reference(card.key, 12, 2030)
        assert (ref.last4, reference_outcome(ref.token)) == (card.last4, card.outcome)
        results[card.key] = gateway.charge(ref.token, Decimal("10.00"), "USD", f"k-{card.key}")
    assert results["4242"].ok and results["4444"].ok
    assert results["9995"].declined and not results["9995"].ok
    assert results["0119"].retryable and not results["0119"].ok
    unknown = gateway.charge("4242424242424242", Decimal("1.00"), "USD", "k-unknown")
    assert not unknown.ok and unknown.declined
    assert [amount for _, amount, _ in gateway.charges] == [Decimal("10.00")] * 2


def test_an_unknown_test_card_is_refused_on_its_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        SimulatedGateway().test_card_reference("4242424242424242", 12, 2030)
    assert caught.value.field == "test_card"


def test_the_guard_reads_what_people_type_and_not_the_apps_own_values() -> None:
    """Text, number and rich text inputs are read, in submissions and in dispatched actions; a
    button's value (hex nonces can hold a long digit run) and Slack's `action_ts` are not."""
    from bot.app import card_number_in

    typed = {"type": "plain_text_input", "value": _grouped(".")}
    number = {"type": "number_input", "value": CARD}
    rich = {
        "type": "rich_text_input",
        "rich_text_value": {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "4242 42"},
                        {"type": "text", "text": "42 4242 4242", "style": {"bold": True}},
                    ],
                }
            ],
        },
    }
    for element in (typed, number, rich):
        submission = {"type": "view_submission", "view": {"state": {"values": {"b": {"a": element}}}}}
        assert card_number_in(submission) == "b"
        action = {"type": "block_actions", "actions": [{"action_id": "x", **element}]}
        assert card_number_in(action) == "text"
    button = {
        "type": "button",
        "action_id": "confirm",
        "value": f"acme|{CARD}",
        "action_ts": "1700000000.123456",
    }
    assert card_number_in({"type": "block_actions", "actions": [button]}) is None
    chosen = {"type": "static_select", "selected_option": {"value": CARD, "text": {"text": CARD}}}
    assert (
        card_number_in({"type": "view_submission", "view": {"state": {"values": {"b": {"a": chosen}}}}})
        is None
    )
    assert card_number_in({"command": "/accounts", "text": f"search:{_grouped(chr(0x200B))}"}) == "text"
    for malformed in (
        None,
        [],
        "x",
        {"type": "view_submission", "view": "x"},
        {"type": "block_actions", "actions": "x"},
    ):
        assert card_number_in(malformed) is None  # type: ignore[arg-type]
