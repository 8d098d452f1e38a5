"""Reading `/quote` text: `plus 2500 annual seats 3 addons sms`, `licenses 12 monthly vat FR…`.

Account limits are written `limits activities=extended,custom-reports=20`: a named choice, or a
number for a custom limit (`50k` too); `limit` works for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.catalog import Catalog, ContactsProduct, PerSeatProduct
from domain.errors import InvalidInput
from domain.i18n import N_, Word
from domain.numbers import MAX_DIGITS, whole_number
from domain.periods import Frequency
from domain.plans import MAX_QUANTITY
from domain.pricing import MigrationDiscount, PlanChoice

EXAMPLE = "`/quote plus 2500 annual seats 3 addons sms`"
LICENSES_EXAMPLE = "`/quote licenses 12 monthly vat FR40303265045`"
LIMITS_EXAMPLE = "`/quote enterprise 10000 limits activities=extended,custom-reports=20`"
FREQUENCY_WORDS: dict[str, Frequency] = {
    "monthly": "monthly",
    "month": "monthly",
    "annual": "annual",
    "annually": "annual",
    "yearly": "annual",
    "year": "annual",
}
COUNT = re.compile(r"^(\d{1,3}(?:[,. _]\d{3})+|\d+)(k)?$", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class QuoteRequest:
    choice: PlanChoice
    migration: MigrationDiscount | None = None
    vat_number: str | None = None
    country: str | None = None


FIELD_NAMES = {
    "contacts": N_("Contacts"),
    "seats": N_("User seats"),
    "licenses": N_("Licenses"),
    "limits": N_("A custom limit"),
}
"""How a refusal names the number it is about, in the reader's language."""


def parse_count(
    token: str, *, what: str, example: str = EXAMPLE, minimum: int = 1, maximum: int = MAX_QUANTITY
) -> int:
    """`2500`, `2,500`, `2.500`, `2.5k`, `100k` → an int from `minimum` up.

    What is not a count (`-3`, `five`, `0`) is refused naming the field and its bounds; a count above
    `maximum` is left to the plan's validation, which names the bound and the number asked for."""
    raw = token.strip().lower()
    match = COUNT.match(raw) or re.match(r"^(\d+(?:[.,]\d+)?)(k)$", raw, re.ASCII)
    value = 0
    if match:
        number, kilo = match.group(1), match.group(2)
        if len(number) > MAX_DIGITS:  # the bounded parser's limit: never 4,300 digits
            value = MAX_QUANTITY + 1
        elif kilo:
            value = int(Decimal(number.replace(",", ".")) * 1000)
        else:
            value = whole_number(number, separators=",. _") or 0
    if not match or value < minimum:
        raise InvalidInput(
            N_("{what}: write a whole number from {minimum} to {maximum}, not {token}. Example: {example}"),
            field=what,
            what=Word(FIELD_NAMES.get(what, what)),
            minimum=minimum,
            maximum=maximum,
            token=token[:40],
            example=example,
        )
    return value


class Said:
    """The words of one `/quote`, each option said once: `monthly … annual` is refused, naming both,
    instead of the last one winning silently."""

    def __init__(self, example: str) -> None:
        self.example = example
        self.words: dict[str, tuple[str, object]] = {}

    def once(self, option: str, word: str, value: object) -> None:
        before = self.words.get(option)
        if before is not None and before[1] != value:
            raise InvalidInput(
                N_("{first} and {second} say different things: keep one. Example: {example}"),
                field=option,
                first=before[0],
                second=word,
                example=self.example,
            )
        self.words[option] = (word, value)


