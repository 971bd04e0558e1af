"""Subscribing a user: the quote they see, and the one function that starts a plan."""

from __future__ import annotations

import math
from dataclasses import dataclass

import stripe
from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from . import stripe_api
from .catalog import NEW_USER_COUPON_ID, CatalogPrice, Offer, money, new_user_offer
from .customers import ensure_customer, subscription_metadata
from .models import ACTIVE_STATUSES, PaymentAttempt, Subscription
from .sync import sync_invoice, sync_subscription

# Stripe's server-side test payment methods, with what Stripe documents they do.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "Visa 4242 — succeeds",
    "pm_card_mastercard": "Mastercard 4444 — succeeds",
    "pm_card_chargeDeclined": "Visa 0002 — declined",
    "pm_card_chargeDeclinedInsufficientFunds": "Visa 9995 — insufficient funds",
    "pm_card_chargeCustomerFail": "Visa 0341 — attaches, then the charge fails",
    "pm_card_authenticationRequired": "Visa 3184 — needs 3-D Secure",
}
MONTHS = {"month": 1, "year": 12}
# Subscription metadata naming the checkout attempt that made it.
ATTEMPT_KEY = "moonly_checkout_attempt"


def discounted(cents: int, percent_off: float) -> int:
    """The amount after a percentage coupon; Stripe rounds the discount half up."""
    return cents - int(math.floor(cents * percent_off / 100 + 0.5))


@dataclass(frozen=True)
class Quote:
    interval: str
    regular: int
    first: int
    percent_off: float | None
    discounted_periods: int

    @property
    def discounted(self) -> bool:
        return self.discounted_periods > 0 and self.first != self.regular

    @property
    def summary(self) -> str:
        """What the user pays, e.g. "$9.60/month for 3 months, then $12.00/month"."""
        regular = f"{money(self.regular)}/{self.interval}"
        if not self.discounted:
            return regular
        periods = self.discounted_periods
        span = f"{periods} {self.interval}{'s' if periods > 1 else ''}"
        if self.interval == "year" and periods == 1:
            span = "the first year"
        return f"{money(self.first)}/{self.interval} for {span}, then {regular}"


def quote(price: CatalogPrice, offer: Offer | None) -> Quote:
    """What a price costs, with the new-user offer when one applies."""
    if offer is None:
        return Quote(price.interval, price.unit_amount, price.unit_amount, None, 0)
    if offer.duration == "forever":
        periods = 10**6
    elif offer.duration == "once" or not offer.duration_in_months:
        periods = 1
    else:  # a repeating coupon covers every invoice that starts within its months
        periods = math.ceil(offer.duration_in_months / MONTHS.get(price.interval, 1))
    return Quote(
        price.interval,
        price.unit_amount,
        discounted(price.unit_amount, offer.percent_off),
        offer.percent_off,
        periods,
    )


def active_subscription(user: User) -> Subscription | None:
    if not user.stripe_customer_id:
        return None
    return db.session.scalar(
        select(Subscription)
        .where(
            Subscription.customer_id == user.stripe_customer_id,
            Subscription.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Subscription.created.desc())
    )


def offer_for(user: User) -> Offer | None:
    """The new-user offer, for a referred user who never subscribed before."""
    if not user.ucc:
        return None
    if user.stripe_customer_id and db.session.scalar(
        select(Subscription.id).where(
            Subscription.customer_id == user.stripe_customer_id
        )
    ):
        return None
    return new_user_offer()


# What a Stripe outage means for the user, by how far the checkout got. Trying again is
# always safe: a plan that did start is found, not charged twice.
UNREACHABLE = {
    "before": "Stripe could not be reached, so nothing was charged. Please try again.",
    "during": (
        "Stripe did not answer in time, so we cannot tell yet whether your plan "
        "started. "
        "Try again: if it did, Moonly finds it instead of charging you twice."
    ),
    "after": (
        "Your plan started, but Moonly could not record it yet. Open your account page "
        "in a moment to see it."
    ),
}


class CheckoutError(Exception):
    """A payment that did not go through; the message is safe to show."""


class CardRefused(CheckoutError):
    """The card itself was refused (declined, or it needs 3-D Secure): pick another."""


class AlreadySubscribed(Exception):
    pass


def _card_message(error: stripe.CardError) -> str:
    if error.code == "subscription_payment_intent_requires_action":
        return (
            "Your bank asks to confirm this payment with 3-D Secure, which this demo "
            "does not show. Nothing was charged: try another card."
        )
    declined = error.user_message or "Your card was declined."
    return f"{declined} Nothing was charged: try another card."


