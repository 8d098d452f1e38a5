"""The one translation function, and locale-aware formatting of money, numbers and dates.

Every user-facing string goes through `Translator.__call__`: gettext looks the message id up in the
reader's catalog (compiled by Babel under `bot/locale`), then the named parameters are formatted for
the reader's locale — Decimal as money in the agency currency, dates as the locale writes them.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from domain.i18n import Count, Word

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("en", "fr", "it")
BABEL_LOCALES = {"en": "en_US", "fr": "fr_FR", "it": "it_IT"}


def normalise_locale(raw: str | None) -> str:
    """Map Slack's `fr-FR`, `it_IT`, `en-GB` to one of our languages, English otherwise."""
    if not raw:
        return "en"
    lang = raw.replace("_", "-").split("-")[0].lower()
    return lang if lang in SUPPORTED else "en"


def pick_language(*candidates: str | None) -> str:
    """The first candidate we speak (the reader's Slack locale, then the agency's), else English."""
    for raw in candidates:
        if raw and raw.replace("_", "-").split("-")[0].lower() in SUPPORTED:
            return normalise_locale(raw)
    return "en"


@lru_cache(maxsize=8)
def _translations(lang: str) -> gettext.NullTranslations:
    """The reader's catalog: the compiled one, or the `.po` compiled in memory when the `.mo` is
    missing or older.

    `make run`/`make test` compile the `.mo` files (they are not committed: each Babel version writes
    its own header, so a committed one would change with every install); an install without make
    still reads every translation instead of falling back to English.
    """
    if lang == "en":
        return gettext.NullTranslations()
    return load_catalog(LOCALE_DIR / lang / "LC_MESSAGES", lang)


def load_catalog(folder: Path, lang: str) -> gettext.GNUTranslations:
    po, mo = folder / "messages.po", folder / "messages.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=8)
def _babel_locale(lang: str) -> Locale:
    """Parsed once: Babel re-parses a locale given by name on every number, date and amount."""
    return Locale.parse(BABEL_LOCALES[lang])


class Percent(Decimal):
    """A Decimal that is a percentage (25 means 25 %), so it is not formatted as money."""


def escape(text: str) -> str:
    """User or client text made safe for Slack mrkdwn: `&`, `<` and `>` become `&amp;`, `&lt;` and
    `&gt;` (Slack's escaping rules), so `<!channel>` or `<https://…|click>` typed as a client name
    reads as typed instead of notifying a channel or showing a link. `*`, `_`, `~` and backticks are
    left alone: Slack needs no escape for them, and a name written `*Evil*` at worst reads in bold."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class Mrkdwn(str):
    """Slack mrkdwn the app built itself: a translated message (its user data already escaped), a
    mention `<@U…>` or a channel `<#C…>`. Passed as a translator parameter it is placed as it is,
    never escaped again. `plain` is the same text for a `plain_text` object (a header, a button, an
    option, a modal title), where Slack shows every character as written, so there the user data is
    not escaped (it would read `&lt;`); `bot.ui` picks it for those objects."""

    plain: str

    def __new__(cls, text: str, plain: str | None = None) -> Mrkdwn:
        made = super().__new__(cls, text)
        made.plain = text if plain is None else plain
        return made


# The markup a message may write itself: a mention `<@{user}>`, a channel `<#{channel}>`, a link
# `<{link}>`. Any other `<`, `>` or `&` in a message (`/accounts show <name>` in a help line) is text.
_OWN_TOKEN = re.compile(r"(<[@#]?\{\w+\}>)")


@lru_cache(maxsize=4096)
def markup_template(text: str) -> str:
    """A message as mrkdwn: its own tokens kept, every other `&`, `<`, `>` escaped (the same text
    object back when there is nothing to escape, so the common case costs one look-up)."""
    if "&" not in text and "<" not in text and ">" not in text:
        return text
    marked = "".join(part if index % 2 else escape(part) for index, part in enumerate(_OWN_TOKEN.split(text)))
    return text if marked == text else marked


def joined(separator: str, parts: Iterable[str]) -> Mrkdwn:
    """Parts joined into one `Mrkdwn`: translated messages as they are, any other text escaped (so
    the result can go into another message without being escaped twice)."""
    items = [part if isinstance(part, Mrkdwn) else Mrkdwn(escape(part), part) for part in parts]
    return Mrkdwn(separator.join(items), separator.join(item.plain for item in items))


def plain(text: str) -> str:
    """The text of a `plain_text` object: a translated message's own plain form, else the text."""
    return text.plain if isinstance(text, Mrkdwn) else text


def _needs_plain(value: Any) -> bool:
    """Whether a parameter reads differently in mrkdwn and in plain text (so both are formatted)."""
    if isinstance(value, Mrkdwn):
        return value.plain != value
    if isinstance(value, str):
        return "&" in value or "<" in value or ">" in value
    if isinstance(value, tuple):
        return any(_needs_plain(item) for item in value)
    return False