def parse_quote(catalog: Catalog, words: list[str]) -> QuoteRequest:
    if not words:
        raise InvalidInput(N_("Say what to quote. Example: {example}"), example=EXAMPLE)
    words = [w.lower() for w in words]
    per_seat = [
        n
        for v in catalog.versions
        for n in catalog.product_names(v)
        if isinstance(catalog.product(n), PerSeatProduct)
    ]
    contacts_products = [
        n
        for v in catalog.versions
        for n in catalog.product_names(v)
        if isinstance(catalog.product(n), ContactsProduct)
    ]
    if words[0] in ("licenses", "license", "licences", *per_seat):
        product = per_seat[0] if per_seat else words[0]
        seat_spec = catalog.product(product) if per_seat else None
        return _licenses(product, words[1:], seat_spec if isinstance(seat_spec, PerSeatProduct) else None)
    product = contacts_products[0] if contacts_products else "marketing"
    if words[0] in contacts_products:
        product, words = words[0], words[1:]
    spec = catalog.product(product)
    assert isinstance(spec, ContactsProduct)
    if not words or words[0] not in spec.tiers:
        raise InvalidInput(
            N_("Unknown tier {tier}. Use one of: {choices}. Example: {example}"),
            field="tier",
            tier=words[0] if words else "",
            choices=", ".join(spec.tiers),
            example=EXAMPLE,
        )
    tier = words[0]
    if len(words) < 2:
        raise InvalidInput(
            N_("Give the number of contacts after the tier. Example: {example}"),
            field="contacts",
            example=EXAMPLE,
        )
    contacts = parse_count(words[1], what="contacts", maximum=spec.max_contacts)
    frequency: Frequency = "monthly"
    seats: int | None = None
    addons: tuple[str, ...] = ()
    migration: MigrationDiscount | None = None
    limits: tuple[tuple[str, str | int], ...] = ()
    said = Said(EXAMPLE)
    rest = iter(words[2:])
    for word in rest:
        if word in FREQUENCY_WORDS:
            frequency = FREQUENCY_WORDS[word]
            said.once("frequency", word, frequency)
        elif word in ("seats", "seat", "users"):
            value = _next(rest, word)
            seats = parse_count(value, what="seats", maximum=spec.max_seats)
            said.once("seats", f"{word} {value}", seats)
        elif word in ("addons", "addon", "add-ons", "with"):
            value = _next(rest, word)
            addons = tuple(sorted({a.strip() for a in value.split(",") if a.strip()}))
            said.once("addons", f"{word} {value}", addons)
        elif word in ("migration", "migrating"):
            value = _next(rest, word)
            migration = _migration(value)
            said.once("migration", f"{word} {value}", migration)
        elif word in ("limits", "limit"):
            limits += _limits(_next(rest, word, LIMITS_EXAMPLE))
        elif word in ("vat", "country"):
            raise InvalidInput(
                N_(
                    "VAT numbers and the customer's country apply to per-seat products only: {product} is quoted without taxes. Example: {example}"
                ),
                field="vat",
                product=product,
                example=LICENSES_EXAMPLE,
            )
        else:
            raise InvalidInput(
                N_("I don't understand {word}. Example: {example}"), word=word, example=EXAMPLE
            )
    choice = PlanChoice(
        version=catalog.version_of(product) or "V3",
        product=product,
        tier=tier,
        contacts=contacts,
        frequency=frequency,
        seats=seats,
        addons=addons,
        limits=limits,
    )
    return QuoteRequest(choice=choice, migration=migration)


def _limits(text: str) -> tuple[tuple[str, str | int], ...]:
    """`activities=extended,custom-reports=20` (or `activities:extended`) → (limit, choice or number)."""
    limits: list[tuple[str, str | int]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = item.replace(":", "=").partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise InvalidInput(
                N_(
                    "Write each account limit as limit=choice or limit=number, not {item}. Example: {example}"
                ),
                field="limits",
                item=item,
                example=LIMITS_EXAMPLE,
            )
        if value[0].isdigit():
            limits.append((name, parse_count(value, what="limits", example=LIMITS_EXAMPLE)))
        else:
            limits.append((name, value))
    return tuple(limits)


def _licenses(product: str, words: list[str], spec: PerSeatProduct | None = None) -> QuoteRequest:
    if not words:
        raise InvalidInput(
            N_("Give the number of licenses. Example: {example}"), field="licenses", example=LICENSES_EXAMPLE
        )
    licenses = parse_count(
        words[0],
        what="licenses",
        example=LICENSES_EXAMPLE,
        minimum=spec.min_licenses if spec else 1,
        maximum=spec.max_licenses if spec else MAX_QUANTITY,
    )
    frequency: Frequency = "monthly"
    vat: str | None = None
    country: str | None = None
    said = Said(LICENSES_EXAMPLE)
    rest = iter(words[1:])
    for word in rest:
        if word in FREQUENCY_WORDS:
            frequency = FREQUENCY_WORDS[word]
            said.once("frequency", word, frequency)
        elif word == "vat":
            vat = _next(rest, word, LICENSES_EXAMPLE).upper()
            said.once("vat", f"{word} {vat}", vat)
        elif word == "country":
            country = _next(rest, word, LICENSES_EXAMPLE).upper()
            said.once("country", f"{word} {country}", country)
        else:
            raise InvalidInput(
                N_("I don't understand {word}. Example: {example}"), word=word, example=LICENSES_EXAMPLE
            )
    choice = PlanChoice(version="V3", product=product, frequency=frequency, licenses=licenses)
    return QuoteRequest(choice=choice, vat_number=vat, country=country)


def _next(rest: Iterator[str], word: str, example: str = EXAMPLE) -> str:
    value = next(rest, None)
    if value is None:
        raise InvalidInput(
            N_("{word} needs a value after it. Example: {example}"), word=word, example=example
        )
    return str(value)


def _migration(value: str) -> MigrationDiscount:
    """`migration 20%` covers the first cycle; `migration 20%/3` the first three."""
    percent_text, _, cycles_text = value.partition("/")
    try:
        percent = Decimal(percent_text.rstrip("%").replace(",", "."))
    except InvalidOperation:
        percent = Decimal(-1)
    if not percent.is_finite():  # `nan` and `inf` parse, but cannot be compared or priced
        percent = Decimal(-1)
    cycles = (whole_number(cycles_text, maximum=36) or 0) if cycles_text else 1
    if not Decimal(0) < percent <= Decimal(100) or not 1 <= cycles <= 36:
        raise InvalidInput(
            N_(
                "Write the migration discount as a percentage and optional cycles, like `migration 20%` or `migration 20%/3`."
            ),
            field="migration",
        )
    return MigrationDiscount(percent=percent, cycles=cycles)
