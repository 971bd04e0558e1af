"""Stripe's customer portal: the configuration Moonly keeps, and a session to open it.

Customers switch between the plans (with prorations), cancel at the end of the period,
update their card and see their invoices there. Every change comes back by webhook and
is recorded from the re-fetched objects, like any other change (see `sync.py`).
"""

from __future__ import annotations

from collections import defaultdict

import stripe

from ..accounts.models import User
from . import stripe_api
from .catalog import PLAN_BY_LOOKUP_KEY

MARK = {"moonly": "portal"}


def _params() -> stripe.params.billing_portal.ConfigurationCreateParams:
    prices = stripe_api.prices_by_lookup_key(list(PLAN_BY_LOOKUP_KEY))
    by_product: dict[str, list[str]] = defaultdict(list)
    for price in prices.values():
        product = price.product if isinstance(price.product, str) else price.product.id
        by_product[product].append(price.id)
    return {
        "business_profile": {"headline": "Moonly: manage your plan and billing"},
        "features": {
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price"],
                "products": [
                    {"product": product, "prices": sorted(ids)}
                    for product, ids in sorted(by_product.items())
                ],
                "proration_behavior": "create_prorations",
            },
            "subscription_cancel": {
                "enabled": True,
                "mode": "at_period_end",
                "proration_behavior": "none",
            },
            "payment_method_update": {"enabled": True},
            "invoice_history": {"enabled": True},
        },
        "metadata": MARK,
    }


def moonly_configuration() -> stripe.billing_portal.Configuration | None:
    for configuration in stripe_api.portal_configurations():
        if configuration.metadata and configuration.metadata.to_dict() == MARK:
            return configuration
    return None


def _covers(actual: object, wanted: object) -> bool:
    """Whether Stripe's object already holds every value asked for (it adds more)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            _covers(actual.get(key), value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(_covers(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return actual == wanted


def ensure_configuration() -> str:
    """Create the portal configuration, or update it when it differs (safe to re-run);
    say which."""
    existing = moonly_configuration()
    params = _params()
    if existing is not None and _covers(
        existing.to_dict(), {key: params.get(key) for key in _COMPARED}
    ):
        return f"exists   customer portal configuration ({existing.id})"
    saved = stripe_api.save_portal_configuration(
        existing.id if existing else None, params
    )
    verb = "updated" if existing else "created"
    return f"{verb}  customer portal configuration ({saved.id})"


# What an update would change (save_portal_configuration sends these).
_COMPARED = ("features", "business_profile", "metadata")


def session_url(user: User, return_url: str) -> str | None:
    """A portal session for the user's customer; None when they have none yet."""
    if not user.stripe_customer_id:
        return None
    configuration = moonly_configuration()
    session = stripe_api.create_portal_session(
        user.stripe_customer_id, return_url, configuration.id if configuration else None
    )
    return session.url
