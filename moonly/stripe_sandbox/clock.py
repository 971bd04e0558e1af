"""Moving a subscription to its next period, as if a billing period had passed.

Simulated time: each subscription advanced here gets its own clock. Advancing sets that
clock to the start of the new period (the old `current_period_end`), so the renewal
invoice, its PaymentIntent and charge, and every event they cause have `created` equal to
the new period's start. The sandbox keeps the clock as an offset from the real clock (in a
hidden row of `sandbox_objects` that no list or retrieve returns), and later requests about
that subscription (update, cancel, invoice preview) run on it too, so their times follow
on from the renewal. Other objects, and event delivery, stay on the real clock.
"""

from __future__ import annotations

import copy
import time

from . import invoices as inv
from .common import Data, add_interval, missing, set_offset_ns
from .errors import SandboxError
from .models import SandboxObject
from .store import Context
from .subscriptions import end

RENEWING = ("active", "past_due")


def advance_subscription(ctx: Context, subscription_id: str, params: Data) -> Data:
    """Renew the subscription for its next period and return the new invoice, or end it
    (and return it) when it was set to cancel at the period's end.

    Served as `POST /v1/test_helpers/sandbox/subscriptions/{id}/advance`, a route of the
    sandbox's own (Stripe's test clocks work differently).
    """
    row = ctx.session.get(SandboxObject, subscription_id)
    if row is None or row.object != "subscription":
        raise missing("subscription", subscription_id)
    sub = row.data
    if sub["status"] not in RENEWING:
        raise SandboxError(
            400,
            f"Subscription {subscription_id} is {sub['status']}; only active or "
            "past_due subscriptions move to a next period.",
        )
    start = sub["items"]["data"][0]["current_period_end"]
    ctx.now_ns = start * 1_000_000_000
    set_offset_ns(ctx, subscription_id, ctx.now_ns - time.time_ns())
    if sub["cancel_at_period_end"]:
        return end(ctx, row, canceled_at=sub["canceled_at"] or start)
    return _renew(ctx, row, start)


def _next_items(sub: Data, start: int) -> Data:
    items: Data = copy.deepcopy(sub["items"])
    for item in items["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = start
        item["current_period_end"] = add_interval(
            start,
            recurring["interval"],
            recurring["interval_count"],
            sub["billing_cycle_anchor"],
        )
    return items


def _ended_discounts(ctx: Context, sub: Data, start: int) -> list[str]:
    """Discounts over by this period: repeating ones past their end, `once` ones used."""
    ended = []
    for discount_id in sub["discounts"]:
        row = ctx.get("discount", discount_id)
        coupon = ctx.session.get(SandboxObject, row.data["source"]["coupon"])
        once = coupon is not None and coupon.data["duration"] == "once"
        if once or (row.data["end"] is not None and row.data["end"] <= start):
            ended.append(discount_id)
            ctx.emit("customer.discount.deleted", row.data)
    return ended


def _payment_method(ctx: Context, sub: Data) -> Data | None:
    """The subscription's card, else the customer's default, if still attached."""
    customer = ctx.session.get(SandboxObject, sub["customer"])
    default = None if customer is None else customer.data["invoice_settings"]
    for pm_id in (
        sub["default_payment_method"],
        default and default["default_payment_method"],
    ):
        row = ctx.session.get(SandboxObject, pm_id) if pm_id else None
        if row is not None and row.data["customer"] == sub["customer"]:
            return row.data
    return None


def _renew(ctx: Context, row: SandboxObject, start: int) -> Data:
    sub = row.data
    old_start = sub["items"]["data"][0]["current_period_start"]
    ended = _ended_discounts(ctx, sub, start)
    renewed = {
        **sub,
        "items": _next_items(sub, start),
        "discounts": [d for d in sub["discounts"] if d not in ended],
    }
    period = inv.Period(start, renewed["items"]["data"][0]["current_period_end"])
    invoice = inv.build(
        ctx, renewed, period, "subscription_cycle", inv.Period(old_start, start)
    )
    inv.collect(ctx, invoice, _payment_method(ctx, sub))
    changes = {
        "items": renewed["items"],
        "discounts": renewed["discounts"],
        "latest_invoice": invoice["id"],
        "status": "active" if invoice["status"] == "paid" else "past_due",
    }
    ctx.update(row, changes)
    return invoice
