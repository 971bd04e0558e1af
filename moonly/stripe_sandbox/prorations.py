"""Prorations: what a change mid-period credits and charges, to the second.

For each subscription item whose price or quantity changes (or that is removed), the
unused time is credited; for each new or changed item, the time left is charged:

    credit = -(what was debited for the period) × (period end - t) / (its length)
    charge = unit_amount × quantity × (period end - t) / (period length)

each rounded to the cent, half away from zero. Subscriptions here use billing_mode
`flexible` with `proration_discounts: included`: a credit is based on the amount
originally debited (after its discount), and a charge has the discounts running at `t`
taken off its amount already, shown in `proration_details.discount_amounts`; both are
`discountable: false` so no discount applies to them again on the invoice.

Prorations are invoice items (`ii_…`, `invoiceitem.created`) pending on the subscription
until an invoice takes them: the next renewal, or one made at once (`always_invoice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from . import discounts as di
from .invoice_items import SUBSCRIPTION, pending_rows, proration_item
from .models import SandboxObject
from .shapes import Data
from .store import Context, linked

BEHAVIORS = ("create_prorations", "always_invoice", "none")


def share(amount: int, left: int, length: int) -> int:
    """The part of `amount` for `left` seconds of `length`, rounded half away from 0."""
    if length <= 0:
        return 0
    exact = Decimal(abs(amount)) * left / length
    cents = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return -cents if amount < 0 else cents


def _day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%-d %b %Y")


def _name(ctx: Context, price: Data, quantity: int) -> str:
    product = ctx.session.get(SandboxObject, price["product"])
    name = product.data["name"] if product is not None else price["product"]
    return name if quantity == 1 else f"{quantity} × {name}"


def pending(ctx: Context, sub_id: str) -> list[Data]:
    """The subscription's invoice items no invoice has taken yet, oldest first."""
    return [row.data for row in pending_rows(ctx, sub_id)]


def _item_of(data: Data) -> str | None:
    parent = data.get("parent") or {}
    if data["object"] == "invoiceitem":
        return str(parent["subscription_details"]["subscription_item"])
    details = parent.get("subscription_item_details")
    return None if details is None else str(details["subscription_item"])


def _covers(data: Data, at: int) -> bool:
    return bool(data["period"]["start"] <= at < data["period"]["end"])


@dataclass(frozen=True)
class Debit:
    """What was charged for an item's time: the net amount, the discounts taken off it
    (`discount_amounts`), its period, and where (a proration's `credited_items`)."""

    amount: int
    discounts: list[Data]
    start: int
    end: int
    credited_items: Data


def _last_debit(ctx: Context, sub_id: str, si_id: str, at: int) -> Debit | None:
    """What was last charged for the item's time around `at`: a pending proration, else
    the line of the latest invoice that billed it."""
    for ii in reversed(pending(ctx, sub_id)):
        if ii["amount"] > 0 and _item_of(ii) == si_id and _covers(ii, at):
            return Debit(
                amount=ii["amount"],
                discounts=ii["proration_details"]["discount_amounts"],
                start=ii["period"]["start"],
                end=ii["period"]["end"],
                credited_items={
                    "invoice_item": ii["id"],
                    "invoice_line_item_details": None,
                    "type": "invoice_item",
                },
            )
    invoices = ctx.session.scalars(linked("invoice", SUBSCRIPTION, sub_id))
    for invoice in invoices:
        for line in invoice.data["lines"]["data"]:
            if line["amount"] > 0 and _item_of(line) == si_id and _covers(line, at):
                off = line["discount_amounts"]
                return Debit(
                    amount=line["amount"] - sum(d["amount"] for d in off),
                    discounts=off,
                    start=line["period"]["start"],
                    end=line["period"]["end"],
                    credited_items={
                        "invoice_item": None,
                        "invoice_line_item_details": {
                            "invoice": invoice.id,
                            "invoice_line_items": [line["id"]],
                        },
                        "type": "invoice_line_items",
                    },
                )
    return None


