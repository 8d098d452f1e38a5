"""The catalog file: the default loads, lookups answer, and a bad file fails in one line naming the field."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from domain.catalog import Catalog, CatalogError, ContactsProduct, FreeProduct, PerSeatProduct, load_catalog

DEFAULT_TEXT = resources.files("domain.data").joinpath("catalog.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _floats(value: Any, path: str = "") -> list[str]:
    if isinstance(value, float):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _floats(v, f"{path}.{i}")]
    return []


def test_default_catalog_has_the_spec_products(catalog: Catalog) -> None:
    """The packaged catalog has V1 EM (trial, sandbox) and V3 marketing, sales, bundle, business-licenses."""
    assert catalog.product_names("V1") == ("EM",)
    assert catalog.product_names("V3") == ("marketing", "sales", "bundle", "business-licenses")
    em = catalog.product("EM")
    assert isinstance(em, FreeProduct)
    assert set(em.levels) == {"trial", "sandbox"}
    assert catalog.trial_days == 14
    assert isinstance(catalog.product("business-licenses"), PerSeatProduct)


def test_every_contact_tier_has_every_bracket_and_frequency(catalog: Catalog) -> None:
    """Each contact-tiered product prices the four tiers at the seven SPEC brackets, monthly and annual."""
    for name in ("marketing", "sales", "bundle"):
        spec = catalog.product(name)
        assert isinstance(spec, ContactsProduct)
        assert tuple(spec.tiers) == ("starter", "plus", "professional", "enterprise")
        assert catalog.brackets(name) == (1000, 2500, 5000, 10000, 25000, 50000, 100000)
        for tier in spec.tiers.values():
            for price in tier.prices.values():
                assert price.monthly > 0
                assert price.annual > price.monthly


def test_addons_are_never_offered_on_starter(catalog: Catalog) -> None:
    """SPEC §2: add-ons only on plus, professional, enterprise."""
    for name in ("marketing", "sales", "bundle"):
        spec = catalog.product(name)
        assert isinstance(spec, ContactsProduct)
        assert spec.addons
        assert all("starter" not in addon.tiers for addon in spec.addons.values())


def test_discount_tiers_match_the_spec(catalog: Catalog) -> None:
    """0-1: 0%, 2-24: 25%, 25-49: 35%, 50-99: 45%, 100+: 55%."""
    bands = [(b.from_accounts, b.percent) for b in catalog.discount_tiers]
    assert bands == [
        (0, Decimal(0)),
        (2, Decimal(25)),
        (25, Decimal(35)),
        (50, Decimal(45)),
        (100, Decimal(55)),
    ]


def test_money_in_the_default_file_is_never_a_float() -> None:
    """Every amount in the packaged file is written as a string or integer, never a float."""
    assert _floats(tomllib.loads(DEFAULT_TEXT)) == []


def test_lookups(catalog: Catalog) -> None:
    """Products, VAT rates and brackets are found by name; unknown names are None or KeyError."""
    assert catalog.version_of("marketing") == "V3"
    assert catalog.version_of("nope") is None
    assert catalog.vat_rate("fr") == Decimal("20")
    assert catalog.vat_rate("US") is None
    with pytest.raises(KeyError):
        catalog.product("nope")
    assert catalog.product_names("V9") == ()
    assert catalog.credits.prepaid.min == Decimal("50.00")
    assert catalog.commission_percent == Decimal("20")


@pytest.mark.parametrize(
    ("contacts", "bracket"),
    [(1, 1000), (1000, 1000), (1001, 2500), (99_999, 100_000), (100_000, 100_000), (100_001, None)],
)
def test_bracket_for(catalog: Catalog, contacts: int, bracket: int | None) -> None:
    """Contacts go to the smallest bracket that holds them; above the last it is custom (None)."""
    spec = catalog.product("marketing")
    assert isinstance(spec, ContactsProduct)
    assert spec.bracket_for(contacts) == bracket


def test_float_amounts_are_read_exactly(tmp_path: Path) -> None:
    """An amount written as a TOML float is read as the Decimal that was written, not its binary value."""
    path = tmp_path / "catalog.toml"
    path.write_text(DEFAULT_TEXT.replace('license_monthly = "12.00"', "license_monthly = 12.1"), "utf-8")
    spec = load_catalog(path).product("business-licenses")
    assert isinstance(spec, PerSeatProduct)
    assert spec.license_monthly == Decimal("12.1")


MARKETING = "versions.V3.products.marketing"
LICENSES = "versions.V3.products.business-licenses"
BAD = [
    # (text in the default file, its replacement, the field named, the problem when worth pinning)
    (
        '2500 = { monthly = "49.00", annual = "468.00" }\n',
        "",
        f"{MARKETING}.tiers.starter.prices",
        "missing bracket 2500",
    ),
    (
        'sms = { monthly = "10.00", annual = "96.00", tiers = ["plus"',
        'sms = { monthly = "10.00", annual = "96.00", tiers = ["gold"',
        f"{MARKETING}.addons.sms.tiers",
        "unknown tier 'gold'; tiers are starter, plus, professional, enterprise",
    ),
    (
        '1000 = { monthly = "19.00"',
        '1000 = { monthly = "nineteen"',
        f"{MARKETING}.tiers.starter.prices.1000.monthly",
        "not an amount: 'nineteen'",
    ),
    ('currency = "USD"', 'currency = "USD"\ncolour = "red"', "colour", "unknown field"),
    ('license_monthly = "12.00"', 'license_monthly = "-1"', f"{LICENSES}.license_monthly", None),
    ("billing_months = [1, 12]", "billing_months = [1, 3]", f"{LICENSES}.billing_months", None),
    (
        'from_accounts = 25\npercent = "35"',
        'from_accounts = 25\npercent = "15"',
        "discount_tiers.2.percent",
        None,
    ),
    ('model = "per_seat"', 'model = "per_user"', LICENSES, None),
    ('[credits.prepaid]\nmin = "50.00"', "[credits.prepaid]", "credits.prepaid.min", "missing field"),
    (
        'min = "50.00"\nmax = "10000.00"',
        'min = "0"\nmax = "10000.00"',
        "credits.prepaid.min",
        "must be above zero",
    ),
    (
        'min = "50.00"\nmax = "10000.00"',
        'min = "50.00"\nmax = "5000000000000"',
        "credits.prepaid.max",
        "must be below 1,000,000,000,000",
    ),
    ('default = "standard"', 'default = "premium"', f"{MARKETING}.limits.activities.default", None),
]


@pytest.mark.parametrize(("old", "new", "field", "problem"), BAD)
def test_bad_catalog_is_one_line_naming_the_field(
    tmp_path: Path, old: str, new: str, field: str, problem: str | None
) -> None:
    """A bad catalog raises CatalogError `catalog <file>: <dotted.field>: <problem>` on one line."""
    assert old in DEFAULT_TEXT
    path = tmp_path / "agency.toml"
    path.write_text(DEFAULT_TEXT.replace(old, new, 1), "utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"catalog {path}: {field}: ")
    if problem is not None:
        assert message == f"catalog {path}: {field}: {problem}"


def test_toml_syntax_error_is_one_line(tmp_path: Path) -> None:
    """A TOML syntax error is reported in the same one-line form, with the line number."""
    path = tmp_path / "broken.toml"
    path.write_text('currency = "USD"\ncommission_percent = \n', "utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert message.startswith(f"catalog {path}: (syntax): ")
    assert "line 2" in message
    assert "\n" not in message


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    """A catalog path that does not exist is a CatalogError, not a traceback."""
    path = tmp_path / "absent.toml"
    with pytest.raises(CatalogError, match=r"^catalog .*absent\.toml: \(file\): "):
        load_catalog(path)
