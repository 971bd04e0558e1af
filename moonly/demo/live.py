"""Which journey the console shows, and whether anything changed since it last looked.

Without `?user=` the console follows the newest signup; with it, that journey is pinned.
The fingerprint sums up, in a few cheap queries, everything the live part renders, so a
poll that finds nothing new costs no Stripe call and swaps nothing (204).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import func, select

from ..accounts.models import User
from ..billing.events import StripeEvent
from ..cello.models import CelloEvent
from ..extensions import db
from .glance import Glance, glance
from .journey import find_user, journey, journeys
from .journey_data import Journey, JourneySummary


@dataclass(frozen=True)
class LiveState:
    user: User | None
    newest: User | None
    missing_pin: str | None  # a pinned id that matches no signup
    fingerprint: str


def _newest() -> User | None:
    return db.session.scalar(select(User).order_by(User.id.desc()).limit(1))


def state(pinned: str | None) -> LiveState:
    newest = _newest()
    user = find_user(user_id=pinned) if pinned else None
    missing = pinned if pinned and user is None else None
    user = user or newest
    events = db.session.execute(
        select(
            func.count(),
            func.max(StripeEvent.received_at),
            func.count(StripeEvent.processed_at),
            func.count(StripeEvent.error),
        )
    ).one()
    cello = db.session.execute(
        select(func.count(), func.sum(CelloEvent.attempts), func.max(CelloEvent.status))
    ).one()
    users = db.session.scalar(select(func.count()).select_from(User))
    parts: list[object] = [
        users,
        newest.id if newest else None,
        pinned,
        *events,
        *cello,
    ]
    if user is not None:
        parts += [
            user.id,
            user.stripe_customer_id,
            user.deleted_at,
            user.deletion_finished_at,
        ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:20]
    return LiveState(user, newest, missing, digest)


def follow_note(live: LiveState, pinned: str | None, shown: str) -> str | None:
    """What changed about who is followed, said on screen (and to screen readers)."""
    if live.missing_pin:
        return f"No signup {live.missing_pin}: following the newest instead."
    if live.user is None:
        return None
    if pinned:
        newest = live.newest
        if newest is not None and newest.id != live.user.id:
            return f"Pinned to {live.user.name}. Newer signup: {newest.name}."
        return None
    if shown and shown != live.user.public_id:
        return f"New signup: {live.user.name} — now following."
    return None


class LiveContext(TypedDict):
    live: LiveState
    pinned: str | None
    journeys: list[JourneySummary]
    journey: Journey | None
    glance: Glance | None
    follow_note: str | None


def context(pinned: str | None, shown: str = "") -> LiveContext:
    """What templates/demo/_live.html renders."""
    live = state(pinned)
    data = journey(live.user) if live.user is not None else None
    return {
        "live": live,
        "pinned": pinned if live.user is not None and not live.missing_pin else None,
        "journeys": journeys(limit=30),
        "journey": data,
        "glance": glance(data) if data is not None else None,
        "follow_note": follow_note(live, pinned, shown),
    }
