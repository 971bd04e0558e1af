"""What the storefront, Stripe and Cello each hold for one signup."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..accounts.service import normalize_email
from ..billing import stripe_api
from ..cello import api as cello_api
from ..cello.models import CelloEvent
from ..extensions import db
from ..timeutil import isoformat
from ..webhooks.models import StripeEvent


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _stripe(user: User) -> dict[str, Any]:
    """The customer, subscriptions and invoices as Stripe returns them now."""
    empty: dict[str, Any] = {"customer": None, "subscriptions": [], "invoices": []}
    if not user.stripe_customer_id:
        return {**empty, "error": user.stripe_customer_error}
    customer_id = user.stripe_customer_id
    try:
        customer = stripe_api.retrieve_customer(customer_id)
        subscriptions = stripe_api.list_subscriptions(customer_id)
        invoices = stripe_api.list_invoices(customer_id)
    except stripe_api.StripeError as error:
        message = f"{type(error).__name__}: {error.user_message or error}"
        return {**empty, "error": message}
    return {
        "customer": customer.to_dict(recursive=True, for_json=True),
        "subscriptions": [
            s.to_dict(recursive=True, for_json=True) for s in subscriptions
        ],
        "invoices": [i.to_dict(recursive=True, for_json=True) for i in invoices],
        "dashboard_url": stripe_api.dashboard_url("customers", customer_id),
        "error": None,
    }


def _webhook_events(customer_id: str | None) -> list[dict[str, Any]]:
    if not customer_id:
        return []
    events = db.session.scalars(
        select(StripeEvent)
        .where(StripeEvent.customer_id == customer_id)
        .order_by(StripeEvent.received_at)
    )
    return [
        {
            "id": e.id,
            "type": e.type,
            "received_at": isoformat(e.received_at),
            "processed_at": isoformat(e.processed_at),
            "error": e.error,
        }
        for e in events
    ]


def _cello_events(user: User) -> list[dict[str, Any]]:
    """Each queued Cello event, and the exact request that is (or would be) sent."""
    events = db.session.scalars(
        select(CelloEvent).where(CelloEvent.user_id == user.id).order_by(CelloEvent.id)
    )
    url = cello_api.base_url() + "/events"
    return [
        {
            "id": e.id,
            "trigger": e.trigger,
            "status": e.status,
            "attempts": e.attempts,
            "last_status": e.last_status,
            "last_error": e.last_error,
            "created_at": isoformat(e.created_at),
            "sent_at": isoformat(e.sent_at),
            "body": e.body,
            "request": {
                "method": "POST",
                "url": url,
                "headers": {
                    "Authorization": "Bearer <access token from POST /token>",
                    "Content-Type": "application/json",
                    "Idempotency-Key": e.key,
                },
                "body": e.body,
            },
        }
        for e in events
    ]


def journey(user: User) -> dict[str, Any]:
    return {
        "user": {
            "id": user.public_id,
            "email": user.email,
            "name": user.name,
            "organization_id": user.organization_public_id,
            "ucc": user.ucc,
            "ucc_source": user.ucc_source,
            "created_at": isoformat(user.created_at),
        },
        "stripe": _stripe(user),
        "webhook_events": _webhook_events(user.stripe_customer_id),
        "cello_events": _cello_events(user),
    }
