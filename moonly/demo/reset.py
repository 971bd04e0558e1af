"""Offline only: start a demo from scratch, storefront and Stripe sandbox alike."""

from __future__ import annotations

from sqlalchemy import delete

from .. import caching
from ..accounts.models import InviteVisit, Organization, User
from ..billing import catalog, local_webhooks, portal, stripe_api
from ..billing.events import StripeEvent
from ..billing.models import Charge, Invoice, PaymentAttempt, Subscription
from ..cello.models import CelloEvent
from ..extensions import db

# Children before parents, so foreign keys hold at every step.
TABLES = (
    CelloEvent,
    User,
    Organization,
    InviteVisit,
    Subscription,
    Invoice,
    Charge,
    PaymentAttempt,
    StripeEvent,
)


def reset_demo_data() -> list[str]:
    """Delete every signup and event, empty the sandbox, and recreate the catalog."""
    for model in TABLES:
        db.session.execute(delete(model))
    db.session.commit()
    stripe_api.reset_sandbox()
    local_webhooks.forget()
    caching.clear()
    lines = catalog.bootstrap()
    lines.append(portal.ensure_configuration())
    lines.append(local_webhooks.ensure_endpoint(local_webhooks.served_url()))
    return lines
