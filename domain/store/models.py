"""Tables. Typed SQLAlchemy 2.x declarative mapping; identical on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)
# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    notice_channel: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="en")
    low_balance_threshold: Mapped[Decimal] = mapped_column(Money, default=Decimal("100.00"))
    notice_lead_days: Mapped[str] = mapped_column(String(32), default="7,1")
    archive_after_days: Mapped[int] = mapped_column(Integer, default=30)
    approval_threshold: Mapped[Decimal | None] = mapped_column(Money)
    large_charge: Mapped[Decimal] = mapped_column(Money, server_default="1000.00")
    """A charge above it carries an extra warning line on its confirm step (issue 14 §2)."""
    branding: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payout_email: Mapped[str | None] = mapped_column(String(254))
    notification_email: Mapped[str | None] = mapped_column(String(254))
    """The agency's address new accounts get as their notification email (SPEC §4)."""
    referral_code: Mapped[str | None] = mapped_column(String(32))
    notice_mutes: Mapped[list[str]] = mapped_column(JSON, default=list)
    notice_snoozes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    prepaid_advice_day: Mapped[int] = mapped_column(Integer, server_default="1")
    """The day of the month the monthly prepaid advice is posted (1 to 28; issue 18 §1)."""
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    """The Enterprise Grid organisation of the installation, when there is one (SPEC §11)."""
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Installed org-wide: `team_id` then holds the organisation's id, every workspace of it shares
    the agency."""
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when Slack says the app was uninstalled or its tokens revoked: nothing is posted, no job
    runs, the data stays; cleared when the workspace installs the app again."""
    suspended_reason: Mapped[str | None] = mapped_column(String(32))
    """app_uninstalled or tokens_revoked."""


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("agency_id", "user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_agency_at", "agency_id", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(120))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProcessedRequest(Base):
    """Remembers the result of every state-changing interaction by its idempotency key.

    Slack retries late requests and people double-click: the second delivery finds the row and
    answers the stored result instead of doing the work again.
    """

    __tablename__ = "processed_requests"
    __table_args__ = (UniqueConstraint("agency_id", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    key: Mapped[str] = mapped_column(String(200))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BillingProfile(Base):
    """One of the agency's cards: only what identifies it and the gateway's token, never the number."""

    __tablename__ = "billing_profiles"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    holder: Mapped[str] = mapped_column(String(120))
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Account(Base):
    """A resold account (or a per-seat customer subscription): one row, its plan and its status."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("agency_id", "name"),
        Index("ix_accounts_agency_status_name", "agency_id", "status", "name"),
        Index("ix_accounts_agency_period_end", "agency_id", "period_end"),
        Index("ix_accounts_agency_created", "agency_id", "created_at"),
        Index("ix_accounts_agency_tier", "agency_id", "tier"),
        Index("ix_accounts_status_period_end", "status", "period_end"),
        # Overview sorts within a status (migration 0003a).
        Index("ix_accounts_agency_status_period_end", "agency_id", "status", "period_end"),
        Index("ix_accounts_agency_status_created", "agency_id", "status", "created_at"),
        Index("ix_accounts_agency_status_size", "agency_id", "status", "plan_size"),
        # Imports and the reconciliation find accounts by their vendor reference (migration 0010_c).
        Index("ix_accounts_agency_provider_ref", "agency_id", "provider_ref"),
        Index("ix_accounts_provider_ref", "provider_ref"),  # a vendor account another agency manages
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(63))
    custom_domain: Mapped[str | None] = mapped_column(String(253))
    client_name: Mapped[str] = mapped_column(String(120))
    client_email: Mapped[str] = mapped_column(String(254))
    notification_email: Mapped[str] = mapped_column(String(254))
    company: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    # The plan, as the pricing engine's PlanChoice.
    pricing_version: Mapped[str] = mapped_column(String(4))
    product: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(20))
    contacts: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(8))
    seats: Mapped[int | None] = mapped_column(Integer)
    addons: Mapped[list[str]] = mapped_column(JSON, default=list)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    plan_size: Mapped[int] = mapped_column(Integer, default=0)
    pending_change: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Status and time.
    status: Mapped[str] = mapped_column(String(12))
    status_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_reason: Mapped[str | None] = mapped_column(Text)
    login_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purchased_on: Mapped[date | None] = mapped_column(Date)
    renewal_day: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    archived_on: Mapped[date | None] = mapped_column(Date)
    # Money.
    is_commission: Mapped[bool] = mapped_column(Boolean, default=False)
    referred_on: Mapped[date | None] = mapped_column(Date)
    """A commission account's referral date (SPEC §4); NULL for the others."""
    billing_profile_id: Mapped[int | None] = mapped_column(ForeignKey("billing_profiles.id"), index=True)
    payment_method: Mapped[str] = mapped_column(String(12), default="card")
    price_per_cycle: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    """What the last charge billed per cycle (at the tier of that day)."""
    renewal_base: Mapped[Decimal | None] = mapped_column(Money)
    """The next cycle's plan value after its migration discount; the reseller discount is applied at
    the tier of the day it is read (margins). NULL: not known yet, priced in Python. Kept by
    `domain.store.renewal_terms.keep_renewal_terms`."""
    renewal_months: Mapped[int | None] = mapped_column(Integer)
    cycles_billed: Mapped[int] = mapped_column(Integer, default=0)
    migration_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    migration_cycles: Mapped[int | None] = mapped_column(Integer)
    discount_eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    discount_loss_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    client_price: Mapped[Decimal | None] = mapped_column(Money)
    client_price_per: Mapped[str] = mapped_column(String(8), default="month")
    # Provider side.
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    branding: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    snapshot_id: Mapped[int | None] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(32))
    plan_to_confirm: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Imported from the vendor with a plan the desk cannot map to the catalog (migration 0010_c):
    the stored plan is a placeholder, the account is never billed nor announced as renewing until a
    person sets its plan through Edit (`domain.portfolio_import`)."""


class LedgerEntry(Base):
    """Append-only: every balance is the sum of its entries; rows are never updated or deleted.

    `pool` is prepaid (money), sms or preview (units). `account_id` NULL is the agency's general pool;
    set, it is that account's earmark (prepaid) or its allocated credits (sms, preview).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("agency_id", "idempotency_key"),
        Index("ix_ledger_agency_pool_account", "agency_id", "pool", "account_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    pool: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    unit: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("agency_id", "idempotency_key"),
        UniqueConstraint("agency_id", "number"),
        Index("ix_invoices_agency_account_created", "agency_id", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money)
    credit_used: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    card_charged: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    billing_profile_id: Mapped[int | None] = mapped_column(ForeignKey("billing_profiles.id"))
    payment_method: Mapped[str] = mapped_column(String(12), default="card")
    gateway_ref: Mapped[str | None] = mapped_column(String(64))
    failure: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    billed_by: Mapped[str] = mapped_column(String(8), default="desk", server_default="desk")
    """`desk` (the desk charged credit or a card) or `vendor` (SPEC §9: the vendor billed it itself)."""
    vendor_name: Mapped[str | None] = mapped_column(String(64))
    """Who billed a vendor-billed invoice, as shown ("ActiveCampaign"); None reads "the vendor"."""


class SeatMember(Base):
    __tablename__ = "seat_members"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(12))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    """The outbox: one row per (kind, account, due date), whatever runs the sweep and how often."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("agency_id", "dedupe_key"),
        Index("ix_notices_status_next", "status", "next_attempt_at"),
        # The daily jobs (migration 0006): the sender's claim per agency, a digest's "list all".
        Index("ix_notices_agency_status_next", "agency_id", "status", "next_attempt_at"),
        Index("ix_notices_agency_claimed_by", "agency_id", "claimed_by"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    due_on: Mapped[date] = mapped_column(Date)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Approval(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    requester: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Money)
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PendingConfirmation(Base):
    """What a confirm card or a confirm step will do, held by the server (SPEC §10).

    The button or the modal carries only `id` (unguessable); a click loads the row, checks it belongs
    to the clicker's agency and user, is unexpired and unused, marks it used, and re-checks the rules.
    `result` answers a second click ("already done") without doing anything again.
    """

    __tablename__ = "pending_confirmations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int | None] = mapped_column(Id)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SavedView(Base):
    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("agency_id", "user_id", "name"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(40))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Snapshot(Base):
    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(120))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_by: Mapped[str] = mapped_column(String(32))


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    direction: Mapped[str] = mapped_column(String(4))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    account_name: Mapped[str] = mapped_column(String(63))
    client_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(String(32))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A transfer-in's plan (a PlanChoice as JSON), recorded on the request, used on confirmation."""


class TemplateImport(Base):
    __tablename__ = "template_imports"
    __table_args__ = (UniqueConstraint("agency_id", "account_id", "share_link"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    share_link: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobRun(Base):
    """Which daily job ran for which day, so a second run of the same day knows what is done."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("agency_id", "job", "day"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    job: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AgencyStats(Base):
    """The count of active paid accounts per agency, kept exact by database triggers on `accounts`.

    The discount tier is read on every quote, renewal and App Home view; counting 100,000 accounts each
    time costs ~100 ms, a primary-key read ~0.1 ms. Triggers (migration 0004) update it in the same
    transaction as the account change, for every INSERT/UPDATE/DELETE path, bulk SQL included.
    """

    __tablename__ = "agency_stats"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    active_paid: Mapped[int] = mapped_column(Integer, default=0)


class InvoiceCounter(Base):
    """The last invoice number an agency gave in a year (`INV-2026-000042` is its 42nd of 2026): each
    agency numbers its own invoices from 1, without gaps another agency's invoices would leave and
    without telling anyone how many invoices the other agencies of the deployment write."""

    __tablename__ = "invoice_counters"

    agency_id: Mapped[int] = mapped_column(Id, ForeignKey("agencies.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class StatusCount(Base):
    """Accounts per status per agency, commission accounts aside; triggers keep it exact (0004b)."""

    __tablename__ = "status_counts"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class PortfolioImport(Base):
    """One import of the vendor's accounts (`/agency import`), its progress kept page by page.

    Each page commits with the accounts it added, so a crash or a vendor failure resumes at
    `next_page` (idempotent by the vendor reference and the name: a page done twice adds nothing).
    `heartbeat_at` is the lease of the process running it: two instances never run one import.
    """

    __tablename__ = "portfolio_imports"
    __table_args__ = (UniqueConstraint("agency_id", "request_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    request_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="running")
    next_page: Mapped[int] = mapped_column(Integer, default=1)
    total_pages: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    to_confirm: Mapped[int] = mapped_column(Integer, default=0)
    skipped_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """The first skipped accounts as [name, reason message id], for the summary."""
    failure: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    started_by: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalTask(Base):
    """Something the vendor's API does not offer, to do by hand in its partner portal (SPEC §9).

    `values` says what to set there and never holds a secret (a password task says "send the client
    a password reset"). `dedupe_key` names the change; `open_key` is the same while the task is open
    and NULL once done or replaced, so the same change opens one task and a later one a new task.
    """

    __tablename__ = "portal_tasks"
    __table_args__ = (
        UniqueConstraint("agency_id", "open_key"),
        Index("ix_portal_tasks_agency_state", "agency_id", "state"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    account_name: Mapped[str] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(32))
    """The capability the vendor's API lacks (`domain.ports.Capability`)."""
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    provider: Mapped[str] = mapped_column(String(32))
    portal_url: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default="open")
    """open, done, or replaced (a newer task for the same account and action took over)."""
    dedupe_key: Mapped[str] = mapped_column(String(200))
    open_key: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))


class VendorOperation(Base):
    """One slow vendor call, run after Slack's ack from this durable row (SPEC §9 Slow vendors).

    `key` is unique per agency: a retried or double-submitted request finds its operation, so one
    request is one vendor call. A runner claims the row with a conditional UPDATE (state and lease),
    so two instances never both run it; a lease that expired (the runner crashed) is taken over.
    `payload` holds what the call needs and `result`/`error` what came of it: never a secret.
    """

    __tablename__ = "vendor_operations"
    __table_args__ = (
        UniqueConstraint("agency_id", "key"),
        Index("ix_vendor_operations_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(32))
    """provision_account, snapshot, template_import, provision_seats."""
    key: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    target: Mapped[str] = mapped_column(String(120), default="")
    """The account's name (kept when a failed creation removes the account row)."""
    state: Mapped[str] = mapped_column(String(12), default="pending")
    """pending, running, succeeded, failed."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    error_field: Mapped[str | None] = mapped_column(String(40))
    requested_by: Mapped[str] = mapped_column(String(32))
    notify: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Where to tell the person who asked: view_id, channel, response_url, language."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
