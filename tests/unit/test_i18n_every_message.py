"""Every message of the catalog, rendered in French and Italian with sample values, reads without an
English code word (issue 18 §2).

The ids come from `bot/locale/messages.pot` (what `make i18n-update` extracts from the source), so a
new message is checked the day it is added. Each placeholder gets a sample derived from its name:
`{role}`, `{status}`, `{kind}`, `{reason}`, `{frequency}`, `{level}`, `{pool}` get every real code
the app stores, passed as plain text (the way a caller forgets to wrap a code in `Word`), so a code
that reaches a sentence untranslated fails here, whoever passes it. Text inside backticks is a
command the reader types (`/agency members add @ana viewer`) and is not checked.
"""

from __future__ import annotations

import ast
import re
import string
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.i18n import Translator, plain
from bot.vocabulary import CODES, REASON_PREFIXES, REASONS
from domain.approvals.rules import ALREADY
from domain.i18n import Count
from domain.notices.texts import KIND_NAMES
from domain.roles import Role

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "bot" / "locale" / "messages.pot"

# Codes the app stores, as the reader must never see them (English words of data).
ENGLISH_CODES = (
    "viewer",
    "manager",
    "billing",
    "owner",
    "administrator",
    "approved",
    "rejected",
    "expired",
    "pending",
    "active",
    "trial",
    "suspended",
    "cancelled",
    "disabled",
    "archived",
    "transferred",
    "invited",
    "confirmed",
    "prepaid",
    "monthly",
    "annual",
    "insufficient funds",
    "network error",
    "declined",
    "charge failed",
    "renewal coming",
    "first cycle",
    "first_cycle",
    "credit_purchase",
    "license(s)",
    "member(s)",
    "account(s)",
    "seat(s)",
    "month(s)",
)
# French writes "active" (une formule active) and "confirmé"… so "active" is checked in Italian only.
ALSO_FRENCH = {"fr": frozenset({"active"}), "it": frozenset()}

CODE_SAMPLES: dict[str, tuple[str, ...]] = {
    "role": (*(role.value for role in Role), "administrator"),
    "status": (
        "active",
        "trial",
        "expired",
        "cancelled",
        "disabled",
        "archived",
        "transferred",
        "pending",
        "approved",
        "rejected",
        "failed",
        "paid",
        "invited",
        "confirmed",
        "suspended",
    ),
    "state": ("pending", "approved", "expired"),
    "kind": ("prepaid", "sms", "preview", "first_cycle", "credit_purchase", "renewal", *KIND_NAMES),
    "reason": (*REASONS, *(prefix + "insufficient funds" for prefix in REASON_PREFIXES)),
    "frequency": ("monthly", "annual"),
    "level": ("trial", "sandbox"),
    "pool": ("prepaid", "sms", "preview"),
    "plan": (
        "bundle enterprise 25000 monthly",
        "business-licenses 5 licenses annual",
        "business-licenses 1 licenses monthly",
    ),
}
DATES = {"date", "when", "since", "end", "start", "until", "today", "next", "renewal", "expires"}
NUMBERS = {
    "n",
    "count",
    "free",
    "asked",
    "licenses",
    "months",
    "minimum",
    "maximum",
    "included",
    "contacts",
    "seats",
    "limit",
    "max",
    "min",
    "days",
    "units",
    "cycles",
    "sms",
    "preview",
    "queued",
    "posted",
    "messages",
    "waiting",
    "rows",
    "page",
    "pages",
    "imported",
    "skipped",
    "failed",
    "done",
    "left",
    "shown",
    "minutes",
    "attempts",
    "year",
    "id",
    "number",
    "accounts",
    "period_days",
}
MONEY = {
    "amount",
    "price",
    "total",
    "cost",
    "unit",
    "credit",
    "card",
    "margin",
    "balance",
    "threshold",
    "shortfall",
    "prepaid",
    "gain",
    "billed",
    "commission",
    "per_cycle",
    "discount",
}


@cache
def catalog_ids() -> list[tuple[str, ...]]:
    with POT.open("rb") as fh:
        pot = read_po(fh)
    return [tuple(m.id) if isinstance(m.id, tuple | list) else (m.id,) for m in pot if m.id]


def placeholders(message: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(message) if name]
    except ValueError:
        return []


def sample(name: str) -> Any:
    if name in DATES:
        return date(2027, 12, 8)
    if name in ("at", "now", "moment"):
        return datetime(2027, 12, 8, 9, 30, tzinfo=UTC)
    if name in NUMBERS:
        return 2
    if name in MONEY or name.endswith(("_amount", "_total", "_price")):
        return Decimal("125.50")
    if name in ("percent", "rate") or name.endswith(("_percent", "_rate")):
        return Decimal("25")
    if name in ("user", "requester"):
        return "U0SAMPLE"
    if name == "channel":
        return "C0SAMPLE"
    if name == "email":
        return "ana@example.com"
    return "acme"


