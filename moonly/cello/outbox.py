"""Queue Cello events with the change that causes them, and deliver them reliably.

An event is written in the same transaction as the signup, so none is lost when the
process dies before delivery. Deliverers claim rows before sending (row locks on
PostgreSQL, a conditional update everywhere), so two of them never send the same event.
Failures are retried with exponential backoff and jitter for up to three days.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from ..accounts.models import User
from ..extensions import db
from ..timeutil import as_utc, isoformat, utcnow
from . import api
from .models import CelloEvent

log = logging.getLogger(__name__)

FIRST_RETRY = 2.0  # seconds
MAX_RETRY = 300.0
GIVE_UP_AFTER = 3 * 24 * 3600
CLAIM_SECONDS = 120  # longer than one delivery can take (timeouts included)
NOT_CONFIGURED = "not sent: Cello API not configured"


def signup_body(user: User) -> dict[str, Any]:
    """The `ReferralUpdated` / `new-signup` event, as Cello's API reference shows it."""
    new_user: dict[str, Any] = {
        "id": user.public_id,
        "email": user.email,
        "name": user.name,
    }
    if user.organization_public_id:
        new_user["organizationId"] = user.organization_public_id
    return {
        "eventName": "ReferralUpdated",
        "payload": {
            "ucc": user.ucc,
            "newUserId": user.public_id,
            "price": 0,
            "currency": "",
        },
        "context": {
            "newUser": new_user,
            "event": {"trigger": "new-signup", "timestamp": isoformat(user.created_at)},
        },
    }


def queue_signup(user: User) -> CelloEvent:
    """Add the signup event to the session; the caller's commit makes it durable."""
    event = CelloEvent(
        user=user,
        key=secrets.token_hex(16),
        trigger="new-signup",
        body=signup_body(user),
        status="pending",
        next_attempt_at=int(time.time()),
    )
    db.session.add(event)
    return event


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s … capped at 5 minutes."""
    ceiling = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not security


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    not_configured: int = 0


def _claim(now: int, limit: int) -> list[int]:
    """Take due events for this deliverer; another deliverer skips or loses them."""
    due = (
        select(CelloEvent.id)
        .where(
            CelloEvent.status.in_(("pending", "not_configured")),
            CelloEvent.next_attempt_at <= now,
            or_(CelloEvent.locked_until.is_(None), CelloEvent.locked_until < now),
        )
        .order_by(CelloEvent.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = []
    for event_id in db.session.scalars(due).all():
        result = db.session.execute(
            update(CelloEvent)
            .where(
                CelloEvent.id == event_id,
                or_(CelloEvent.locked_until.is_(None), CelloEvent.locked_until < now),
            )
            .values(locked_until=now + CLAIM_SECONDS)
        )
        if result.rowcount == 1:
            claimed.append(event_id)
    db.session.commit()
    return claimed


def _mark_not_configured() -> int:
    result = db.session.execute(
        update(CelloEvent)
        .where(CelloEvent.status == "pending")
        .values(status="not_configured", last_error=NOT_CONFIGURED)
    )
    db.session.commit()
    return result.rowcount


def deliver_due(limit: int = 50) -> Report:
    """Send every event that is due once; schedule retries for the failures."""
    report = Report()
    now = int(time.time())
    client = api.client()
    if client is None:
        report.not_configured = _mark_not_configured()
        return report
    for event_id in _claim(now, limit):
        event = db.session.get(CelloEvent, event_id)
        assert event is not None
        event.attempts += 1
        try:
            client.send_event(event.body, event.key)
        except api.CelloError as error:
            event.last_status = error.status
            event.last_error = error.message
            age = now - as_utc(event.created_at).timestamp()
            if error.retry and age < GIVE_UP_AFTER:
                event.status = "pending"
                event.next_attempt_at = now + round(retry_delay(event.attempts))
                report.retrying += 1
            else:
                event.status = "failed"
                report.failed += 1
        else:
            event.status, event.sent_at = "sent", utcnow()
            event.last_status, event.last_error = 200, None
            report.sent += 1
        event.locked_until = None
        db.session.commit()
    return report


class Dispatcher:
    """Delivers from a background thread: at once when nudged, and every few seconds."""

    def __init__(self, app: Flask, interval: float = 5.0):
        self.app = app
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="cello-outbox", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            with self.app.app_context():
                try:
                    deliver_due()
                except Exception:  # keep going after a database or network hiccup
                    log.exception("Cello delivery round failed; retrying.")
                finally:
                    db.session.remove()


def nudge() -> None:
    """Ask this process's dispatcher to deliver now, off the request's critical path."""
    dispatcher = current_app.extensions.get("moonly.cello_dispatcher")
    if dispatcher is not None:
        dispatcher.nudge()
