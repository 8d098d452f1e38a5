"""Marking of user-facing text in the domain.

The domain never translates: it marks message ids with `N_` so Babel extracts them, and the
adapter translates them for the reader (see `bot.i18n`). Parameters stay separate so money and dates
are formatted for the reader's locale, not the writer's.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


class Word(str):
    """A message id given as a parameter (a pool's name, a status): the translator translates it
    before putting it in the sentence, so a word from data reads in the reader's language."""
