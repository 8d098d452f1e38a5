"""The French and Italian catalogs are complete, faithful to their ids, compiled, and fit Slack.

Message ids are extracted from the source tree at test time with Babel, with the method map of
`babel.cfg` and the keywords of the Makefile (`I18N_KEYWORDS`), so a new `N_("…")` without a French
or Italian entry fails here, naming it. Fix: `make i18n-update`, fill the entries, `make test`.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import string
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import Percent, Translator, load_catalog
from domain.accounts.filters import PLAN_FILTERS, SORTS, STATUS_FILTERS
from domain.accounts.rules import STATUSES
from domain.catalog import Catalog
from domain.products import ContactsProduct, FreeProduct
from domain.roles import Role

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "bot" / "locale"
LANGUAGES = ("fr", "it")
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "it": "nplurals=2; plural=(n != 1);"}
MAX_MODAL_TEXT = 24  # modal title, submit and close
MAX_BUTTON_TEXT = 75
MAX_HEADER_TEXT = 150


def makefile_keywords() -> list[str]:
    match = re.search(r"^I18N_KEYWORDS\s*:?=\s*(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile lists the extraction keywords in I18N_KEYWORDS"
    return match.group(1).split()


@cache
def source_ids() -> dict[str, tuple[str, ...]]:
    """Every message id in bot/ and domain/ → its forms (one, or singular and plural)."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = parse_keywords(makefile_keywords())
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords, comment_tags=(), strip_comment_tags=True
    ):
        forms = tuple(message) if isinstance(message, (tuple, list)) else (message,)
        if forms and forms[0]:
            found[forms[0]] = forms
    return found