def _id(value: object) -> str | None:
    """An id, whether Stripe sent the id or the whole object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _record_refusal(customer_id: str, lookup_key: str, error: stripe.CardError) -> None:
    """Keep what Stripe said about a refused card (no subscription is left to show
    it)."""
    json_body = error.json_body if isinstance(error.json_body, dict) else {}
    body = json_body.get("error") or {}
    db.session.add(
        PaymentAttempt(
            customer_id=customer_id,
            lookup_key=lookup_key,
            code=error.code,
            decline_code=body.get("decline_code"),
            message=(error.user_message or "The card was refused.")[:500],
            payment_intent=_id(body.get("payment_intent")),
            charge=_id(body.get("charge")),
        )
    )
    db.session.commit()


def checkout_customer(user: User) -> str:
    """The customer a checkout bills: the user's, with Cello's metadata, created now if
    signup could not. Refuses a user who already has a plan."""
    if active_subscription(user) is not None:
        raise AlreadySubscribed()
    customer_id = ensure_customer(user)
    if customer_id is None:
        raise CheckoutError(
            "We could not reach Stripe to set up your billing. Nothing was charged: "
            "please try again in a moment."
        )
    return customer_id


def start_subscription(
    user: User, price: CatalogPrice, payment_method: str, attempt: str
) -> Subscription:
    """Subscribe the user with one of Stripe's test payment methods.

    Ensures the customer (with Cello's metadata), attaches the payment method, and
    creates the subscription with the new-user coupon for a referred user's first
    plan. The attempt id makes a double submit one subscription (idempotency keys).
    """
    customer_id = checkout_customer(user)
    key = f"moonly-checkout-{user.public_id}-{attempt}"
    stage = "before"  # what a failure can tell the user: before, during or after Stripe
    try:
        earlier = stripe_api.list_subscriptions(customer_id)
        # A resubmitted attempt whose first answer was lost: that subscription is ours.
        subscription = next(
            (
                s
                for s in earlier
                if s.metadata and s.metadata.to_dict().get(ATTEMPT_KEY) == attempt
            ),
            None,
        )
        if subscription is None and any(s.status in ACTIVE_STATUSES for s in earlier):
            # Stripe has a plan Moonly has not recorded yet (a webhook or commit
            # lagging).
            for known in earlier:
                sync_subscription(known.id)
            db.session.commit()
            raise AlreadySubscribed()
        if subscription is None:
            eligible = offer_for(user) is not None and not earlier
            method = stripe_api.attach_payment_method(
                payment_method, customer_id=customer_id, idempotency_key=f"{key}-pm"
            )
            metadata = {**subscription_metadata(user), ATTEMPT_KEY: attempt}
            stage = "during"
            subscription = stripe_api.create_subscription(
                customer_id=customer_id,
                price_id=price.id,
                payment_method_id=method.id,
                metadata=metadata,
                coupon_id=NEW_USER_COUPON_ID if eligible else None,
                idempotency_key=f"{key}-subscription",
                trial_days=int(current_app.config["MOONLY_TRIAL_DAYS"]),
            )
        stage = "after"
        row = sync_subscription(subscription.id)
        if subscription.latest_invoice:
            invoice = subscription.latest_invoice
            sync_invoice(invoice if isinstance(invoice, str) else invoice.id)
        db.session.commit()
    except stripe.CardError as error:
        db.session.rollback()
        _record_refusal(customer_id, price.lookup_key, error)
        raise CardRefused(_card_message(error)) from None
    except stripe.IdempotencyError:
        db.session.rollback()
        raise CheckoutError(
            "This checkout was already sent with other details. Reload the page and "
            "try again."
        ) from None
    except stripe.StripeError:
        db.session.rollback()
        raise CheckoutError(UNREACHABLE[stage]) from None
    assert row is not None
    return row


def cancel_at_period_end(user: User) -> Subscription | None:
    """Ask Stripe to end the user's plan when the paid period ends."""
    current = active_subscription(user)
    if current is None:
        return None
    try:
        stripe_api.cancel_at_period_end(current.id)
        row = sync_subscription(current.id)
        db.session.commit()
    except stripe.StripeError:
        db.session.rollback()
        raise CheckoutError(
            "Stripe could not be reached. Nothing changed; try again."
        ) from None
    return row
