"""Domain errors carry a message written for the user.

The message is a translatable message id with named parameters; the Slack adapter renders it in
the reader's language as an ephemeral reply (or on a modal field when `field` names one).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Something the user asked for cannot be done; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params

    def __str__(self) -> str:
        try:
            return self.message.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message


class InvalidInput(DomainError):
    """What was typed does not parse or breaks a rule; the message says how to write it."""


class NotAMember(DomainError):
    """The Slack user is not a member of the agency."""


class Forbidden(DomainError):
    """The member's role does not allow the action."""


class NotFound(DomainError):
    """The named thing does not exist in this agency."""


class Conflict(DomainError):
    """The action conflicts with the current state (already exists, in use, last owner...)."""


class PaymentDeclined(DomainError):
    """The card was declined; the charge did not happen."""


class PaymentUnavailable(DomainError):
    """The payment gateway could not be reached; the charge may be retried."""


class Problems(InvalidInput):
    """Several typed fields are wrong at once: each is reported (on its own modal field, or one line
    each in a reply), so the person fixes them all in one go instead of one per attempt."""

    def __init__(self, problems: list[DomainError]) -> None:
        first = problems[0]
        super().__init__(first.message, field=first.field, **first.params)
        self.problems = list(problems)


def raise_all(checks: list[DomainError]) -> None:
    """Raise the one problem as it is, or `Problems` for several; nothing when the list is empty."""
    if len(checks) == 1:
        raise checks[0]
    if checks:
        raise Problems(checks)
