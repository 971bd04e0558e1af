"""Verify, store once, and process a Stripe webhook delivery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..timeutil import utcnow
from .models import StripeEvent


class WebhookRejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Receipt:
    event_id: str
    duplicate: bool


def _customer_of(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "customer":
        return obj.get("id")
    customer = obj.get("customer")
    return customer if isinstance(customer, str) else None


def receive(payload: bytes, signature: str | None) -> Receipt:
    """Check the signature before reading the body; store the event exactly once."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise WebhookRejected(
            503,
            "STRIPE_WEBHOOK_SECRET is not set: unverified events are never accepted.",
        )
    if not signature:
        raise WebhookRejected(400, "Missing Stripe-Signature header.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, 300
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        raise WebhookRejected(
            400, "Invalid signature or timestamp outside tolerance."
        ) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise WebhookRejected(400, "The body is not a Stripe event.")
    obj = (event.get("data") or {}).get("object") or {}
    now = utcnow()
    db.session.add(
        StripeEvent(
            id=event["id"],
            type=str(event.get("type", "")),
            payload=event,
            customer_id=_customer_of(obj) if isinstance(obj, dict) else None,
            received_at=now,
            # Handlers for each event type arrive with checkout; storing is the processing.
            processed_at=now,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Receipt(event["id"], duplicate=True)
    return Receipt(event["id"], duplicate=False)