@cache
def po(lang: str) -> PoCatalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def translations(lang: str) -> dict[str, str | tuple[str, ...]]:
    return {
        str(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in po(lang) if m.id and not m.fuzzy
    }


def entries(lang: str) -> list[tuple[str, str]]:
    """(id, translation) pairs, each plural form against its own id."""
    pairs: list[tuple[str, str]] = []
    for m in po(lang):
        if not m.id or not m.string:
            continue
        ids = (m.id,) if isinstance(m.id, str) else tuple(m.id)
        strings = (m.string,) if isinstance(m.string, str) else tuple(m.string)
        pairs += [(ids[min(i, len(ids) - 1)], text) for i, text in enumerate(strings)]
    return pairs


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_extraction_finds_the_ids() -> None:
    """The extraction the Makefile runs sees domain and bot ids, plural forms included."""
    ids = source_ids()
    assert len(ids) > 500
    assert "Resold accounts" in ids and "{n} account" in ids and "{n} accounts" in ids
    assert "Your role ({role}) does not allow this. Ask an agency owner." in ids  # domain/roles.py
    assert "owner" in ids  # bot/vocabulary.py


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_id_has_a_translation(lang: str) -> None:
    """Every id in the source has a non-empty, non-fuzzy entry (every plural form filled)."""
    done = translations(lang)

    def filled(value: str | tuple[str, ...] | None) -> bool:
        return bool(value) and (isinstance(value, str) or all(value))  # type: ignore[union-attr]

    missing = sorted(msgid for msgid in source_ids() if not filled(done.get(msgid)))
    assert not missing, (
        f"{len(missing)} message id(s) without a {lang} translation "
        f"(run `make i18n-update`, fill bot/locale/{lang}/LC_MESSAGES/messages.po): " + "\n".join(missing)
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_placeholders_markup_and_keywords(lang: str) -> None:
    """Each translation has its id's `{placeholders}`, emoji codes and `code` spans (command keywords)."""
    problems = []
    for msgid, text in entries(lang):
        if placeholders(text) != placeholders(msgid):
            problems.append(f"placeholders {sorted(placeholders(msgid))}: {text!r}")
        if Counter(re.findall(r":[a-z0-9_+-]+:", text)) != Counter(re.findall(r":[a-z0-9_+-]+:", msgid)):
            problems.append(f"emoji codes of {msgid!r}: {text!r}")
        if Counter(re.findall(r"`[^`]+`", text)) != Counter(re.findall(r"`[^`]+`", msgid)):
            problems.append(f"code spans of {msgid!r}: {text!r}")
        if text.count("*") % 2 or msgid.startswith(" ") != text.startswith(" "):
            problems.append(f"bold or leading space of {msgid!r}: {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_headers_and_babel_checks(lang: str) -> None:
    """Headers name the language and its plural rule, and Babel's compile checks pass."""
    catalog = po(lang)
    assert str(catalog.locale) == lang
    assert catalog.plural_forms == PLURAL_FORMS[lang]
    assert not catalog.fuzzy
    errors = [f"{m.id!r}: {', '.join(map(str, errs))}" for m, errs in catalog.check()]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_is_up_to_date(lang: str) -> None:
    """What the app reads (the compiled .mo `make test` builds) says what the .po says."""
    compiled = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.mo"
    assert compiled.exists(), f"{compiled} is missing: run `make test` or `pybabel compile -d bot/locale`"
    _assert_reads_po(load_catalog(LOCALE_DIR / lang / "LC_MESSAGES", lang), lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_without_mo_is_read_from_po(lang: str, tmp_path: Path) -> None:
    """An install without `make` (no .mo) still translates: the .po is compiled in memory."""
    shutil.copy(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", tmp_path / "messages.po")
    _assert_reads_po(load_catalog(tmp_path, lang), lang)


def _assert_reads_po(translations: gettext.GNUTranslations, lang: str) -> None:
    wrong = [
        m.id
        for m in po(lang)
        if m.id and m.string and not m.pluralizable and translations.gettext(str(m.id)) != m.string
    ]
    assert not wrong, f"{len(wrong)} id(s) read differently from the .po, e.g. {wrong[:3]}"


def _literal_id(node: ast.AST) -> str | None:
    """`t(N_("x"))`, `req.t(N_("x"))` or `N_("x")` → "x"."""
    if isinstance(node, ast.Call) and node.args:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        inner = node.args[0]
        if name == "N_" and isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            return inner.value
        if name == "t":
            return _literal_id(inner)
    return None


def _ui_texts() -> list[tuple[str, int, str]]:
    """(id, limit, where) for literal modal titles/submit/close, button and header texts in bot/."""
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            args: list[tuple[ast.AST, int]] = []
            if node.func.attr == "modal":
                args += [(node.args[0], MAX_MODAL_TEXT)] if node.args else []
                args += [
                    (k.value, MAX_MODAL_TEXT) for k in node.keywords if k.arg in ("title", "submit", "close")
                ]
            elif node.func.attr == "button" and node.args:
                args.append((node.args[0], MAX_BUTTON_TEXT))
            elif node.func.attr == "header" and node.args:
                args.append((node.args[0], MAX_HEADER_TEXT))
            found += [(msgid, limit, where) for arg, limit in args if (msgid := _literal_id(arg))]
    return found


@pytest.mark.parametrize("lang", ["en", *LANGUAGES])
def test_titles_and_buttons_fit_slack_in_every_language(lang: str) -> None:
    """Modal titles and submit/close labels fit 24 characters, buttons 75, headers 150 (placeholders
    not counted), so Slack never has them cut."""
    done = translations(lang) if lang != "en" else {}
    too_long = []
    for msgid, limit, where in _ui_texts():
        text = done.get(msgid) or msgid
        assert isinstance(text, str)
        static = re.sub(r"\{\w*\}", "", text)
        if len(static) > limit:
            too_long.append(f"{where}: {text!r} is {len(static)} > {limit}")
    assert _ui_texts(), "the scan finds the modal titles"
    assert not too_long, "\n".join(too_long)


def test_words_translated_from_data_are_in_the_catalogs(catalog: Catalog) -> None:
    """Roles, statuses, filters, tiers, levels and add-ons reach `t()` from data: each is translated."""
    words = (
        {role.value for role in Role} | set(STATUSES) | set(STATUS_FILTERS) | set(PLAN_FILTERS) | set(SORTS)
    )
    for name in catalog.product_names():
        spec = catalog.product(name)
        if isinstance(spec, ContactsProduct):
            words |= set(spec.tiers) | set(spec.addons)
        elif isinstance(spec, FreeProduct):
            words |= set(spec.levels)
    words -= {"sms"}  # an add-on keyword shown as is
    for lang in LANGUAGES:
        done = translations(lang)
        missing = sorted(w for w in words if not done.get(w))
        assert not missing, f"{lang}: list these in bot/vocabulary.py and translate them: {missing}"


def test_plural_forms_follow_each_language() -> None:
    """French counts 0 as singular, Italian and English as plural; numbers use the locale's grouping."""
    assert Translator("fr").plural("{n} license", "{n} licenses", 0) == "0 licence"
    assert Translator("fr").plural("{n} license", "{n} licenses", 2) == "2 licences"
    assert Translator("it").plural("{n} license", "{n} licenses", 0) == "0 licenze"
    assert Translator("it").plural("{n} license", "{n} licenses", 1) == "1 licenza"
    assert Translator("en").plural("{n} license", "{n} licenses", 1234) == "1,234 licenses"


def test_money_dates_and_percentages_follow_the_locale() -> None:
    """The agency's currency, written as the reader's language writes it."""
    amount = Decimal("1234.56")
    assert Translator("fr", "EUR").money(amount) == "1\u202f234,56\u00a0€"
    assert Translator("it", "EUR").money(amount) == "1.234,56\u00a0€"
    assert Translator("en", "USD").money(amount) == "$1,234.56"
    assert Translator("fr").date(date(2026, 3, 5)) == "5 mars 2026"
    assert Translator("it").date(date(2026, 3, 5)) == "5 mar 2026"
    assert Translator("fr").percent(Percent(25)) == "25\u00a0%"
    assert Translator("it", "EUR")("{amount} per cycle", amount=amount) == "1.234,56\u00a0€ per ciclo"
    assert Translator("fr")("yes") == "oui" and Translator("it")("trial") == "prova"
