"""Moving a subscription's clock on, as if time had passed (the sandbox's test helper).

Simulated time: each subscription advanced here gets its own clock. Advancing runs what
falls due on the way (lifecycle.py: renewals, trial warnings and ends, `cancel_at`, the
expiry of an incomplete subscription), each at its own moment, so the invoices,
PaymentIntents, charges and events it makes have `created` equal to that moment. The
sandbox keeps the clock as an offset from the real clock (in a hidden row of
`sandbox_objects` that no list or retrieve returns), and later requests about that
subscription (update, cancel, invoice preview, paying its invoices) run on it too, so
their times follow on. Other objects, and event delivery, stay on the real clock.
"""

from __future__ import annotations

import time
from typing import TypedDict

from . import lifecycle
from .common import at_subscription_time, named, set_offset_ns
from .errors import SandboxError
from .shapes import Data
from .store import Context


class AdvanceParams(TypedDict, total=False):
    seconds: int


def advance_subscription(
    ctx: Context, subscription_id: str, params: AdvanceParams
) -> Data:
    """Without `seconds`: move the subscription to the next thing that happens to it
    (its renewal, the end of its trial, its cancellation or expiry) and return the new
    invoice, or the subscription when no invoice was made. With `seconds`: move its
    clock on by that long, doing everything due on the way, and return the subscription.

    Served as `POST /v1/test_helpers/sandbox/subscriptions/{id}/advance`, a route of the
    sandbox's own (Stripe's test clocks work differently).
    """
    row = named(ctx, "subscription", subscription_id)
    ctx = at_subscription_time(ctx, subscription_id)
    if "seconds" in params:
        if params["seconds"] < 0:
            raise SandboxError.invalid(
                "seconds",
                "The sandbox's clock only moves forward: seconds must be 0 or more.",
                code="parameter_invalid_integer",
            )
        until = ctx.now + params["seconds"]
        lifecycle.run(ctx, row, until)
        ctx.now_ns = max(ctx.now_ns, until * 1_000_000_000)
        set_offset_ns(ctx, subscription_id, ctx.now_ns - time.time_ns())
        return row.data
    if lifecycle.due(row.data, ctx.now) is None:
        raise SandboxError(
            400,
            f"Subscription {subscription_id} is {row.data['status']}; nothing more "
            "happens to it as time passes.",
        )
    made = lifecycle.run(ctx, row, until=2**62, steps=1)
    set_offset_ns(ctx, subscription_id, ctx.now_ns - time.time_ns())
    return made[-1]
