"""The Stripe customer of each user, with the metadata Cello reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from . import stripe_api

log = logging.getLogger(__name__)


def subscription_metadata(user: User) -> dict[str, str]:
    """The metadata every subscription carries: who it is for and their referral."""
    metadata = {"new_user_id": user.public_id}
    if user.ucc:
        metadata["cello_ucc"] = user.ucc
    return metadata


def customer_metadata(user: User) -> dict[str, str]:
    """The metadata Cello reads from `customer.created` to attribute the signup: the
    subscription's, and the organization credited."""
    metadata = subscription_metadata(user)
    if user.organization_public_id:
        metadata["new_user_organization_id"] = user.organization_public_id
    return metadata


def idempotency_key(user: User) -> str:
    """One key per customer the user should have: after Stripe deleted one, a new key,
    or Stripe would answer the next create with the deleted customer for 24 hours."""
    generation = user.stripe_customers_deleted
    suffix = f"-{generation + 1}" if generation else ""
    return f"moonly-customer-{user.public_id}{suffix}"


def _existing_customer_id(user: User) -> str | None:
    """Find a customer an earlier attempt made even though its answer was lost.

    Stripe keeps idempotency keys for 24 hours; after that, this lookup is what stops a
    late retry from making a second customer.
    """
    for customer in stripe_api.customers_with_email(user.email):
        if (
            customer.metadata
            and customer.metadata.to_dict().get("new_user_id") == user.public_id
        ):
            return customer.id
    return None


def ensure_customer(user: User) -> str | None:
    """Create the user's Stripe customer unless it exists; return its id.

    A Stripe failure never loses the signup: it is recorded on the user, and
    `flask stripe sync-customers` or the next checkout tries again.
    """
    if user.stripe_customer_id:
        return user.stripe_customer_id
    try:
        customer_id = None
        if user.stripe_customer_attempts:
            customer_id = _existing_customer_id(user)
        if customer_id is None:
            customer_id = stripe_api.create_customer(
                email=user.email,
                name=user.name,
                metadata=customer_metadata(user),
                idempotency_key=idempotency_key(user),
            ).id
    except stripe_api.StripeError as error:
        user.stripe_customer_attempts += 1
        user.stripe_customer_error = (
            f"{type(error).__name__}: {error.user_message or error}"
        )
        db.session.commit()
        log.warning(
            "Stripe customer for %s not created: %s",
            user.public_id,
            type(error).__name__,
        )
        return None
    user.stripe_customer_attempts += 1
    user.stripe_customer_id = customer_id
    user.stripe_customer_error = None
    db.session.commit()
    return customer_id


@dataclass
class SyncReport:
    created: int = 0
    failed: int = 0


def sync_customers() -> SyncReport:
    """Retry every user whose Stripe customer is still missing."""
    report = SyncReport()
    pending = db.session.scalars(
        select(User).where(User.stripe_customer_id.is_(None)).order_by(User.id)
    ).all()
    for user in pending:
        if ensure_customer(user):
            report.created += 1
        else:
            report.failed += 1
    return report
