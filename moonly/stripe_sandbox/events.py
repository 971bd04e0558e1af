"""Deliver events to webhook endpoints as Stripe does: each event to every enabled
endpoint that listens for its type, signed with that endpoint's secret, asynchronously,
retried with backoff for up to three days."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import stripe
from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from .models import SandboxDelivery, SandboxEvent, SandboxObject

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 3 * 24 * 3600  # Stripe retries a failed delivery for up to three days.
FIRST_RETRY = 5
MAX_RETRY = 3600
CLAIM_SECONDS = 60
TIMEOUT = 10

# A poster sends (url, body, headers) and returns the HTTP status, or raises OSError.
Poster = Callable[[str, str, dict[str, str]], int]


def post_http(url: str, body: str, headers: dict[str, str]) -> int:
    """POST over HTTP with a timeout, as Stripe's delivery does."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"Webhook URLs must be http(s); got {url!r}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body.encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return int(response.status)  # urlopen's answer is untyped
    except urllib.error.HTTPError as error:
        return error.code


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the given number (1 or more) of failed attempts."""
    return min(int(FIRST_RETRY * 2 ** (attempts - 1)), MAX_RETRY)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0


def _claim(session: Session, delivery_id: int, now: int) -> bool:
    """Take a delivery; with several deliverers only one wins."""
    # On the session's connection: its result is a cursor's, which counts the rows.
    result = session.connection().execute(
        update(SandboxDelivery)
        .where(
            SandboxDelivery.id == delivery_id,
            SandboxDelivery.delivered_at.is_(None),
            or_(
                SandboxDelivery.claimed_until.is_(None),
                SandboxDelivery.claimed_until < now,
            ),
        )
        .values(claimed_until=now + CLAIM_SECONDS)
    )
    session.commit()
    return result.rowcount == 1


def _headers(body: str, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) moonly-sandbox",
        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
            body, secret
        ),
    }


def deliver_due(
    engine: Engine, post: Poster = post_http, limit: int = 100
) -> DeliveryReport:
    """Send every delivery that is due, oldest event first; schedule retries."""
    report = DeliveryReport()
    now = int(time.time())
    with Session(engine) as session:
        due = list(
            session.scalars(
                select(SandboxDelivery.id)
                .where(
                    SandboxDelivery.delivered_at.is_(None),
                    SandboxDelivery.next_attempt_at.is_not(None),
                    SandboxDelivery.next_attempt_at <= now,
                )
                .order_by(SandboxDelivery.created_ns, SandboxDelivery.id)
                .limit(limit)
            )
        )
        session.commit()
        for delivery_id in due:
            if not _claim(session, delivery_id, now):
                continue
            delivery = session.get(SandboxDelivery, delivery_id)
            event = session.get(SandboxEvent, delivery.event_id) if delivery else None
            endpoint = (
                session.get(SandboxObject, delivery.endpoint_id) if delivery else None
            )
            if delivery is None or event is None:
                session.commit()
                continue
            if endpoint is None or endpoint.deleted:
                # Stripe stops delivering to an endpoint once it is deleted.
                delivery.next_attempt_at = None
                delivery.claimed_until = None
                delivery.last_error = "endpoint deleted"
                session.commit()
                continue
            body = json.dumps(event.data)
            url, secret = endpoint.data["url"], endpoint.data["secret"]
            # No lock is held while the endpoint answers (it may call the API back).
            session.commit()
            try:
                status = post(url, body, _headers(body, secret))
                error = None
            except OSError as exc:  # refused, timed out, reset
                status, error = None, f"{type(exc).__name__}: {exc}"
            _record(session, delivery_id, now, status, error)
            if status is not None and 200 <= status < 300:
                report.delivered += 1
            else:
                report.failed += 1
    return report


def _record(
    session: Session,
    delivery_id: int,
    now: int,
    status: int | None,
    error: str | None,
) -> None:
    delivery = session.get(SandboxDelivery, delivery_id)
    assert delivery is not None
    delivery.attempts += 1
    delivery.last_status = status
    delivery.claimed_until = None
    if status is not None and 200 <= status < 300:
        delivery.delivered_at = int(time.time())
        delivery.last_error = None
    else:
        delivery.last_error = error or f"HTTP {status}"
        retry_at = now + retry_delay(delivery.attempts)
        # Real time since the event was made (its `created` may be simulated).
        first = delivery.created_ns // 1_000_000_000
        delivery.next_attempt_at = (
            None if retry_at - first > GIVE_UP_AFTER else retry_at
        )
    session.commit()


def backlog(engine: Engine) -> tuple[int, int | None]:
    """How many deliveries are waiting, and since when (epoch seconds) the oldest."""
    with Session(engine) as session:
        count, oldest = session.execute(
            select(
                func.count(SandboxDelivery.id),
                func.min(SandboxDelivery.next_attempt_at),
            ).where(
                SandboxDelivery.delivered_at.is_(None),
                SandboxDelivery.next_attempt_at.is_not(None),
            )
        ).one()
        session.commit()
    return int(count), oldest


class Deliverer:
    """A background thread that keeps delivering due events."""

    def __init__(self, engine: Engine, interval: float = 1.0, post: Poster = post_http):
        self.engine, self.interval, self.post = engine, interval, post
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="stripe-sandbox-deliverer", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                deliver_due(self.engine, self.post)
            except Exception:  # keep delivering after a database hiccup
                log.exception("Sandbox webhook delivery failed; retrying.")
