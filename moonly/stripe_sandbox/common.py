"""Helpers the billing resources share: references, billing periods, lists, clocks."""

from __future__ import annotations

import calendar
import dataclasses
from datetime import UTC, datetime
from typing import Any

from .errors import SandboxError
from .models import SandboxObject
from .shapes import Data, Params
from .store import Context

# Stripe's names for objects in "No such …" messages, where they differ from `object`.
_DISPLAY = {"payment_method": "PaymentMethod", "payment_intent": "payment_intent"}


def ref(ctx: Context, kind: str, object_id: str, param: str) -> SandboxObject:
    """An object a request parameter names; Stripe answers a missing one with a 400."""
    row = ctx.session.get(SandboxObject, object_id)
    if row is None or row.object != kind or row.deleted:
        raise SandboxError(
            400,
            f"No such {_DISPLAY.get(kind, kind)}: '{object_id}'",
            param=param,
            code="resource_missing",
        )
    return row


def named(ctx: Context, kind: str, object_id: str) -> SandboxObject:
    """The object of `kind` a URL names, deleted ones included; a 404 if none."""
    row = ctx.session.get(SandboxObject, object_id)
    if row is None or row.object != kind:
        raise missing(kind, object_id)
    return row


def missing(kind: str, object_id: str) -> SandboxError:
    """The 404 for an object named in the URL."""
    return SandboxError.no_such(_DISPLAY.get(kind, kind), object_id)


def require(params: Params, name: str) -> Any:
    """A parameter the SDK types as optional but this request needs."""
    if name not in params:
        raise SandboxError.missing_param(name)
    return params[name]


def check_client_secret(params: Params, intent: Data, display: str) -> None:
    """A `client_secret` given on retrieving an intent must be the intent's own."""
    if "client_secret" in params and params["client_secret"] != intent["client_secret"]:
        raise SandboxError.invalid(
            "client_secret",
            "The client_secret provided does not match the client_secret associated "
            f"with the {display}.",
        )


def add_interval(ts: int, interval: str, count: int, anchor: int) -> int:
    """`ts` moved on by `count` intervals, keeping the anchor's day of month as Stripe
    does."""
    if interval == "day":
        return ts + count * 86_400
    if interval == "week":
        return ts + count * 7 * 86_400
    months = count * (12 if interval == "year" else 1)
    start = datetime.fromtimestamp(ts, UTC)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    # Jan 31 → Feb 28 → Mar 31: clamp to the month's length, then go back to the
    # anchor's day.
    day = min(
        datetime.fromtimestamp(anchor, UTC).day, calendar.monthrange(year, month + 1)[1]
    )
    return int(start.replace(year=year, month=month + 1, day=day).timestamp())


def list_object(data: list[Data], url: str) -> Data:
    """Stripe's embedded list object."""
    return {"object": "list", "data": data, "has_more": False, "url": url}


def in_list(rows: list[Data], url: str, **extra: Any) -> Data:
    """A list object with extra fields such as total_count."""
    return {**list_object(rows, url), **extra}


# Simulated time: a subscription advanced by clock.py lives ahead of the real clock.

_CLOCK = "sandbox_clock"


def offset_ns(ctx: Context, subscription_id: str) -> int:
    """How far this subscription's time runs ahead of the real clock."""
    row = ctx.session.get(SandboxObject, f"{_CLOCK}_{subscription_id}")
    return 0 if row is None else int(row.data["offset_ns"])


def set_offset_ns(ctx: Context, subscription_id: str, offset: int) -> None:
    """Remember the subscription's offset in a row no list or retrieve ever returns."""
    row_id = f"{_CLOCK}_{subscription_id}"
    row = ctx.session.get(SandboxObject, row_id)
    data = {"id": row_id, "object": _CLOCK, "offset_ns": offset}
    if row is None:
        ctx.insert(data, silent=True)
    else:
        row.data = data


def at_subscription_time(ctx: Context, subscription_id: str) -> Context:
    """The request's context on the subscription's own clock."""
    offset = offset_ns(ctx, subscription_id)
    if not offset:
        return ctx
    return dataclasses.replace(ctx, now_ns=ctx.now_ns + offset)
