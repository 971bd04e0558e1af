"""What each Stripe event type does: re-fetch the object it is about and record it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..billing import sync
from ..billing.hosted_checkout import sync_checkout_session

# The ten events Cello's Stripe webhook listens to, plus the invoice and charge events
# that change the same objects.
HANDLERS: dict[str, Callable[[str], Any]] = {
    "checkout.session.completed": sync_checkout_session,
    "customer.created": sync.link_customer,
    "customer.updated": sync.link_customer,
    "customer.deleted": sync.unlink_deleted_customer,
    "customer.subscription.created": sync.sync_subscription,
    "customer.subscription.updated": sync.sync_subscription,
    "customer.subscription.deleted": sync.sync_subscription,
    "customer.subscription.trial_will_end": sync.sync_subscription,
    "invoice.created": sync.sync_invoice,
    "invoice.finalized": sync.sync_invoice,
    "invoice.updated": sync.sync_invoice,
    "invoice.paid": sync.sync_invoice,
    "invoice.payment_succeeded": sync.sync_invoice,
    "invoice.payment_failed": sync.sync_invoice,
    "invoice.voided": sync.sync_invoice,
    "charge.succeeded": sync.sync_charge,
    "charge.failed": sync.sync_charge,
    "charge.updated": sync.sync_charge,
    "charge.refunded": sync.sync_charge,
}


def handle(event: dict[str, Any]) -> None:
    """Apply one event; unknown types are stored and acknowledged, nothing more."""
    handler = HANDLERS.get(event.get("type", ""))
    if handler is not None:
        handler(event["data"]["object"]["id"])