def renders(lang: str, forms: tuple[str, ...]) -> list[tuple[str, str]]:
    """(what was passed, text) for each code of each code placeholder, else one render."""
    t = Translator(lang, "EUR")
    names = sorted({name for form in forms for name in placeholders(form)})
    base = {name: CODE_SAMPLES[name][0] if name in CODE_SAMPLES else sample(name) for name in names}
    variants: list[dict[str, Any]] = [base]
    for name in names:
        for code in CODE_SAMPLES.get(name, ())[1:]:
            variants.append({**base, name: code})
    out = []
    for params in variants:
        for n in (1, 2):
            if len(forms) == 2:
                text = t.plural(forms[0], forms[1], n, **{k: v for k, v in params.items() if k != "n"})
            else:
                text = t(forms[0], **params)
            out.append((repr(params), str(text)))
            out.append((repr(params), plain(text)))
            if len(forms) == 1:
                break
    return out


_TYPED = re.compile(r"`[^`]*`|<[^>]*>")


def english_codes(lang: str, text: str) -> list[str]:
    prose = _TYPED.sub(" ", text).lower()
    return [
        code
        for code in ENGLISH_CODES
        if code not in ALSO_FRENCH[lang] and re.search(rf"(?<![\w/-]){re.escape(code)}(?![\w-])", prose)
    ]


def test_the_catalog_template_lists_the_messages() -> None:
    ids = catalog_ids()
    assert len(ids) > 1000 and ("This request is already approved.",) in ids


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_no_message_shows_an_english_code_word(lang: str) -> None:
    """Every message id, rendered with every real code of its code parameters, in `lang`."""
    failures = []
    for forms in catalog_ids():
        for params, text in renders(lang, forms):
            found = english_codes(lang, text)
            if found:
                failures.append(f"{forms[0]!r} with {params}: {found} in {text!r}")
    assert not failures, f"{len(failures)} renders show English codes:\n" + "\n".join(failures[:40])


def test_the_check_fails_on_an_untranslated_code() -> None:
    """The check is not vacuous: a code in the prose is found; the same word in backticks is not."""
    assert english_codes("fr", "Votre rôle (viewer) ne permet pas cela") == ["viewer"]
    assert english_codes("it", "attivo · administrator") == ["administrator"]
    assert english_codes("fr", "1 license(s)") == ["license(s)"]
    assert english_codes("fr", "`/agency members add @ana viewer`") == []
    assert english_codes("fr", "une formule active") == []
    assert english_codes("it", "account active") == ["active"]


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_every_code_the_app_stores_reads_in_the_language(lang: str) -> None:
    """The vocabulary's codes (roles, statuses, kinds, reasons…) each have a translation that is not
    the English code word."""
    t = Translator(lang)
    for code, message in CODES.items():
        text = str(t(message))
        assert not english_codes(lang, text), (code, text)


@pytest.mark.parametrize(
    ("lang", "status", "expected"),
    [
        ("fr", "approved", "Cette demande est déjà approuvée."),
        ("fr", "expired", "Cette demande a déjà expiré."),
        ("it", "approved", "Questa richiesta è già approvata."),
        ("it", "expired", "Questa richiesta è già scaduta."),
    ],
)
def test_an_approval_already_decided_agrees_with_request(lang: str, status: str, expected: str) -> None:
    assert Translator(lang)(ALREADY[status]) == expected


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("en", 1, "1 free license"),
        ("en", 3, "3 free licenses"),
        ("fr", 1, "1 licence libre"),
        ("fr", 0, "0 licence libre"),
        ("fr", 3, "3 licences libres"),
        ("it", 1, "1 licenza libera"),
        ("it", 0, "0 licenze libere"),
    ],
)
def test_a_count_parameter_takes_the_catalogs_plural_form(lang: str, n: int, expected: str) -> None:
    """`Count` replaces "license(s)": the catalog's rule picks the form (French: 0 is singular)."""
    free = Count(n, "{n} free license", "{n} free licenses")
    text = Translator(lang)(
        ":white_check_mark: {email} is removed; {account} has {free}.", email="a@b.c", account="x", free=free
    )
    assert expected in text


def test_no_message_writes_a_plural_in_brackets() -> None:
    """No message id writes "license(s)" and no translation "licence(s)", "invité(s)", "licenza/e":
    plurals go through `t.plural` or a `Count` parameter, with the catalog's plural rule."""
    bracketed = [forms[0] for forms in catalog_ids() if re.search(r"\w\(s\)", " ".join(forms))]
    for lang in ("fr", "it"):
        with (ROOT / "bot" / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            for m in read_po(fh, locale=lang):
                strings = (m.string,) if isinstance(m.string, str) else tuple(m.string)
                bracketed += [s for s in strings if re.search(r"\w\((?:s|x|e|es|i|a)\)", s or "")]
    assert not bracketed, bracketed


def _literal_ids() -> dict[str, str]:
    """Every string literal given to `N_`, `_` or `t` in bot/ and domain/, found by parsing the code
    (so one written inside an f-string's braces is found too) → where it is."""
    found: dict[str, str] = {}
    for folder in ("bot", "domain"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else None
                if name in ("N_", "_", "t") and isinstance(node.args[0], ast.Constant):
                    value = node.args[0].value
                    if isinstance(value, str) and value:
                        found.setdefault(value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_marked_literal_is_in_the_catalog() -> None:
    """A message marked inside an f-string (`f"{t(N_('administrator'))}"`) is not extracted by Babel,
    so it stayed English ("attivo · administrator"): every marked literal must be a catalog id."""
    ids = {forms[0] for forms in catalog_ids()} | {form for forms in catalog_ids() for form in forms}
    missing = {text: where for text, where in _literal_ids().items() if text not in ids}
    assert not missing, missing
