"""What Cello's own Stripe webhook receives for a customer, and the fields it reads."""

from __future__ import annotations

from sqlalchemy import select

from ..billing.events import StripeEvent
from ..cello.stripe_webhook import CELLO_EVENTS
from ..extensions import db
from ..timeutil import isoformat
from .journey_data import CelloField, CelloViewEvent

# What Cello's own Stripe webhook receives, and the fields it reads from each event.
CELLO_READS = {
    "customer": [
        ("metadata.cello_ucc", "the referral code Cello attributes the signup to"),
        ("metadata.new_user_id", "the new user; Cello's productUserId"),
        ("metadata.new_user_organization_id", "the organization credited, if any"),
        ("email", "shown in Cello's portal"),
    ],
    "subscription": [
        ("metadata.cello_ucc", "the referral code on the subscription"),
        ("discounts", "the new-user discount on the first subscription"),
        ("status", "whether the referral became a paying customer"),
    ],
    "invoice": [
        ("amount_paid", "what the referrer's reward is based on"),
        ("subtotal", "the price before the discount"),
        ("total_discount_amounts", "the new-user discount on this invoice"),
        ("customer", "whose referral this is"),
    ],
    "charge": [
        ("amount", "the payment"),
        ("amount_refunded", "refunds reduce the reward"),
        ("customer", "whose referral this is"),
    ],
}


NOTES = {
    "incomplete": "Stripe creates a subscription as incomplete until its first invoice "
    "is paid; the customer.subscription.updated that follows carries status active.",
    "trialing": "A free trial: no payment yet, so no reward until the first paid "
    "invoice.",
}


def _lookup(obj: object, path: str) -> tuple[bool, object]:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return False, None
        obj = obj[part]
    return True, obj


def cello_view(customer_id: str | None) -> list[CelloViewEvent]:
    """The Stripe events Cello's webhook also receives for this customer."""
    if not customer_id:
        return []
    events = db.session.scalars(
        select(StripeEvent)
        .where(
            StripeEvent.customer_id == customer_id, StripeEvent.type.in_(CELLO_EVENTS)
        )
        .order_by(StripeEvent.received_at)
    )
    view: list[CelloViewEvent] = []
    for event in events:
        obj = event.payload["data"]["object"]
        fields: list[CelloField] = []
        for path, why in CELLO_READS.get(obj.get("object", ""), []):
            found, value = _lookup(obj, path)
            if found:
                fields.append(
                    {"path": f"data.object.{path}", "value": value, "why": why}
                )
        note = None
        if event.type == "customer.subscription.created" and obj.get("status") in (
            "incomplete",
            "trialing",
        ):
            note = NOTES[obj["status"]]
        view.append(
            {
                "event_id": event.id,
                "note": note,
                "type": event.type,
                "received_at": isoformat(event.received_at),
                "fields": fields,
            }
        )
    return view
