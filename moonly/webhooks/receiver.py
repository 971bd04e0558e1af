"""Verify, store once, and process a Stripe webhook delivery in one transaction."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, cast

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from ..billing import local_webhooks
from ..billing.events import StripeEvent
from ..extensions import db
from ..timeutil import utcnow
from . import handlers, shape

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


def _signed_at(signature: str) -> int:
    """The `t=` of a header that verify_header accepted (parsed as Stripe's SDK
    does)."""
    items = [item.split("=", 2) for item in signature.split(",")]
    return int([item[1] for item in items if item[0] == "t"][0])


def _verified(text: str, signature: str, secrets: list[str]) -> bool:
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE)
        except stripe.SignatureVerificationError:
            continue
        return True
    return False


def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Check the signature and its age (both ways), then the event's shape."""
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
        # Stripe's SDK only refuses old timestamps; one from the future is as stale.
        if _signed_at(signature) > time.time() + TOLERANCE:
            raise ValueError("signed in the future")
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(
            400, "Invalid signature or timestamp outside tolerance."
        ) from None
    try:
        event = shape.parse(payload)
    except ValueError:
        raise WebhookRejected(400, "The body is not valid JSON.") from None
    problem = shape.problem(event)
    if problem is not None:
        _record_rejection(event, problem)
        raise WebhookRejected(400, problem)
    return cast(dict[str, Any], event)


def _customer_of(obj: dict[str, Any]) -> str | None:
    customer = obj.get("id") if obj.get("object") == "customer" else obj.get("customer")
    return customer if shape.storable_id(customer) else None


def _add_row(event: dict[str, Any]) -> StripeEvent:
    """Add the stored form of an event whose id `shape.storable_id` accepted."""
    kind = event.get("type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    row = StripeEvent(
        id=event["id"],
        type=kind if shape.storable_id(kind) and len(kind) <= shape.MAX_TYPE else "",
        payload=event,
        customer_id=_customer_of(obj) if isinstance(obj, dict) else None,
        received_at=utcnow(),
    )
    db.session.add(row)
    return row


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
            stored = _add_row(event)
            # A concurrent delivery of the same event waits here, then fails the key.
            _store(stored)
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
    except WebhookRejected:
        db.session.rollback()
        raise
    except Exception as error:
        db.session.rollback()
        _record_failure(event, error)
        log.warning("Stripe event %s failed: %s", event_id, type(error).__name__)
        raise WebhookRejected(
            500, "Processing failed; the event is kept for a retry."
        ) from error
    return Receipt(event_id, duplicate=False)


def _store(row: StripeEvent) -> None:
    """Flush the new row; a value the database refuses is the sender's fault (400)."""
    try:
        db.session.flush()
    except DataError as error:
        db.session.rollback()
        log.warning(
            "Stripe event %r refused by the database: %s",
            row.id[:64],
            type(error.orig).__name__,
        )
        raise WebhookRejected(
            400, "The event holds values that cannot be stored."
        ) from None


def _save_error(event: dict[str, Any], message: str) -> None:
    """Keep `message` on the stored event (created if need be); never raise."""
    try:
        stored = db.session.get(StripeEvent, event["id"])
        if stored is None:
            stored = _add_row(event)
        stored.error = message[:2000]
        db.session.commit()
    except SQLAlchemyError as error:  # a concurrent delivery, or a refused value
        db.session.rollback()
        log.warning(
            "Could not record Stripe event %r: %s",
            str(event.get("id"))[:64],
            type(error).__name__,
        )


def _record_failure(event: dict[str, Any], error: Exception) -> None:
    _save_error(event, f"{type(error).__name__}: {error}")


def _record_rejection(event: Any, problem: str) -> None:
    """Keep a signed but malformed event when its id can be stored, for inspection."""
    log.warning("Stripe event rejected: %s", problem)
    if isinstance(event, dict) and shape.storable_id(event.get("id")):
        _save_error(event, f"Rejected: {problem}")


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
        if shape.problem(stored.payload) is not None:
            failed += 1  # kept as rejected; no retry can apply it
            continue
        try:
            process(stored.payload)
            done += 1
        except WebhookRejected:
            failed += 1
    return done, failed
