"""Verify, store once, and process a Stripe webhook delivery in one transaction."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..billing import local_webhooks
from ..extensions import db
from ..timeutil import utcnow
from . import handlers
from .models import StripeEvent

log = logging.getLogger(__name__)
TOLERANCE = 300  # seconds; Stripe's own default


class WebhookRejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Receipt:
    event_id: str
    duplicate: bool


def signing_secrets() -> list[str]:
    """STRIPE_WEBHOOK_SECRET, and offline the secrets of the endpoints this app
    registered with the Stripe sandbox."""
    configured = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    return ([configured] if configured else []) + local_webhooks.secrets()


def _verified(text: str, signature: str, secrets: list[str]) -> bool:
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE)
        except stripe.SignatureVerificationError:
            continue
        return True
    return False


def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Check the signature before reading the body; return the event."""
    secrets = signing_secrets()
    if not secrets:
        raise WebhookRejected(
            503,
            "STRIPE_WEBHOOK_SECRET is not set: unverified events are never accepted.",
        )
    if not signature:
        raise WebhookRejected(400, "Missing Stripe-Signature header.")
    try:
        if not _verified(payload.decode("utf-8"), signature, secrets):
            raise ValueError("no secret matches")
        event = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(
            400, "Invalid signature or timestamp outside tolerance."
        ) from None
    obj = event.get("data", {}).get("object") if isinstance(event, dict) else None
    if not isinstance(event.get("id"), str) or not isinstance(obj, dict):
        raise WebhookRejected(400, "The body is not a Stripe event.")
    return event


def _customer_of(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "customer":
        return obj.get("id")
    customer = obj.get("customer")
    return customer if isinstance(customer, str) else None


def receive(payload: bytes, signature: str | None) -> Receipt:
    """Verify the delivery, then store and process its event exactly once."""
    event = verify(payload, signature)
    return process(event)


def process(event: dict[str, Any]) -> Receipt:
    """Store the event and apply it in one transaction; a repeat does nothing.

    A failure is recorded on the stored event and re-raised as a 500, so that Stripe
    (or `flask stripe reprocess-failed`) tries again.
    """
    event_id = event["id"]
    stored = db.session.get(StripeEvent, event_id)
    if stored is not None and stored.processed_at is not None:
        return Receipt(event_id, duplicate=True)
    try:
        if stored is None:
            stored = StripeEvent(
                id=event_id,
                type=str(event.get("type", "")),
                payload=event,
                customer_id=_customer_of(event["data"]["object"]),
                received_at=utcnow(),
            )
            db.session.add(stored)
            # A concurrent delivery of the same event waits here, then fails the key.
            db.session.flush()
        else:
            stored = db.session.scalars(
                select(StripeEvent)
                .where(StripeEvent.id == event_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            if stored.processed_at is not None:
                db.session.rollback()
                return Receipt(event_id, duplicate=True)
        handlers.handle(event)
        stored.processed_at = utcnow()
        stored.error = None
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        again = db.session.get(StripeEvent, event_id)
        if again is not None and again.processed_at is not None:
            return Receipt(event_id, duplicate=True)
        raise WebhookRejected(
            409, "This event is being processed; retry later."
        ) from None
    except Exception as error:
        db.session.rollback()
        _record_failure(event, error)
        log.warning("Stripe event %s failed: %s", event_id, type(error).__name__)
        raise WebhookRejected(
            500, "Processing failed; the event is kept for a retry."
        ) from error
    return Receipt(event_id, duplicate=False)


def _record_failure(event: dict[str, Any], error: Exception) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    stored = db.session.get(StripeEvent, event["id"])
    if stored is None:
        stored = StripeEvent(
            id=event["id"],
            type=str(event.get("type", "")),
            payload=event,
            customer_id=_customer_of(event["data"]["object"]),
            received_at=utcnow(),
        )
        db.session.add(stored)
    stored.error = message
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent delivery stored it meanwhile
        db.session.rollback()


def reprocess_failed() -> tuple[int, int]:
    """Re-run every stored event whose processing failed; return (done, failed)."""
    done = failed = 0
    pending = db.session.scalars(
        select(StripeEvent.id)
        .where(StripeEvent.processed_at.is_(None))
        .order_by(StripeEvent.received_at)
    ).all()
    for event_id in pending:
        stored = db.session.get(StripeEvent, event_id)
        assert stored is not None
        try:
            process(stored.payload)
            done += 1
        except WebhookRejected:
            failed += 1
    return done, failed
