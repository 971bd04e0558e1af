"""What a verified Stripe event must look like before it is stored or applied."""

from __future__ import annotations

import json
from typing import Any, TypeGuard

from .handlers import HANDLERS

MAX_ID = 255  # stripe_events.id, and every object id Moonly stores
MAX_TYPE = 128  # stripe_events.type


def storable_id(value: object) -> TypeGuard[str]:
    """A non-empty printable string that fits an id column (no NUL, no line breaks)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and value.isprintable()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: PostgreSQL refuses them


def parse(payload: bytes) -> Any:
    """The body as JSON, strictly: no NaN or Infinity, no nesting deeper than
    Python's."""
    try:
        return json.loads(payload, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def problem(event: Any) -> str | None:
    """Say why `event` is not a Stripe event Moonly can store and apply, or None."""
    if not isinstance(event, dict):
        return "The body is not a Stripe event (a JSON object)."
    if not storable_id(event.get("id")):
        return "The event id must be a printable string of 1 to 255 characters."
    kind = event.get("type", "")
    if not isinstance(kind, str) or len(kind) > MAX_TYPE or not kind.isprintable():
        return "The event type must be a printable string of at most 128 characters."
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "The event has no data.object."
    if kind in HANDLERS and not storable_id(data["object"].get("id")):
        return "The event's object has no usable id."
    return None
