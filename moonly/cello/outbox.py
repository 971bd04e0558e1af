"""Queue Cello events with the change that causes them, and deliver them reliably.

An event is written in the same transaction as the signup, so none is lost when the
process dies before delivery. Delivery follows the app's one outbox policy
(`moonly.background`): deliverers claim rows before sending, so two of them never send
the same event; failures are retried with exponential backoff and jitter for up to three
days. `deliver_due` is a job of the app's background runner.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, update

from .. import background
from ..accounts.models import User
from ..extensions import db
from ..timeutil import isoformat, utcnow
from . import api
from .models import CelloEvent

NOT_CONFIGURED = "not sent: Cello API not configured"
# Events a deliverer sends: new ones, and those kept until Cello keys are configured.
READY = CelloEvent.status.in_(("pending", "not_configured"))


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


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    not_configured: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.retrying or self.failed)

    def __str__(self) -> str:
        line = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        if self.not_configured:
            line += f", {self.not_configured} waiting: {NOT_CONFIGURED}"
        return line


def _mark_not_configured() -> int:
    result = db.session.execute(
        update(CelloEvent)
        .where(CelloEvent.status == "pending")
        .values(status="not_configured", last_error=NOT_CONFIGURED)
    )
    db.session.commit()
    return int(cast("CursorResult[Any]", result).rowcount)


def deliver_due(limit: int = 50) -> Report:
    """Send every event that is due once; schedule retries for the failures."""
    report = Report()
    now = int(time.time())
    client = api.client()
    if client is None:
        report.not_configured = _mark_not_configured()
        return report
    for event_id in background.claim(CelloEvent, READY, now, limit):
        event = db.session.get(CelloEvent, event_id)
        assert event is not None
        event.attempts += 1
        try:
            client.send_event(event.body, event.key)
        except api.CelloError as error:
            event.last_status = error.status
            event.last_error = error.message
            next_attempt = background.POLICY.next_attempt(
                now=now,
                attempts=event.attempts,
                created_at=event.created_at,
                retryable=error.retry,
            )
            if next_attempt is not None:
                event.status, event.next_attempt_at = "pending", next_attempt
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


def nudge() -> None:
    """Ask this process's background runner to deliver now, off the request's path."""
    background.nudge()
