"""Agency, members and settings rules, run against the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain import agency as service
from domain.clock import FixedClock
from domain.errors import Conflict, Forbidden, InvalidInput, NotAMember, NotFound
from domain.roles import Role
from tests.fakes import FakeUnitOfWork

OWNERS = ("U0OWNER",)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


def owner(uow: FakeUnitOfWork, clock: FixedClock) -> service.Actor:
    return service.resolve_actor(uow, clock, "T1", "U0OWNER", OWNERS)


def test_configured_owner_bootstraps_the_agency(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """The first configured owner to act creates the agency and becomes its owner, audited."""
    actor = owner(uow, clock)
    assert actor.role is Role.OWNER
    assert [e.action for e in uow.audit.rows] == ["agency.created", "member.bootstrapped"]


def test_stranger_is_refused_and_nothing_is_written(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """Someone who is not a member is refused before anything is created, even the agency."""
    with pytest.raises(NotAMember):
        service.resolve_actor(uow, clock, "T1", "U0STRANGER", OWNERS)
    assert uow.commits == 0
    assert uow.snapshot() == {"agencies": 0, "members": [], "audit": 0}


def test_stranger_in_existing_agency_is_refused(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """Once the agency exists, a non-member still changes nothing."""
    owner(uow, clock)
    before = uow.snapshot()
    commits = uow.commits
    with pytest.raises(NotAMember):
        service.resolve_actor(uow, clock, "T1", "U0STRANGER", OWNERS)
    assert uow.snapshot() == before and uow.commits == commits


def test_add_member_is_idempotent_and_audited(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """Adding the same member with the same role twice writes one member and one audit entry."""
    actor = owner(uow, clock)
    service.add_member(uow, clock, actor, "U0MARIA", Role.BILLING)
    service.add_member(uow, clock, actor, "U0MARIA", Role.BILLING)
    assert ("U0MARIA", "billing") in uow.snapshot()["members"]
    assert [e.action for e in uow.audit.rows].count("member.added") == 1


def test_role_change_records_before_and_after(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """A role change is one audit entry with the old and the new role."""
    actor = owner(uow, clock)
    service.add_member(uow, clock, actor, "U0MARIA", Role.BILLING)
    service.add_member(uow, clock, actor, "U0MARIA", Role.VIEWER)
    entry = uow.audit.rows[-1]
    assert (entry.action, entry.before, entry.after) == (
        "member.role_changed",
        {"role": "billing"},
        {"role": "viewer"},
    )


@pytest.mark.parametrize("role", [Role.BILLING, Role.MANAGER, Role.VIEWER])
def test_only_owners_manage_members(uow: FakeUnitOfWork, clock: FixedClock, role: Role) -> None:
    """Billing, manager and viewer members cannot add members."""
    actor = owner(uow, clock)
    service.add_member(uow, clock, actor, "U0OTHER", role)
    other = service.resolve_actor(uow, clock, "T1", "U0OTHER", OWNERS)
    with pytest.raises(Forbidden):
        service.add_member(uow, clock, other, "U0NEW", Role.VIEWER)


def test_last_owner_cannot_be_removed_or_demoted(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """An agency always keeps one owner."""
    actor = owner(uow, clock)
    service.add_member(uow, clock, actor, "U0SECOND", Role.OWNER)
    service.remove_member(uow, clock, actor, "U0SECOND", OWNERS)
    with pytest.raises(Conflict):
        service.remove_member(uow, clock, actor, "U0OWNER", ())
    with pytest.raises(Conflict):
        service.add_member(uow, clock, actor, "U0OWNER", Role.VIEWER)


def test_configured_owner_cannot_be_removed(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """An owner listed in RESELLER_OWNERS would come back on their next request, so removal is refused."""
    actor = owner(uow, clock)
    service.add_member(uow, clock, actor, "U0SECOND", Role.OWNER)
    second = service.resolve_actor(uow, clock, "T1", "U0SECOND", OWNERS)
    with pytest.raises(Conflict):
        service.remove_member(uow, clock, second, "U0OWNER", OWNERS)


def test_removing_a_non_member_says_so(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """Removing someone who is not a member is a clear error, not a silent no-op."""
    actor = owner(uow, clock)
    with pytest.raises(NotFound):
        service.remove_member(uow, clock, actor, "U0NOBODY", OWNERS)


GOOD = service.SettingsInput("Acme", "C1", "eur", "Europe/Paris", Decimal("250"), "fr")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"timezone": "Europe/Pariss"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"low_balance_threshold": Decimal("-1")}, "low_balance_threshold"),
        ({"language": "de"}, "language"),
    ],
)
def test_bad_settings_name_their_field(change: dict[str, object], field: str) -> None:
    """Each invalid setting is refused with the field it belongs to, for the modal to show in place."""
    data = service.SettingsInput(**{**GOOD.__dict__, **change})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as error:
        service.validate_settings(data)
    assert error.value.field == field


def test_settings_are_normalised_and_audited(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """Currency is upper-cased, the threshold has cents, and the change is audited with before/after."""
    actor = owner(uow, clock)
    agency = service.update_settings(uow, clock, actor, GOOD)
    assert (agency.currency, agency.low_balance_threshold, agency.language) == (
        "EUR",
        Decimal("250.00"),
        "fr",
    )
    entry = uow.audit.rows[-1]
    assert entry.action == "agency.settings_changed"
    assert entry.before is not None and entry.before["currency"] == "USD"
    assert entry.after is not None and entry.after["currency"] == "EUR"


def test_member_changes_take_turns_and_reread_the_actors_role(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """A member change locks the agency first, then reads the actor's role again: an owner removed
    or demoted a moment ago (their request already resolved) changes nothing more."""
    first = owner(uow, clock)
    service.add_member(uow, clock, first, "U0SECOND", Role.OWNER)
    assert uow.agencies.locked == [first.agency_id]
    second = service.Actor(first.agency_id, "U0SECOND", Role.OWNER)
    service.add_member(uow, clock, first, "U0SECOND", Role.VIEWER)
    with pytest.raises(Forbidden):
        service.remove_member(uow, clock, second, first.user_id, ())
    service.remove_member(uow, clock, first, "U0SECOND", ())
    with pytest.raises(NotAMember):
        service.add_member(uow, clock, second, "U0THIRD", Role.OWNER)
    assert [m.user_id for m in uow.members.list(first.agency_id)] == [first.user_id]
