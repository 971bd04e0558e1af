"""What the storefront, Stripe and Cello each hold for one signup."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import User
from ..accounts.service import normalize_email
from ..billing import stripe_api
from ..billing.events import StripeEvent
from ..billing.models import Subscription
from ..cello import api as cello_api
from ..cello.models import CelloEvent
from ..extensions import db
from ..timeutil import isoformat
from .actions import available
from .cello_view import cello_view
from .journey_data import (
    CelloEventLine,
    Journey,
    JourneyFacts,
    JourneySummary,
    StripeState,
    WebhookEventLine,
)
from .timeline import timeline


def find_user(*, email: str | None = None, user_id: str | None = None) -> User | None:
    """The user by email or by public id (`usr_…`)."""
    if user_id:
        return db.session.scalar(select(User).where(User.public_id == user_id))
    if email:
        return db.session.scalar(
            select(User).where(User.email == normalize_email(email))
        )
    return None


def _no_stripe(error: str | None) -> StripeState:
    return {
        "customer": None,
        "subscriptions": [],
        "invoices": [],
        "checkout_sessions": [],
        "charges": [],
        "error": error,
    }


def _stripe(user: User) -> StripeState:
    """The customer, subscriptions and invoices as Stripe returns them now."""
    if not user.stripe_customer_id:
        return _no_stripe(user.stripe_customer_error)
    customer_id = user.stripe_customer_id
    try:
        customer = stripe_api.retrieve_customer(customer_id)
        subscriptions = stripe_api.list_subscriptions(customer_id)
        invoices = stripe_api.list_invoices(customer_id)
        sessions = stripe_api.list_checkout_sessions(customer_id)
        charges = stripe_api.list_charges(customer_id)
    except stripe_api.StripeError as error:
        message = f"{type(error).__name__}: {error.user_message or error}"
        return _no_stripe(message)
    return {
        "customer": customer.to_dict(recursive=True, for_json=True),
        "subscriptions": [
            s.to_dict(recursive=True, for_json=True) for s in subscriptions
        ],
        "invoices": [i.to_dict(recursive=True, for_json=True) for i in invoices],
        "checkout_sessions": [
            s.to_dict(recursive=True, for_json=True) for s in sessions
        ],
        "charges": [c.to_dict(recursive=True, for_json=True) for c in charges],
        "dashboard_url": stripe_api.dashboard_url("customers", customer_id),
        "error": None,
    }


def _webhook_events(customer_id: str | None) -> list[WebhookEventLine]:
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
            "object_id": ((e.payload.get("data") or {}).get("object") or {}).get("id"),
            "received_at": isoformat(e.received_at),
            "processed_at": isoformat(e.processed_at),
            "error": e.error,
        }
        for e in events
    ]


def _cello_events(user: User) -> list[CelloEventLine]:
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


def journey(user: User) -> Journey:
    """Everything the demo shows for one signup; the console renders exactly this."""
    facts: JourneyFacts = {
        "user": {
            "id": user.public_id,
            "email": user.email,
            "name": user.name,
            "organization_id": user.organization_public_id,
            "ucc": user.ucc,
            "ucc_source": user.ucc_source,
            "referrer_name": (
                user.invite_visit.referrer_name if user.invite_visit else None
            ),
            "replaced_ucc": (
                user.invite_visit.replaced_ucc if user.invite_visit else None
            ),
            "created_at": isoformat(user.created_at),
            "deleted_at": isoformat(user.deleted_at),
        },
        "flow": current_app.config["MOONLY_REFERRAL_FLOW"],
        "sandbox": stripe_api.is_sandbox(),
        "stripe": _stripe(user),
        "webhook_events": _webhook_events(user.stripe_customer_id),
        "cello_events": _cello_events(user),
    }
    actions = available(facts)
    return {
        **facts,
        "actions": [action.as_json() for action in actions],
        "timeline": timeline(user, facts, actions),
        "cello_view": cello_view(user.stripe_customer_id),
    }


def journeys(limit: int = 100) -> list[JourneySummary]:
    """Every signup, newest first, with how far its journey got."""
    users = db.session.scalars(select(User).order_by(User.id.desc()).limit(limit)).all()
    customer_ids = [u.stripe_customer_id for u in users if u.stripe_customer_id]
    webhooks = dict(
        db.session.execute(
            select(StripeEvent.customer_id, func.count())
            .where(StripeEvent.customer_id.in_(customer_ids))
            .group_by(StripeEvent.customer_id)
        ).all()
    )
    cello = dict(
        db.session.execute(
            select(CelloEvent.user_id, func.count())
            .where(CelloEvent.user_id.in_([u.id for u in users]))
            .group_by(CelloEvent.user_id)
        ).all()
    )
    statuses: dict[str, str | None] = {}
    for row in db.session.scalars(
        select(Subscription)
        .where(Subscription.customer_id.in_(customer_ids))
        .order_by(Subscription.created)
    ):
        statuses[row.customer_id or ""] = row.status  # the newest wins
    return [
        {
            "user_id": u.public_id,
            "email": u.email,
            "name": u.name,
            "created_at": isoformat(u.created_at),
            "ucc": u.ucc,
            "ucc_source": u.ucc_source,
            "flow": current_app.config["MOONLY_REFERRAL_FLOW"],
            "customer_id": u.stripe_customer_id,
            "subscription_status": statuses.get(u.stripe_customer_id or ""),
            "webhook_events": webhooks.get(u.stripe_customer_id, 0),
            "cello_events": cello.get(u.id, 0),
        }
        for u in users
    ]
