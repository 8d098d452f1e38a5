"""Marking of user-facing text in the domain.

The domain never translates: it marks message ids with `N_` so Babel extracts them, and the
adapter translates them for the reader (see `bot.i18n`). Parameters stay separate so money and dates
are formatted for the reader's locale, not the writer's.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    return message


class Word(str):
    """A message id given as a parameter (a pool's name, a status): the translator translates it
    before putting it in the sentence, so a word from data reads in the reader's language."""


class Count:
    """A number with its noun, as a message parameter: `Count(3, N_("{n} license"), N_("{n} licenses"))`
    reads "3 licenses", "3 licences", "3 licenze" — the reader's catalog picks the plural form, so a
    message never writes "license(s)"."""

    __slots__ = ("n", "plural", "singular")

    def __init__(self, n: int, singular: str, plural: str) -> None:
        self.n, self.singular, self.plural = n, singular, plural

    def __str__(self) -> str:
        return (self.singular if self.n == 1 else self.plural).format(n=self.n)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Count) and (other.n, other.singular, other.plural) == (
            self.n,
            self.singular,
            self.plural,
        )

    def __hash__(self) -> int:
        return hash((self.n, self.singular, self.plural))

    def __repr__(self) -> str:
        return f"Count({self.n!r}, {self.singular!r}, {self.plural!r})"

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "one": self.singular, "other": self.plural}


def stored(value: Any) -> Any:
    """A message parameter as JSON keeps it (an invoice line's, an approval's result): a `Count`
    keeps its forms, anything else its text."""
    return value.to_json() if isinstance(value, Count) else str(value)


def revived(value: Any) -> Any:
    """A stored parameter back as it was given: a stored `Count` is one again."""
    if isinstance(value, dict) and set(value) == {"n", "one", "other"}:
        try:
            return Count(int(value["n"]), str(value["one"]), str(value["other"]))
        except (TypeError, ValueError):
            return str(value.get("n"))
    return value
