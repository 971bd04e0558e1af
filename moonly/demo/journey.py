"""What the storefront, Stripe and Cello each hold for one signup."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..accounts.service import normalize_email
from ..billing import stripe_api
from ..extensions import db
from ..timeutil import isoformat
from ..webhooks.models import StripeEvent


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _customer(user: User) -> dict[str, Any]:
    if not user.stripe_customer_id:
        return {"customer": None, "error": user.stripe_customer_error}
    try:
        customer = stripe_api.retrieve_customer(user.stripe_customer_id)
    except stripe_api.StripeError as error:
        return {
            "customer": None,
            "error": f"{type(error).__name__}: {error.user_message or error}",
        }
    return {
        "customer": customer.to_dict(recursive=True, for_json=True),
        "dashboard_url": stripe_api.dashboard_url("customers", customer.id),
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
        "stripe": {**_customer(user), "subscriptions": [], "invoices": []},
        "webhook_events": _webhook_events(user.stripe_customer_id),
        "cello_events": [],
    }
