"""Switching a subscription's price mid-period, with Stripe's proration arithmetic.

The customer portal switches plans through here. Stripe prorates by the second: the
unused time on the old price comes back as a credit, the remaining time on the new price
is charged. `create_prorations` leaves both as pending invoice items for the next
invoice; `always_invoice` invoices them at once (a credit larger than the charge goes to
the customer's balance); `none` just switches.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from . import discounts as di
from . import invoice_items
from . import invoices as inv
from . import subscription_objects as so
from .common import at_subscription_time, ref
from .errors import SandboxError
from .models import SandboxObject
from .payment_methods import customer_payment_method
from .shapes import Data
from .store import Context

PRORATIONS = ("none", "create_prorations", "always_invoice")


def _day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%-d %b %Y")


def _prorated(amount: int, left: int, length: int) -> int:
    """The share of an amount for the time left, rounded to the cent as Stripe does."""
    return int((amount * left + length // 2) // length) if length else 0


def _product_name(ctx: Context, price: Data) -> str:
    product = ctx.session.get(SandboxObject, price["product"])
    return str(product.data["name"]) if product is not None else price["product"]


def _new_price(ctx: Context, sub: Data, price_id: str) -> Data:
    price = ref(ctx, "price", price_id, "price").data
    old = sub["items"]["data"][0]["price"]
    if not price["active"] or price["type"] != "recurring":
        raise SandboxError.invalid("price", "The price specified is inactive.")
    if price["currency"] != old["currency"] or (
        price["recurring"]["interval"],
        price["recurring"]["interval_count"],
    ) != (old["recurring"]["interval"], old["recurring"]["interval_count"]):
        raise SandboxError(
            400,
            "The Moonly sandbox switches plans only between prices of the same "
            "currency and billing interval; use Stripe test mode for interval changes.",
            param="price",
            code="sandbox_unsupported_parameter",
        )
    return price


def _card(ctx: Context, sub: Data) -> Data | None:
    """The subscription's card, else the customer's default."""
    customer = ctx.get("customer", sub["customer"]).data
    pm_id = (
        sub["default_payment_method"]
        or customer["invoice_settings"]["default_payment_method"]
    )
    if pm_id is None:
        return None
    return customer_payment_method(ctx, sub["customer"], pm_id, "payment_method")


def switch_price(
    ctx: Context, row: SandboxObject, price_id: str, proration_behavior: str
) -> Data:
    """Put the subscription's one item on another price (customer.subscription.updated
    with the previous items), prorating as asked."""
    if proration_behavior not in PRORATIONS:
        raise SandboxError.invalid("proration_behavior", "Invalid proration_behavior")
    ctx = at_subscription_time(ctx, row.id)
    sub = row.data
    if sub["status"] not in ("active", "past_due", "trialing"):
        raise SandboxError(
            400, f"Subscription {sub['id']} is {sub['status']}; it cannot change plans."
        )
    if len(sub["items"]["data"]) != 1:
        raise SandboxError(
            400,
            "The Moonly sandbox switches plans only on subscriptions of one item.",
            code="sandbox_unsupported_parameter",
        )
    price = _new_price(ctx, sub, price_id)
    item = sub["items"]["data"][0]
    old = item["price"]
    if price["id"] == old["id"]:
        return sub
    items = copy.deepcopy(sub["items"])
    items["data"][0].update(price=price, plan=so._plan(price))
    changes: Data = {"items": items}
    if proration_behavior != "none":
        _prorate(ctx, sub, item, old, price)
    if proration_behavior == "always_invoice":
        invoice = _invoice_prorations(ctx, {**sub, "items": items})
        changes["latest_invoice"] = invoice["id"]
    return ctx.update(row, changes)


def _prorate(ctx: Context, sub: Data, item: Data, old: Data, new: Data) -> None:
    """Pending items: a credit for the unused time, a charge for the time left."""
    start, end = item["current_period_start"], item["current_period_end"]
    now = min(max(ctx.now, start), end)
    left, length = end - now, end - start
    quantity = item["quantity"]
    since = _day(now)
    invoice_items.create_proration(
        ctx,
        sub,
        item,
        old,
        -_prorated(old["unit_amount"] * quantity, left, length),
        f"Unused time on {quantity} × {_product_name(ctx, old)} after {since}",
        (now, end),
    )
    invoice_items.create_proration(
        ctx,
        sub,
        item,
        new,
        _prorated(new["unit_amount"] * quantity, left, length),
        f"Remaining time on {quantity} × {_product_name(ctx, new)} after {since}",
        (now, end),
    )


def _invoice_prorations(ctx: Context, sub: Data) -> Data:
    """An invoice of the pending items alone, finalized and paid (or credited) now."""
    item = sub["items"]["data"][0]
    period = inv.Period(item["current_period_start"], item["current_period_end"])
    invoice = inv.build(
        ctx, sub, period, "subscription_update", inv.Period(ctx.now, ctx.now)
    )
    lines = [
        line
        for line in invoice["lines"]["data"]
        if line["parent"]["type"] == "invoice_item_details"
    ]
    discounts = [ctx.get("discount", d).data for d in invoice["discounts"]]
    di.apply_to_lines(ctx, lines, discounts)
    invoice["lines"]["data"] = lines
    invoice.update(di.totals(lines, discounts))
    inv.collect(ctx, invoice, _card(ctx, sub))
    if invoice["total"] < 0:
        customer = ctx.get("customer", sub["customer"])
        balance = customer.data["balance"] + invoice["total"]
        ctx.update(customer, {"balance": balance})
    return invoice
