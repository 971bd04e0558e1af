"""Updating a subscription's prices, trial and cancellation, as Stripe does.

`items=[{"id": si, "price": new}]` switches prices in the middle of a period with
`proration_behavior`: `create_prorations` (the default) leaves the prorations pending
for the next invoice, `always_invoice` invoices them at once (charged to the
subscription's card), `none` makes none; `proration_date` is the moment they are
computed for. `trial_end` moves a trial's end, or ends it `now` (billing starts at
once). `cancel_at` ends the subscription when its clock passes that time.
"""

from __future__ import annotations

from . import invoices as inv
from . import lifecycle, prorations
from . import subscription_objects as so
from .common import in_list
from .errors import SandboxError
from .models import SandboxObject
from .payments import Attempt
from .shapes import Data, Params
from .store import Context

PAYMENT_BEHAVIORS = ("allow_incomplete", "error_if_incomplete")


def _check(params: Params) -> None:
    behavior = params.get("payment_behavior", "allow_incomplete")
    if behavior not in PAYMENT_BEHAVIORS:
        raise so.unsupported("payment_behavior")
    if params.get("cancel_at_period_end") and params.get("cancel_at"):
        raise SandboxError(
            400,
            "You cannot set both cancel_at and cancel_at_period_end.",
            param="cancel_at",
        )


def proration_date(ctx: Context, sub: Data, params: Params) -> int:
    item = sub["items"]["data"][0]
    at = params.get("proration_date", ctx.now)
    if not item["current_period_start"] <= at <= item["current_period_end"]:
        raise SandboxError.invalid(
            "proration_date",
            "proration_date must be within the subscription's current period.",
            code="parameter_invalid_integer",
        )
    return int(at)


def _new_trial_end(ctx: Context, sub: Data, wanted: int) -> Data:
    """Move a running trial's end: its period and billing cycle follow."""
    if sub["status"] != "trialing":
        raise SandboxError(
            400,
            "The Moonly sandbox moves the end of a running trial only (adding a trial "
            "to a subscription that is not trialing needs Stripe test mode).",
            param="trial_end",
            code="sandbox_unsupported_parameter",
        )
    end = so.check_trial_end(ctx, wanted)
    items = {**sub["items"], "data": [dict(i) for i in sub["items"]["data"]]}
    for item in items["data"]:
        item["current_period_end"] = end
    return {"trial_end": end, "billing_cycle_anchor": end, "items": items}


def _invoice_now(ctx: Context, sub: Data) -> Data:
    """A draft invoice of the subscription's pending prorations, made at once."""
    item = sub["items"]["data"][0]
    return inv.build(
        ctx,
        sub,
        inv.Period(item["current_period_start"], item["current_period_end"]),
        "subscription_update",
        inv.Period(ctx.now, ctx.now),
        invoice_items=prorations.pending(ctx, sub["id"]),
        items_only=True,
    )


def apply(
    ctx: Context, row: SandboxObject, params: Params, changes: Data
) -> Attempt | None:
    """Apply an update (with `changes` already worked out by the caller) and what it
    sets off; returns the payment attempt of an invoice made at once, if any."""
    _check(params)
    sub = row.data
    behavior = params.get("proration_behavior", "create_prorations")
    if "payment_settings" in params:
        changes["payment_settings"] = so.payment_settings(
            params, sub["payment_settings"]
        )
    if "trial_settings" in params:
        changes["trial_settings"] = so.trial_settings(params, sub["trial_settings"])
    if "cancel_at" in params:
        cancel_at = params["cancel_at"] or None
        if cancel_at is not None:
            so.check_cancel_at(ctx, cancel_at)
        changes.update(so.cancel_at_fields(cancel_at, ctx.now))
    made: list[Data] = []
    if "items" in params:
        at = proration_date(ctx, sub, params)
        items = so.updated_items(ctx, sub, params["items"])
        if behavior != "none":
            made = prorations.compute(ctx, sub, items, at)
        url = f"/v1/subscription_items?subscription={sub['id']}"
        changes["items"] = in_list(items, url, total_count=len(items))
    trial_end = params.get("trial_end")
    if isinstance(trial_end, int):
        changes.update(_new_trial_end(ctx, {**sub, **changes}, trial_end))
    prorations.store(ctx, made)
    invoice = None
    if behavior == "always_invoice" and prorations.pending(ctx, sub["id"]):
        invoice = _invoice_now(ctx, {**sub, **changes})
        changes["latest_invoice"] = invoice["id"]
    updated = ctx.update(row, changes)
    attempt = None
    if invoice is not None:
        attempt = inv.collect(ctx, invoice, lifecycle.subscription_card(ctx, updated))
        prorations.take(ctx, invoice)
        if invoice["status"] != "paid":
            ctx.update(row, {"status": "past_due"})
    if updated["status"] == "trialing":
        _trial_moved(ctx, row, trial_end)
    return attempt


def _trial_moved(ctx: Context, row: SandboxObject, trial_end: int | str | None) -> None:
    """`trial_end=now` ends the trial at once (Stripe sends trial_will_end first); a
    new end less than three days away is warned of at once."""
    if trial_end == "now":
        ctx.emit("customer.subscription.trial_will_end", row.data)
        lifecycle.end_trial(ctx, row, reason="subscription_update")
    elif trial_end is not None:
        warning = row.data["trial_end"] - lifecycle.TRIAL_WILL_END_BEFORE
        if warning <= ctx.now:
            ctx.emit("customer.subscription.trial_will_end", row.data)
