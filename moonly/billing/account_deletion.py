"""Deleting an account: personal data goes at once; the Stripe customer follows.

The user's name, email, password and organization name are replaced at once and the user
is logged out, so nothing personal stays even when Stripe cannot be reached. What
accounting must keep stays: Moonly's records of subscriptions, invoices and charges
(they
hold ids and amounts, no personal data), and Stripe keeps its invoices.

The Stripe customer is then deleted, which cancels its subscriptions and sends Cello's
webhook `customer.deleted`. When Stripe fails, the deletion stays pending (`deleted_at`
set, `deletion_finished_at` not) and `flask stripe finish-deletions` completes it. The
customer's id stays on the user as history (the demo journey shows the deletion).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import stripe
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..accounts.models import User
from ..extensions import db
from ..timeutil import utcnow
from . import stripe_api

log = logging.getLogger(__name__)

DELETED_NAME = "Deleted user"


def anonymize(user: User) -> None:
    """Replace the user's personal data; keep the ids records and Cello refer to."""
    user.deleted_at = utcnow()
    # The public id as it is: lowercased, two ids could meet in the unique column.
    user.email = f"deleted-{user.public_id}@deleted.invalid"
    user.name = DELETED_NAME
    # Nobody knows this password: the account can never be logged into again.
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    organization = user.organization
    if organization is not None:
        members = db.session.scalar(
            select(func.count()).where(User.organization_id == organization.id)
        )
        if members == 1:
            organization.name = "Deleted organization"


def delete_stripe_customer(user: User) -> bool:
    """Delete the user's Stripe customer; True when it is gone (or never existed)."""
    customer_id = user.stripe_customer_id
    if not customer_id:
        return True
    try:
        stripe_api.delete_customer(customer_id)
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:  # 404: already deleted, by an earlier attempt
            log.warning("Stripe refused to delete %s: %s", customer_id, error.code)
            return False
    except stripe_api.StripeError as error:
        log.warning(
            "Stripe customer %s not deleted yet: %s", customer_id, type(error).__name__
        )
        return False
    return True


def delete_account(user: User) -> bool:
    """Delete the account; True when Stripe's side is done too, False when pending."""
    anonymize(user)
    db.session.commit()
    return _finish(user)


def _finish(user: User) -> bool:
    if not delete_stripe_customer(user):
        return False
    user.deletion_finished_at = utcnow()
    db.session.commit()
    return True


@dataclass
class FinishReport:
    done: int = 0
    pending: int = 0


def finish_pending_deletions() -> FinishReport:
    """Delete the Stripe customers of deleted accounts that Stripe could not delete."""
    report = FinishReport()
    users = db.session.scalars(
        select(User).where(
            User.deleted_at.is_not(None), User.deletion_finished_at.is_(None)
        )
    ).all()
    for user in users:
        if _finish(user):
            report.done += 1
        else:
            report.pending += 1
    return report
