"""Keep Moonly's records equal to Stripe's: lock the local row, re-fetch, write.

Webhook events can arrive late, twice, or out of order, so their payloads are never
trusted as the latest state. Each sync holds the local row for the rest of the
transaction before fetching the object, so of two concurrent syncs the one that commits
last also fetched last: the row always ends at Stripe's newest state.
"""

from __future__ import annotations

from typing import Any, TypeVar

import stripe
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..accounts.models import User
from ..extensions import db
from ..timeutil import utcnow
from . import stripe_api
from .models import Charge, Invoice, Subscription

Row = TypeVar("Row", Subscription, Invoice, Charge)


def _hold(model: type[Row], object_id: str) -> Row:
    """Create the row if missing and lock it until the transaction ends."""
    insert = (
        pg_insert
        if db.session.get_bind().dialect.name == "postgresql"
        else sqlite_insert
    )
    db.session.execute(insert(model).values(id=object_id).on_conflict_do_nothing())
    return db.session.scalars(
        select(model)
        .where(model.id == object_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _id(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the object."""
    if value is None or isinstance(value, str):
        return value
    return str(value.id)


def sync_subscription(subscription_id: str) -> Subscription | None:
    row = _hold(Subscription, subscription_id)
    subscription = stripe_api.unless_gone(
        stripe_api.retrieve_subscription, subscription_id
    )
    if subscription is None:
        db.session.delete(row)
        return None
    item = subscription["items"].data[0]  # `.items` is the dict method
    price = item.price
    discount = subscription.discounts[0] if subscription.discounts else None
    row.customer_id = _id(subscription.customer)
    row.status = subscription.status
    row.price_id = price.id
    row.lookup_key = price.lookup_key
    row.interval = price.recurring.interval if price.recurring else None
    row.unit_amount = price.unit_amount
    row.currency = subscription.currency
    row.cancel_at_period_end = bool(subscription.cancel_at_period_end)
    row.current_period_start = item.current_period_start
    row.current_period_end = item.current_period_end
    row.discount_id = _id(discount)
    row.discount_coupon = (
        _id(discount.source.coupon) if isinstance(discount, stripe.Discount) else None
    )
    row.discount_end = discount.end if isinstance(discount, stripe.Discount) else None
    row.canceled_at = subscription.canceled_at
    row.created = subscription.created
    row.synced_at = utcnow()
    return row


def sync_invoice(invoice_id: str) -> Invoice | None:
    row = _hold(Invoice, invoice_id)
    invoice = stripe_api.unless_gone(stripe_api.retrieve_invoice, invoice_id)
    if invoice is None:  # a deleted draft
        db.session.delete(row)
        return None
    details = invoice.parent.subscription_details if invoice.parent else None
    row.customer_id = _id(invoice.customer)
    row.subscription_id = _id(details.subscription) if details else None
    row.status = invoice.status
    row.number = invoice.number
    row.billing_reason = invoice.billing_reason
    row.currency = invoice.currency
    row.subtotal = invoice.subtotal
    row.total_discount = sum(d.amount for d in invoice.total_discount_amounts or [])
    row.total = invoice.total
    row.amount_due = invoice.amount_due
    row.amount_paid = invoice.amount_paid
    row.period_start = invoice.period_start
    row.period_end = invoice.period_end
    row.hosted_invoice_url = invoice.hosted_invoice_url
    row.created = invoice.created
    row.synced_at = utcnow()
    return row


def sync_charge(charge_id: str) -> Charge | None:
    row = _hold(Charge, charge_id)
    charge = stripe_api.unless_gone(stripe_api.retrieve_charge, charge_id)
    if charge is None:
        db.session.delete(row)
        return None
    row.customer_id = _id(charge.customer)
    row.payment_intent = _id(charge.payment_intent)
    row.status = charge.status
    row.currency = charge.currency
    row.amount = charge.amount
    row.amount_refunded = charge.amount_refunded
    row.refunded = bool(charge.refunded)
    row.failure_code = charge.failure_code
    row.created = charge.created
    row.synced_at = utcnow()
    return row


def link_customer(customer_id: str) -> User | None:
    """Link a customer to its user when an earlier attempt's answer was lost."""
    customer = stripe_api.unless_gone(stripe_api.retrieve_customer, customer_id)
    if customer is None or getattr(customer, "deleted", False) or not customer.metadata:
        return None
    public_id = customer.metadata.to_dict().get("new_user_id")
    if not public_id:
        return None
    user: User | None = db.session.scalar(
        select(User).where(User.public_id == public_id).with_for_update()
    )
    if user is not None and user.stripe_customer_id is None:
        user.stripe_customer_id = customer.id
        user.stripe_customer_error = None
    return user


def unlink_deleted_customer(customer_id: str) -> User | None:
    """A customer deleted in Stripe no longer backs its user: unlink it, so the next
    checkout makes a new customer with the same metadata for Cello."""
    customer = stripe_api.unless_gone(stripe_api.retrieve_customer, customer_id)
    if customer is not None and not getattr(customer, "deleted", False):
        return None  # not deleted after all (an old or forged event)
    user: User | None = db.session.scalar(
        select(User).where(User.stripe_customer_id == customer_id).with_for_update()
    )
    if user is None:
        return None
    if user.deleted_at is not None:
        # The user deleted the account: keep the id as history; the deletion is done.
        user.deletion_finished_at = user.deletion_finished_at or utcnow()
        return user
    user.stripe_customer_id = None
    user.stripe_customer_attempts = 0
    user.stripe_customers_deleted += 1
    return user
