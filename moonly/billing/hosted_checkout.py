"""Paying on Stripe's own Checkout page: the session Moonly opens, and what it records.

The customer exists before the session (with Cello's metadata, from signup or made now),
so Cello's webhook sees `customer.created` with the metadata before any subscription.
The
session carries the new-user coupon for a referred user's first plan, and the
subscription's metadata names the referral, exactly as the direct path does.
"""

from __future__ import annotations

import logging
import re

import stripe
from flask import current_app

from ..accounts.models import User
from ..extensions import db
from . import stripe_api
from .catalog import NEW_USER_COUPON_ID, CatalogPrice
from .checkout import (
    UNREACHABLE,
    AlreadySubscribed,
    CheckoutError,
    checkout_customer,
    offer_for,
)
from .customers import subscription_metadata
from .models import ACTIVE_STATUSES
from .sync import sync_invoice, sync_subscription

log = logging.getLogger(__name__)
SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")


def open_session(
    user: User, price: CatalogPrice, attempt: str, success_url: str, cancel_url: str
) -> str:
    """Open a Checkout Session for the plan; return the URL of Stripe's page.

    An unpaid earlier session of the user is expired first, so two open sessions can
    never both be paid; the attempt id makes a double submit one session.
    """
    customer_id = checkout_customer(user)
    try:
        earlier = stripe_api.list_subscriptions(customer_id)
        if any(s.status in ACTIVE_STATUSES for s in earlier):
            # Stripe has a plan Moonly has not recorded yet (a webhook lagging).
            for known in earlier:
                sync_subscription(known.id)
            db.session.commit()
            raise AlreadySubscribed()
        for stale in stripe_api.open_checkout_sessions(customer_id):
            stripe_api.expire_checkout_session(stale.id)
        eligible = offer_for(user) is not None and not earlier
        session = stripe_api.create_checkout_session(
            customer_id=customer_id,
            price_id=price.id,
            client_reference_id=user.public_id,
            subscription_metadata=subscription_metadata(user),
            coupon_id=NEW_USER_COUPON_ID if eligible else None,
            trial_days=int(current_app.config["MOONLY_TRIAL_DAYS"]),
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=f"moonly-hosted-{user.public_id}-{attempt}",
        )
    except stripe.InvalidRequestError as error:
        db.session.rollback()
        log.warning("Stripe refused a Checkout Session: %s", error.code)
        raise CheckoutError(
            "Stripe refused to open this checkout, so nothing was charged: "
            f"{error.user_message or 'invalid request'}"
        ) from None
    except stripe.StripeError:
        db.session.rollback()
        raise CheckoutError(UNREACHABLE["before"]) from None
    if not session.url:
        raise CheckoutError(UNREACHABLE["before"])
    return session.url


def finished_session(user: User, session_id: str) -> stripe.checkout.Session | None:
    """The user's session as Stripe holds it (None when it is not theirs), with its
    subscription and invoice recorded if it was paid: this page or the
    `checkout.session.completed` webhook, whichever comes first, records them."""
    if not SESSION_ID.match(session_id or ""):
        return None
    session = stripe_api.unless_gone(stripe_api.retrieve_checkout_session, session_id)
    if session is None or session.client_reference_id != user.public_id:
        return None
    record(session)
    db.session.commit()
    return session


def record(session: stripe.checkout.Session) -> None:
    """Record a completed session's subscription and invoice (idempotent)."""
    if session.status != "complete":
        return
    subscription = session.subscription
    if subscription:
        sync_subscription(
            subscription if isinstance(subscription, str) else subscription.id
        )
    invoice = session.invoice
    if invoice:
        sync_invoice(invoice if isinstance(invoice, str) else invoice.id)


def sync_checkout_session(session_id: str) -> None:
    """`checkout.session.completed`: record what the session made."""
    record(stripe_api.retrieve_checkout_session(session_id))
