"""What the account page shows about billing, read from Moonly's records and Stripe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict, TypeVar

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..timeutil import isoformat, utcnow
from . import stripe_api
from .catalog import NEW_USER_COUPON_ID, PLAN_BY_LOOKUP_KEY, money, new_user_offer
from .models import Charge, Invoice, Subscription

Row = TypeVar("Row", Subscription, Invoice)

STATUS_LABELS = {
    "active": "Active",
    "trialing": "Trial",
    "past_due": "Payment failed: we will retry",
    "incomplete": "Waiting for payment",
    "incomplete_expired": "Expired before payment",
    "canceled": "Canceled",
    "unpaid": "Unpaid",
    "paused": "Paused",
}


def day(timestamp: int | None) -> str:
    if not timestamp:
        return "—"
    moment = datetime.fromtimestamp(timestamp, UTC)
    return f"{moment.day} {moment:%b %Y}"


@dataclass(frozen=True)
class DiscountView:
    headline: str
    ends: str


@dataclass(frozen=True)
class SubscriptionView:
    id: str
    plan_name: str
    status: str
    status_label: str
    price_text: str
    period_end: str
    cancel_at_period_end: bool
    discount: DiscountView | None


@dataclass(frozen=True)
class NextInvoice:
    amount: str
    date: str
    discounted: bool


@dataclass(frozen=True)
class InvoiceView:
    number: str
    date: str
    amount_paid: str
    discount: str | None
    status: str
    url: str | None


def current_subscription(user: User) -> Subscription | None:
    """The user's newest subscription, canceled ones included."""
    if not user.stripe_customer_id:
        return None
    return db.session.scalar(
        select(Subscription)
        .where(Subscription.customer_id == user.stripe_customer_id)
        .order_by(Subscription.created.desc())
    )


def subscription_view(row: Subscription) -> SubscriptionView:
    plan = PLAN_BY_LOOKUP_KEY.get(row.lookup_key or "")
    discount = None
    if row.discount_id:
        offer = new_user_offer() if row.discount_coupon == NEW_USER_COUPON_ID else None
        discount = DiscountView(
            headline=f"{offer.percent_off:g} % off" if offer else "Discount",
            ends=day(row.discount_end) if row.discount_end else "the plan ends",
        )
    return SubscriptionView(
        id=row.id,
        plan_name=f"Moonly {plan.name}" if plan else (row.lookup_key or "Moonly"),
        status=row.status or "unknown",
        status_label=STATUS_LABELS.get(row.status or "", row.status or "Unknown"),
        price_text=f"{money(row.unit_amount or 0)}/{row.interval or 'month'}",
        period_end=day(row.current_period_end),
        cancel_at_period_end=row.cancel_at_period_end,
        discount=discount,
    )


def next_invoice(user: User, row: Subscription) -> NextInvoice | None:
    """Stripe's preview of the next invoice; None when the plan will not renew."""
    if not row.is_active or row.cancel_at_period_end or not user.stripe_customer_id:
        return None
    preview = stripe_api.preview_next_invoice(user.stripe_customer_id, row.id)
    return NextInvoice(
        amount=money(preview.amount_due),
        # A renewal invoice is made when the current period ends.
        date=day(row.current_period_end),
        discounted=bool(preview.total_discount_amounts),
    )


def invoices(user: User) -> list[InvoiceView]:
    if not user.stripe_customer_id:
        return []
    rows = db.session.scalars(
        select(Invoice)
        .where(Invoice.customer_id == user.stripe_customer_id, Invoice.status == "paid")
        .order_by(Invoice.created.desc())
    )
    return [
        InvoiceView(
            number=row.number or row.id,
            date=day(row.created),
            amount_paid=money(row.amount_paid or 0),
            discount=money(row.total_discount) if row.total_discount else None,
            status=row.status or "",
            url=row.hosted_invoice_url,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class RefundView:
    date: str
    amount: str
    full: bool


def refunds(user: User) -> list[RefundView]:
    """Money given back, from Moonly's records of the charges (kept by webhooks)."""
    if not user.stripe_customer_id:
        return []
    rows = db.session.scalars(
        select(Charge)
        .where(
            Charge.customer_id == user.stripe_customer_id, Charge.amount_refunded > 0
        )
        .order_by(Charge.created.desc())
    )
    return [
        RefundView(
            date=day(row.created),
            amount=money(row.amount_refunded or 0),
            full=bool(row.refunded),
        )
        for row in rows
    ]


def _customer_rows(model: type[Row], user: User) -> list[Row]:
    """Moonly's records of the user's customer, oldest first."""
    if not user.stripe_customer_id:
        return []
    return list(
        db.session.scalars(
            select(model)
            .where(model.customer_id == user.stripe_customer_id)
            .order_by(model.created)
        )
    )


class ExportedAccount(TypedDict):
    id: str
    email: str
    name: str
    created_at: str | None


class ExportedOrganization(TypedDict):
    id: str
    name: str


class ExportedReferral(TypedDict):
    ucc: str | None
    source: str | None
    invite_link_visited_at: str | None
    referrer_name: str | None


class ExportedSubscription(TypedDict):
    id: str
    plan: str | None
    status: str | None
    amount: int | None
    currency: str | None
    interval: str | None
    current_period_end: int | None
    discount_coupon: str | None
    created: int | None


class ExportedInvoice(TypedDict):
    id: str
    number: str | None
    status: str | None
    total: int | None
    discount: int | None
    amount_paid: int | None
    currency: str | None
    created: int | None


class DataExport(TypedDict):
    """The "Export my data" download (JSON, keys in this order)."""

    exported_at: str | None
    account: ExportedAccount
    organization: ExportedOrganization | None
    referral: ExportedReferral | None
    stripe_customer_id: str | None
    subscriptions: list[ExportedSubscription]
    invoices: list[ExportedInvoice]


def export_data(user: User) -> DataExport:
    """Everything Moonly keeps about the user, as the account page's "Export my data"
    downloads it: account, organization, referral, plans and invoices."""
    visit = user.invite_visit
    subscriptions = _customer_rows(Subscription, user)
    invoice_rows = _customer_rows(Invoice, user)
    return {
        "exported_at": isoformat(utcnow()),
        "account": {
            "id": user.public_id,
            "email": user.email,
            "name": user.name,
            "created_at": isoformat(user.created_at),
        },
        "organization": (
            {"id": user.organization.public_id, "name": user.organization.name}
            if user.organization
            else None
        ),
        "referral": (
            {
                "ucc": user.ucc,
                "source": user.ucc_source,
                "invite_link_visited_at": isoformat(visit.visited_at)
                if visit
                else None,
                "referrer_name": visit.referrer_name if visit else None,
            }
            if user.ucc
            else None
        ),
        "stripe_customer_id": user.stripe_customer_id,
        "subscriptions": [
            {
                "id": row.id,
                "plan": row.lookup_key,
                "status": row.status,
                "amount": row.unit_amount,
                "currency": row.currency,
                "interval": row.interval,
                "current_period_end": row.current_period_end,
                "discount_coupon": row.discount_coupon,
                "created": row.created,
            }
            for row in subscriptions
        ],
        "invoices": [
            {
                "id": row.id,
                "number": row.number,
                "status": row.status,
                "total": row.total,
                "discount": row.total_discount,
                "amount_paid": row.amount_paid,
                "currency": row.currency,
                "created": row.created,
            }
            for row in invoice_rows
        ],
    }
