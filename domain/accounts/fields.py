"""The add-account modal's typed fields, checked and normalised (SPEC §4 fields).

`field_errors` reports every failing field at once, so the modal marks them all in one go;
`check_fields` is what the service uses, raising the first problem.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.accounts import rules
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.quotes import MAX_MIGRATION_CYCLES

if TYPE_CHECKING:
    from domain.accounts.service import AddAccount


def _client_name(cmd: AddAccount) -> str:
    client = cmd.client_name.strip()
    if not client or len(client) > 120:
        raise InvalidInput(N_("Give the client's name (1 to 120 characters)."), field="client_name")
    return client


def _migration(cmd: AddAccount) -> None:
    percent = cmd.migration_percent
    if percent is not None and not Decimal(0) < percent <= Decimal(100):
        raise InvalidInput(N_("A migration discount is a percentage above 0, up to 100."), field="migration")
    cycles = cmd.migration_cycles
    if cycles is not None and not 1 <= cycles <= MAX_MIGRATION_CYCLES:
        raise InvalidInput(
            N_("The migration discount lasts 1 to {max} cycles; you wrote {cycles}."),
            field="migration_cycles",
            max=MAX_MIGRATION_CYCLES,
            cycles=cycles,
        )
    if cycles is not None and percent is None:
        raise InvalidInput(
            N_("Give the migration discount's percentage too, or leave its cycles empty."), field="migration"
        )


def field_errors(cmd: AddAccount) -> list[DomainError]:
    """Every typed field's problem at once (not only the first), so the modal marks them all."""
    checks: list[Callable[[], object]] = [
        lambda: rules.clean_name(cmd.name),
        lambda: _client_name(cmd),
        lambda: rules.clean_email(cmd.client_email, field="client_email"),
        lambda: rules.clean_email(cmd.notification_email, field="notification_email"),
        lambda: rules.clean_country(cmd.country),
        lambda: rules.clean_language(cmd.language),
        lambda: rules.clean_timezone(cmd.timezone),
        lambda: rules.clean_hostname(cmd.custom_domain) if cmd.custom_domain else None,
        lambda: _migration(cmd),
    ]
    errors: list[DomainError] = []
    for check in checks:
        try:
            check()
        except DomainError as error:
            errors.append(error)
    return errors


def check_fields(cmd: AddAccount) -> dict[str, Any]:
    """Every typed field checked and normalised, each error on its own modal block."""
    client = _client_name(cmd)
    country = rules.clean_country(cmd.country)
    _migration(cmd)
    return {
        "name": rules.clean_name(cmd.name),
        "client_name": client,
        "client_email": rules.clean_email(cmd.client_email, field="client_email"),
        "notification_email": rules.clean_email(cmd.notification_email, field="notification_email"),
        "country": country,
        "region": rules.region_of(country),
        "language": rules.clean_language(cmd.language),
        "timezone": rules.clean_timezone(cmd.timezone),
        "custom_domain": rules.clean_hostname(cmd.custom_domain) if cmd.custom_domain else None,
    }