class Translator:
    """Translates and formats for one reader: built per request from their locale."""

    def __init__(self, lang: str = "en", currency: str = "USD", timezone: str = "UTC") -> None:
        self.timezone = timezone
        self.lang = normalise_locale(lang)
        self.locale = _babel_locale(self.lang)
        self.currency = currency
        self._gettext = _translations(self.lang).gettext
        self._ngettext = _translations(self.lang).ngettext

    def __call__(self, message: str, **params: Any) -> str:
        """The message in the reader's language, as Slack mrkdwn: `str` parameters (names, emails,
        reasons: anything a user or client typed) are escaped, `Mrkdwn` ones (markup the app built,
        other translated messages) are placed as they are. The result is a `Mrkdwn` (typed `str`, so
        callers compose it freely); `plain(result)` is the same message with the raw text."""
        text = self._gettext(message) if message else ""
        if not params:
            marked = markup_template(text)
            return Mrkdwn(marked) if marked is text else Mrkdwn(marked, text)
        return self._fill(text, params)

    def _fill(self, text: str, params: dict[str, Any]) -> Mrkdwn:
        typed = _typed_keys(text)
        # A parameter inside backticks is a word the reader types (`/credits buy {kind}`): kept as is.
        params_keys = {key: "" if key in typed else key for key in params}
        formatted = {key: self.format(value, params_keys[key]) for key, value in params.items()}
        template = markup_template(text)
        try:
            marked = self._articles(
                self._elide(self._contract(template, formatted), formatted).format(**formatted)
            )
            if template is text and not any(_needs_plain(value) for value in params.values()):
                return Mrkdwn(marked)
            raw = {key: self.format(value, params_keys[key], markup=False) for key, value in params.items()}
            return Mrkdwn(marked, self._articles(self._elide(self._contract(text, raw), raw).format(**raw)))
        except (KeyError, IndexError, ValueError):
            return Mrkdwn(template, text)

    def _articles(self, text: str) -> str:
        return italian_articles(text) if self.lang == "it" else text

    def _contract(self, text: str, formatted: dict[str, str]) -> str:
        """A preposition before a name that starts with an article takes the article in: Italian
        "di {agency}" with "La mia agenzia" reads "della mia agenzia" (not "di La mia agenzia"),
        French "de {agency}" with "Le Comptoir" reads "du Comptoir". `formatted` gets the name
        without its article under a new key, and the template uses it."""
        table = _CONTRACTIONS.get(self.lang)
        if table is None or " {" not in text:
            return text

        def fix(match: re.Match[str]) -> str:
            preposition, key = match.group(1), match.group(2)
            value = formatted.get(key, "")
            found = _ARTICLE.match(value)
            if found is None:
                return match.group(0)
            article = found.group(1).lower()
            joined = table.get((preposition.lower(), article))
            if joined is None:
                return match.group(0)
            if preposition[:1].isupper():
                joined = joined[:1].upper() + joined[1:]
            rest_key = f"{key}__after_{article.rstrip(chr(39))}"
            formatted[rest_key] = value[found.end() :]
            return f"{joined}{{{rest_key}}}"

        return _PREPOSITION.sub(fix, text)

    def _elide(self, text: str, formatted: dict[str, str]) -> str:
        """French "de {name}" before a vowel is "d'{name}": "Membres d'Acme", "Sièges d'agence-x"."""
        if self.lang != "fr":
            return text

        def fix(match: re.Match[str]) -> str:
            value = formatted.get(match.group(2), "")
            return f"{match.group(1)}'{{{match.group(2)}}}" if value[:1] in _FR_VOWELS else match.group(0)

        return _FR_DE.sub(fix, text)

    def plural(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Pick the plural form the reader's language uses for `n`; `{n}` is formatted too.

        Both forms are usually marked `N_` (so they are extracted as two ids, not a gettext plural
        entry): then the catalog's own rule (`Plural-Forms`, French counts 0 as singular) picks which
        of the two translated ids to use."""
        text = self._ngettext(singular, plural, n)
        if text in (singular, plural):
            catalog = _translations(self.lang)
            rule = getattr(catalog, "plural", None)
            form = rule(n) if callable(rule) else int(n != 1)
            text = self._gettext(singular if form == 0 else plural)
        return self._fill(text, {"n": n, **params})

    def format(self, value: Any, key: str = "", *, markup: bool = True) -> str:
        """Format one parameter for the reader. Decimals named like a rate (`percent`, `rate`) are
        plain numbers because their message writes the % sign; other Decimals are money. Text is
        escaped for mrkdwn (`markup=False`: as written, for a `plain_text` object) unless it is
        `Mrkdwn` the app built."""
        if isinstance(value, Mrkdwn):
            return str(value) if markup else value.plain
        if isinstance(value, str) and not isinstance(value, Word):
            coded = _coded(value, key)
            if coded is not None:
                said = self(coded[0], **coded[1])
                return str(said) if markup else plain(said)
            return escape(value) if markup else value
        if isinstance(value, Count):
            said = self.plural(value.singular, value.plural, value.n)
            return str(said) if markup else plain(said)
        if isinstance(value, Decimal) and not isinstance(value, Percent) and _is_rate(key):
            return format_decimal(value, locale=self.locale)
        if isinstance(value, bool):
            return self("yes") if value else self("no")
        if isinstance(value, Word):
            return self(str(value)) if markup else plain(self(str(value)))
        if isinstance(value, Percent):
            return self.percent(value)
        if isinstance(value, Decimal):
            return self.money(value)
        if isinstance(value, int):
            return format_decimal(value, locale=self.locale)
        if isinstance(value, datetime):
            return format_datetime(value, format="medium", tzinfo=ZoneInfo(self.timezone), locale=self.locale)
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, tuple):
            return ", ".join(self.format(item, key, markup=markup) for item in value)
        return escape(str(value)) if markup else str(value)

    def money(self, amount: Decimal, currency: str | None = None) -> str:
        return format_currency(amount, currency or self.currency, locale=self.locale)

    def percent(self, value: Decimal) -> str:
        """25 → `25%` in English and Italian, `25 %` in French; at most two decimals."""
        ratio = (round(Decimal(value), 2) / 100).normalize()
        return format_percent(ratio, locale=self.locale, decimal_quantization=False)

    def date(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale)


# Articulated prepositions: (preposition, article) → the contracted form, with its space (none after
# an apostrophe). Italian always contracts di/a/da/in/su with an article; French de/à with le/les.
_IT_ARTICLES = {"il": "l", "lo": "llo", "la": "lla", "l'": "ll'", "i": "i", "gli": "gli", "le": "lle"}
_IT_STEMS = {"di": "de", "a": "a", "da": "da", "in": "ne", "su": "su"}


def _italian_contractions() -> dict[tuple[str, str], str]:
    table = {}
    for preposition, stem in _IT_STEMS.items():
        for article, ending in _IT_ARTICLES.items():
            if article == "il":
                word = stem + "l"
            elif article == "i":
                word = stem + "i"
            elif article == "gli":
                word = stem + "gli"
            else:
                word = stem + ending
            table[(preposition, article)] = word if word.endswith("'") else word + " "
    return table


_CONTRACTIONS: dict[str, dict[tuple[str, str], str]] = {
    "it": _italian_contractions(),
    "fr": {("de", "le"): "du ", ("de", "les"): "des ", ("à", "le"): "au ", ("à", "les"): "aux "},
}
_PREPOSITION = re.compile(r"(?<![\w'])(di|a|da|in|su|de|à|Di|A|Da|In|Su|De|À) \{(\w+)\}")
# An article as a name writes it: "La mia agenzia", "l'Officina" ("LA Fitness" is an abbreviation).
_ARTICLE = re.compile(r"([IiLl]l|[Ll]o|[Ll]a|[Ii]|[Gg]li|[Ll]es?|[Ll]')(?:\s+|(?<=')(?=\w))")

_FR_DE = re.compile(r"\b([dD])e \{(\w+)\}")
_FR_VOWELS = set("aeiouyàâäéèêëîïôöûüAEIOUYÀÂÄÉÈÊËÎÏÔÖÛÜ")

# "il {date}", "del {percent}%": Italian articles before a number depend on how it is read. "8", "11",
# "80…" and "1" start with a vowel ("l'8 dic", "dell'11%"), "0" with a z ("dello 0%"); the rest take
# "il"/"del". A message cannot know the number, so the article is fixed after formatting.
_IT_ARTICLE = re.compile(
    r"\b(il|al|dal|del|nel|sul) (\d+)(?=(?:,\d+)? ?%|° | (?:gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic)[a-z]*\b)"
)
_IT_ELIDED = {"il": "l'", "al": "all'", "dal": "dall'", "del": "dell'", "nel": "nell'", "sul": "sull'"}
_IT_BEFORE_Z = {
    "il": "lo ",
    "al": "allo ",
    "dal": "dallo ",
    "del": "dello ",
    "nel": "nello ",
    "sul": "sullo ",
}


def italian_articles(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        article, number = match.group(1), match.group(2)
        if number == "0":
            return _IT_BEFORE_Z[article] + number
        if number in ("1", "11") or number.startswith("8"):
            return _IT_ELIDED[article] + number
        return match.group(0)

    return _IT_ARTICLE.sub(fix, text)


_CODE_SPAN = re.compile(r"`[^`]*`")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=4096)
def _typed_keys(text: str) -> frozenset[str]:
    """The placeholders of a message that sit inside backticks: command words, not prose."""
    if "`" not in text:
        return frozenset()
    return frozenset(key for span in _CODE_SPAN.findall(text) for key in _PLACEHOLDER.findall(span))


def _coded(value: str, key: str) -> tuple[str, dict[str, Any]] | None:
    """A code from data given as plain text to a parameter that holds codes (`role`, `status`,
    `kind`, `reason`…): its message id, so "approved" reads "approuvée" whoever passed it."""
    from bot.vocabulary import WORD_PARAMS, code_message

    return code_message(value) if key in WORD_PARAMS else None


def _is_rate(key: str) -> bool:
    return key in ("percent", "rate") or key.endswith(("_percent", "_rate"))


def _(message: str) -> str:
    """Mark a module-level message id for extraction; it is translated when rendered."""
    return message
