"""Deliver the sandbox's events to the app's webhook URL as Stripe does: signed,
asynchronously, retried with backoff for up to three days."""

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
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from .models import SandboxEvent

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 3 * 24 * 3600  # Stripe retries a failed delivery for up to three days.
FIRST_RETRY = 5
MAX_RETRY = 3600
CLAIM_SECONDS = 60

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
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the given number of failed attempts."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0


def _claim(session: Session, event_id: str, now: int) -> bool:
    """Take an event for delivery; with several deliverers only one wins."""
    result = session.execute(
        update(SandboxEvent)
        .where(
            SandboxEvent.id == event_id,
            SandboxEvent.delivered_at.is_(None),
            or_(SandboxEvent.claimed_until.is_(None), SandboxEvent.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM_SECONDS)
    )
    session.commit()
    return result.rowcount == 1


def deliver_due(
    engine: Engine, url: str, secret: str, post: Poster = post_http, limit: int = 100
) -> DeliveryReport:
    """Send every event that is due, oldest first; schedule retries for failures."""
    report = DeliveryReport()
    now = int(time.time())
    with Session(engine) as session:
        due = list(
            session.scalars(
                select(SandboxEvent.id)
                .where(
                    SandboxEvent.delivered_at.is_(None),
                    SandboxEvent.next_attempt_at.is_not(None),
                    SandboxEvent.next_attempt_at <= now,
                )
                .order_by(SandboxEvent.created_ns)
                .limit(limit)
            )
        )
        for event_id in due:
            if not _claim(session, event_id, now):
                continue
            event = session.get(SandboxEvent, event_id)
            assert event is not None
            body = json.dumps(event.data)
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) moonly-sandbox",
                "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
                    body, secret
                ),
            }
            try:
                status, error = post(url, body, headers), None
            except OSError as exc:  # refused, timed out, reset
                status, error = None, f"{type(exc).__name__}: {exc}"
            event.attempts += 1
            event.last_status = status
            event.claimed_until = None
            if status is not None and 200 <= status < 300:
                event.delivered_at = int(time.time())
                event.last_error = None
                report.delivered += 1
            else:
                event.last_error = error or f"HTTP {status}"
                created = event.data["created"]
                retry_at = now + retry_delay(event.attempts)
                event.next_attempt_at = (
                    None if retry_at - created > GIVE_UP_AFTER else retry_at
                )
                report.failed += 1
            session.commit()
    return report


class Deliverer:
    """A background thread that keeps delivering due events while the app serves."""

    def __init__(self, engine: Engine, url: str, secret: str, interval: float = 1.0):
        self.engine, self.url, self.secret, self.interval = (
            engine,
            url,
            secret,
            interval,
        )
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
                deliver_due(self.engine, self.url, self.secret)
            except Exception:  # keep delivering after a database hiccup
                log.exception("Sandbox webhook delivery failed; retrying.")
