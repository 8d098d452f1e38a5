"""Who may do what (SPEC §1). Enforced in the domain services, not only in Slack."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import Forbidden
from domain.i18n import N_, Word


class Role(StrEnum):
    OWNER = "owner"
    BILLING = "billing"
    MANAGER = "manager"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"
    MANAGE_ACCOUNTS = "manage_accounts"
    ALLOCATE_CREDITS = "allocate_credits"
    SPEND_MONEY = "spend_money"
    MANAGE_AGENCY = "manage_agency"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.BILLING: frozenset(
        {Permission.READ, Permission.MANAGE_ACCOUNTS, Permission.ALLOCATE_CREDITS, Permission.SPEND_MONEY}
    ),
    Role.MANAGER: frozenset({Permission.READ, Permission.MANAGE_ACCOUNTS, Permission.ALLOCATE_CREDITS}),
    Role.VIEWER: frozenset({Permission.READ}),
}

ROLE_NAMES = tuple(role.value for role in Role)


def role_word(role: Role | str) -> Word:
    """A role as a message parameter: the one way a role reaches a sentence, so it reads "lecteur",
    "gestore" rather than the stored code (the bot's `vocabulary.ROLES` holds the translations)."""
    return Word(role.value if isinstance(role, Role) else str(role))


def can(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]


def require(role: Role, permission: Permission) -> None:
    if not can(role, permission):
        raise Forbidden(
            N_("Your role ({role}) does not allow this. Ask an agency owner."),
            role=role_word(role),
        )


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        from domain.errors import InvalidInput

        raise InvalidInput(
            N_("Unknown role {role}. Use one of: {choices}."),
            role=text,
            choices=", ".join(ROLE_NAMES),
        ) from None
