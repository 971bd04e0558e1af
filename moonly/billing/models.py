"""Moonly's own record of Stripe subscriptions, invoices and charges.

Rows are written only from objects fetched from Stripe (see `sync.py`), so they always
equal some state Stripe held; timestamps are Stripe's (seconds since the epoch).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..timeutil import utcnow

ACTIVE_STATUSES = ("active", "trialing", "past_due")


class Subscription(Model):
    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str | None] = mapped_column(String(32))
    price_id: Mapped[str | None] = mapped_column(String(255))
    lookup_key: Mapped[str | None] = mapped_column(String(255))
    interval: Mapped[str | None] = mapped_column(String(16))
    unit_amount: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    current_period_start: Mapped[int | None] = mapped_column(BigInteger)
    current_period_end: Mapped[int | None] = mapped_column(BigInteger)
    discount_id: Mapped[str | None] = mapped_column(String(255))
    discount_coupon: Mapped[str | None] = mapped_column(String(255))
    discount_end: Mapped[int | None] = mapped_column(BigInteger)
    canceled_at: Mapped[int | None] = mapped_column(BigInteger)
    created: Mapped[int | None] = mapped_column(BigInteger)
    synced_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Invoice(Model):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str | None] = mapped_column(String(32))
    number: Mapped[str | None] = mapped_column(String(64))
    billing_reason: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    subtotal: Mapped[int | None] = mapped_column(Integer)
    total_discount: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer)
    amount_due: Mapped[int | None] = mapped_column(Integer)
    amount_paid: Mapped[int | None] = mapped_column(Integer)
    period_start: Mapped[int | None] = mapped_column(BigInteger)
    period_end: Mapped[int | None] = mapped_column(BigInteger)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(1024))
    created: Mapped[int | None] = mapped_column(BigInteger)
    synced_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class Charge(Model):
    __tablename__ = "charges"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_intent: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[int | None] = mapped_column(Integer)
    amount_refunded: Mapped[int | None] = mapped_column(Integer)
    refunded: Mapped[bool] = mapped_column(default=False)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[int | None] = mapped_column(BigInteger)
    synced_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class PaymentAttempt(Model):
    """A card payment Stripe refused at Moonly's own checkout.

    Subscribing with `payment_behavior=error_if_incomplete` leaves no subscription
    behind when the first payment fails, so Moonly keeps what Stripe answered: the demo
    shows the attempt, and a real product would count them.
    """

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255), index=True)
    lookup_key: Mapped[str | None] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(64))
    decline_code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))
    payment_intent: Mapped[str | None] = mapped_column(String(255))
    charge: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class LocalWebhookEndpoint(Model):
    """Offline only: the webhook endpoint this app registered with the Stripe sandbox,
    and its signing secret (Stripe shows a secret once, when the endpoint is made).

    With real Stripe the secret comes from STRIPE_WEBHOOK_SECRET instead.
    """

    __tablename__ = "local_webhook_endpoints"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
