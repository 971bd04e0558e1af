"""Pending invoice items: proration credits and charges waiting for a subscription's
next invoice, which takes them as lines of its own."""

from __future__ import annotations

import copy

from .ids import new_id
from .models import SandboxObject
from .shapes import Data
from .store import Context, linked


def proration_item(
    ctx: Context,
    sub: Data,
    item: Data,
    amount: int,
    description: str,
    period: tuple[int, int],
    *,
    price: Data,
    quantity: int,
    unit_amount_decimal: str,
    discountable: bool,
    proration_details: Data,
) -> Data:
    """An `invoiceitem` prorating one subscription item, as Stripe shows it."""
    return {
        "id": new_id("ii", 24),
        "object": "invoiceitem",
        "amount": amount,
        "currency": price["currency"],
        "customer": sub["customer"],
        "customer_account": None,
        "date": ctx.now,
        "description": description,
        "discountable": discountable,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": amount,
        "parent": {
            "subscription_details": {
                "subscription": sub["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_details",
        },
        "period": {"start": period[0], "end": period[1]},
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": unit_amount_decimal,
        },
        "proration": True,
        "proration_details": proration_details,
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": [],
        "test_clock": None,
    }


def create_proration(
    ctx: Context,
    sub: Data,
    item: Data,
    price: Data,
    amount: int,
    description: str,
    period: tuple[int, int],
) -> Data:
    """A proration item for one subscription item (invoiceitem.created); the portal's
    plan switch discounts it with the invoice it lands on."""
    return ctx.insert(
        proration_item(
            ctx,
            sub,
            item,
            amount,
            description,
            period,
            price=price,
            quantity=1,
            unit_amount_decimal=price["unit_amount_decimal"],
            discountable=True,
            proration_details={"credited_items": None, "discount_amounts": []},
        )
    )


def _line(item: Data, invoice_id: str) -> Data:
    return {
        "id": new_id("il_tmp" if invoice_id.startswith("upcoming") else "il", 24),
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": item["proration"],
                "proration_details": {"credited_items": None},
                "subscription": item["parent"]["subscription_details"]["subscription"],
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": copy.deepcopy(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": copy.deepcopy(item["pricing"]),
        "quantity": item["quantity"],
        "subscription": item["parent"]["subscription_details"]["subscription"],
        "subtotal": item["amount"],
        "taxes": [],
    }


SUBSCRIPTION = ("parent", "subscription_details", "subscription")


def pending_rows(ctx: Context, subscription_id: str) -> list[SandboxObject]:
    """The subscription's invoice items no invoice has taken yet, oldest first."""
    rows = ctx.session.scalars(
        linked(
            "invoiceitem", SUBSCRIPTION, subscription_id, live=True, oldest_first=True
        )
    )
    return [row for row in rows if row.data["invoice"] is None]


def pending_lines(
    ctx: Context, subscription_id: str, invoice_id: str, *, consume: bool
) -> list[Data]:
    """Lines for the subscription's pending items; `consume` attaches them to the
    invoice (a preview leaves them pending)."""
    lines = []
    for row in pending_rows(ctx, subscription_id):
        lines.append(_line(row.data, invoice_id))
        if consume:
            ctx.update(row, {"invoice": invoice_id}, silent=True)
    return lines