def _invoice_item(
    ctx: Context,
    sub: Data,
    item: Data,
    amount: int,
    description: str,
    period: tuple[int, int],
    proration_details: Data,
) -> Data:
    # Its discounts are already taken off (proration_details), so none applies again.
    return proration_item(
        ctx,
        sub,
        item,
        amount,
        description,
        period,
        price=item["price"],
        quantity=item["quantity"],
        unit_amount_decimal=str(Decimal(amount) / item["quantity"]),
        discountable=False,
        proration_details=proration_details,
    )


def _credit(ctx: Context, sub: Data, item: Data, at: int) -> Data | None:
    debit = _last_debit(ctx, sub["id"], item["id"], at)
    if debit is None:
        return None
    start, end = debit.start, debit.end
    amount = -share(debit.amount, end - at, end - start)
    if amount == 0:
        return None
    name = _name(ctx, item["price"], item["quantity"])
    return _invoice_item(
        ctx,
        sub,
        item,
        amount,
        f"Unused time on {name} after {_day(at)}",
        (at, end),
        {
            "credited_items": debit.credited_items,
            "discount_amounts": [
                {"amount": -share(d["amount"], end - at, end - start), **_of(d)}
                for d in debit.discounts
            ],
        },
    )


def _of(discount_amount: Data) -> Data:
    return {"discount": discount_amount["discount"]}


def _percent_off(ctx: Context, discount: Data) -> bool:
    # A deleted coupon keeps working on the discounts already made from it.
    coupon = ctx.session.get(SandboxObject, discount["source"]["coupon"])
    return coupon is not None and coupon.data["percent_off"] is not None


def _charge(ctx: Context, sub: Data, item: Data, at: int) -> Data | None:
    start, end = item["current_period_start"], item["current_period_end"]
    price = item["price"]
    gross = share(price["unit_amount"] * item["quantity"], end - at, end - start)
    # Percent-off discounts running at `t` (a `once` coupon was for the first invoice).
    running = [
        d
        for d in (ctx.get("discount", i).data for i in sub["discounts"])
        if di.applies(ctx, d, at, first=False) and _percent_off(ctx, d)
    ]
    (off,) = di.line_discounts(ctx, running, [gross], price["currency"])
    amount = gross - sum(d["amount"] for d in off)
    if amount == 0:
        return None
    name = _name(ctx, price, item["quantity"])
    return _invoice_item(
        ctx,
        sub,
        item,
        amount,
        f"Remaining time on {name} after {_day(at)}",
        (at, end),
        {"credited_items": None, "discount_amounts": off},
    )


def compute(ctx: Context, sub: Data, items: list[Data], at: int) -> list[Data]:
    """The prorations of moving the subscription's items to `items` at `at`: credits
    for the items changed or removed, then charges for the items changed or added."""
    if sub["status"] == "trialing":
        return []  # nothing was charged for the trial, nothing is charged for the rest
    before = {item["id"]: item for item in sub["items"]["data"]}
    after = {item["id"]: item for item in items}

    def changed(si_id: str) -> bool:
        old, new = before.get(si_id), after.get(si_id)
        return (
            old is None
            or new is None
            or (old["price"]["id"], old["quantity"])
            != (new["price"]["id"], new["quantity"])
        )

    credits = [_credit(ctx, sub, before[s], at) for s in before if changed(s)]
    charges = [_charge(ctx, sub, after[s], at) for s in after if changed(s)]
    return [ii for ii in credits + charges if ii is not None]


def credit_unused(ctx: Context, sub: Data, at: int) -> list[Data]:
    """Credits for every item's unused time, as when the subscription is canceled."""
    if sub["status"] == "trialing":
        return []
    credits = [_credit(ctx, sub, item, at) for item in sub["items"]["data"]]
    return [ii for ii in credits if ii is not None]


def store(ctx: Context, items: list[Data]) -> None:
    """Keep new invoice items pending (Stripe sends invoiceitem.created for each)."""
    for ii in items:
        ctx.insert(ii)


def take(ctx: Context, invoice: Data) -> None:
    """Mark the invoice items on a stored invoice as invoiced by it."""
    for line in invoice["lines"]["data"]:
        ii_id = line["parent"]["subscription_item_details"]["invoice_item"]
        row = ctx.session.get(SandboxObject, ii_id) if ii_id else None
        if row is not None:
            row.data = {**row.data, "invoice": invoice["id"]}
