"""What happens to a subscription as its time passes, in the order Stripe does it.

`due` names the next thing that happens to a subscription and when: an incomplete one
expires 23 hours after it was made; a trialing one hears `trial_will_end` three days
before the trial ends, then its trial ends (billing starts, or, without a payment
method, `trial_settings.end_behavior.missing_payment_method` cancels or pauses it); an
active one renews at each period's end; any of them ends at `cancel_at`. `run` performs
what falls due up to a time. Each step runs with the context's clock set to the moment
it happens, so every object and event it makes carries that time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from sqlalchemy import select

from . import invoices as inv
from . import prorations
from .common import add_interval
from .models import SandboxObject
from .shapes import Data
from .store import Context

EXPIRE_AFTER = 23 * 3600  # an incomplete subscription's first invoice waits 23 hours
TRIAL_WILL_END_BEFORE = 3 * 86_400


def end(ctx: Context, row: SandboxObject, canceled_at: int) -> Data:
    """Mark the subscription canceled and tell the app with one deleted event."""
    details = {**row.data["cancellation_details"], "reason": "cancellation_requested"}
    data = ctx.update(
        row,
        {
            "status": "canceled",
            "canceled_at": canceled_at,
            "ended_at": ctx.now,
            "cancellation_details": details,
        },
        silent=True,
    )
    ctx.emit("customer.subscription.deleted", data)
    return data


def subscription_card(ctx: Context, sub: Data) -> Data | None:
    """The subscription's card, else the customer's default, if still attached."""
    customer = ctx.session.get(SandboxObject, sub["customer"])
    default = None if customer is None else customer.data["invoice_settings"]
    for pm_id in (
        sub["default_payment_method"],
        default and default["default_payment_method"],
    ):
        row = ctx.session.get(SandboxObject, pm_id) if pm_id else None
        if row is not None and row.data["customer"] == sub["customer"]:
            return copy.deepcopy(row.data)
    return None


def next_items(sub: Data, start: int, anchor: int) -> Data:
    """The subscription's items moved to the period starting at `start`."""
    items: Data = copy.deepcopy(sub["items"])
    for item in items["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = start
        item["current_period_end"] = add_interval(
            start, recurring["interval"], recurring["interval_count"], anchor
        )
    return items


def ended_discounts(ctx: Context, sub: Data, start: int) -> list[str]:
    """Discounts over by this period: repeating ones past their end, `once` ones."""
    ended = []
    for discount_id in sub["discounts"]:
        row = ctx.get("discount", discount_id)
        coupon = ctx.session.get(SandboxObject, row.data["source"]["coupon"])
        once = coupon is not None and coupon.data["duration"] == "once"
        if once or (row.data["end"] is not None and row.data["end"] <= start):
            ended.append(discount_id)
            ctx.emit("customer.discount.deleted", row.data)
    return ended


def renew(ctx: Context, row: SandboxObject) -> Data:
    """Bill the next period (with the prorations pending) and return its invoice."""
    sub = row.data
    start = sub["items"]["data"][0]["current_period_end"]
    old_start = sub["items"]["data"][0]["current_period_start"]
    ended = ended_discounts(ctx, sub, start)
    renewed = {
        **sub,
        "items": next_items(sub, start, sub["billing_cycle_anchor"]),
        "discounts": [d for d in sub["discounts"] if d not in ended],
    }
    period = inv.Period(start, renewed["items"]["data"][0]["current_period_end"])
    invoice = inv.build(
        ctx,
        renewed,
        period,
        "subscription_cycle",
        inv.Period(old_start, start),
        invoice_items=prorations.pending(ctx, sub["id"]),
    )
    inv.collect(ctx, invoice, subscription_card(ctx, sub))
    prorations.take(ctx, invoice)
    changes = {
        "items": renewed["items"],
        "discounts": renewed["discounts"],
        "latest_invoice": invoice["id"],
        "status": "active" if invoice["status"] == "paid" else "past_due",
    }
    ctx.update(row, changes)
    return invoice


def end_trial(
    ctx: Context, row: SandboxObject, reason: str = "subscription_cycle"
) -> Data:
    """The trial is over (at its end, or now when `trial_end=now`): bill the first
    period, or, without a payment method, cancel or pause as the trial settings say.
    Returns the new invoice, or the subscription when none was made."""
    sub = row.data
    card = subscription_card(ctx, sub)
    missing = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
    if card is None and missing == "cancel":
        return end(ctx, row, canceled_at=ctx.now)
    if card is None and missing == "pause":
        paused = ctx.update(row, {"status": "paused"})
        ctx.emit("customer.subscription.paused", paused)
        return paused
    early = reason != "subscription_cycle"
    anchor = ctx.now if early else sub["billing_cycle_anchor"]
    ended = ended_discounts(ctx, sub, ctx.now)
    changes: Data = {
        "items": next_items(sub, ctx.now, anchor),
        "discounts": [d for d in sub["discounts"] if d not in ended],
        "billing_cycle_anchor": anchor,
        "trial_end": ctx.now,
        "status": "active",
    }
    renewed = {**sub, **changes}
    period = inv.Period(ctx.now, changes["items"]["data"][0]["current_period_end"])
    invoice = inv.build(
        ctx,
        renewed,
        period,
        reason,
        inv.Period(sub["items"]["data"][0]["current_period_start"], ctx.now),
        invoice_items=prorations.pending(ctx, sub["id"]),
    )
    changes["latest_invoice"] = invoice["id"]
    ctx.update(row, changes)
    inv.collect(ctx, invoice, card)
    prorations.take(ctx, invoice)
    if invoice["status"] != "paid":
        ctx.update(row, {"status": "past_due"})
    return invoice


def trial_will_end(ctx: Context, row: SandboxObject) -> Data:
    ctx.emit("customer.subscription.trial_will_end", row.data)
    return row.data


def expire(ctx: Context, row: SandboxObject) -> Data:
    """23 hours without payment: the first invoice is voided, its PaymentIntent
    canceled, and the subscription ends as `incomplete_expired`."""
    sub = row.data
    invoice_row = ctx.get("invoice", sub["latest_invoice"])
    payments = ctx.session.scalars(
        select(SandboxObject).where(
            SandboxObject.object == "invoice_payment",
            SandboxObject.data["invoice"].as_string() == invoice_row.id,
        )
    )
    for payment in payments:
        intent_row = ctx.get(
            "payment_intent", payment.data["payment"]["payment_intent"]
        )
        if intent_row.data["status"] != "succeeded":
            canceled = ctx.update(
                intent_row,
                {
                    "status": "canceled",
                    "canceled_at": ctx.now,
                    "cancellation_reason": "void_invoice",
                    "next_action": None,
                },
                silent=True,
            )
            ctx.emit("payment_intent.canceled", canceled)
        transitions = {**payment.data["status_transitions"], "canceled_at": ctx.now}
        payment.data = {
            **payment.data,
            "status": "canceled",
            "status_transitions": transitions,
        }
    invoice = invoice_row.data
    voided = ctx.update(
        invoice_row,
        {
            "status": "void",
            "auto_advance": False,
            "next_payment_attempt": None,
            "status_transitions": {
                **invoice["status_transitions"],
                "voided_at": ctx.now,
            },
        },
        silent=True,
    )
    ctx.emit("invoice.voided", voided)
    return ctx.update(
        row,
        {"status": "incomplete_expired", "canceled_at": ctx.now, "ended_at": ctx.now},
    )


def _cancel_at(ctx: Context, row: SandboxObject) -> Data:
    return end(ctx, row, canceled_at=row.data["canceled_at"] or ctx.now)


Step = Callable[[Context, SandboxObject], Data]
STEPS: dict[str, Step] = {
    "expire": expire,
    "trial_will_end": trial_will_end,
    "trial_end": end_trial,
    "renew": renew,
    "cancel": _cancel_at,
}


def due(sub: Data, now: int) -> tuple[int, str] | None:
    """The next step for the subscription, and when; None once nothing more happens."""
    status = sub["status"]
    if status == "incomplete":
        return sub["created"] + EXPIRE_AFTER, "expire"
    if status == "trialing":
        warning = sub["trial_end"] - TRIAL_WILL_END_BEFORE
        # Sent when the clock passes that moment (or at once, for a shorter trial).
        step = (warning, "trial_will_end") if warning > now else None
        step = step or (sub["trial_end"], "trial_end")
    elif status in ("active", "past_due"):
        step = (sub["items"]["data"][0]["current_period_end"], "renew")
    else:
        return None
    cancel_at = sub["cancel_at"]
    if cancel_at is not None and cancel_at <= step[0]:
        return cancel_at, "cancel"
    return step


def run(ctx: Context, row: SandboxObject, until: int, *, steps: int = 0) -> list[Data]:
    """Perform every step due up to `until` (or only the first `steps` that are not
    warnings), each at its own moment; returns what each step made."""
    made = []
    counted = 0
    while True:
        step = due(row.data, ctx.now)
        if step is None or step[0] > until:
            break
        at, name = step
        ctx.now_ns = max(at * 1_000_000_000, ctx.now_ns)
        made.append(STEPS[name](ctx, row))
        counted += name != "trial_will_end"
        if steps and counted >= steps:
            break
    return made
