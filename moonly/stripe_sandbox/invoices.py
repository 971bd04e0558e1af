"""Invoices of subscriptions: building one, finalizing and paying it."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from . import discounts as di
from . import invoice_items as pending_items
from .common import list_object
from .ids import new_id
from .models import SandboxObject
from .payments import Attempt, pay
from .shapes import Data
from .store import Context

RETRY_AFTER = 3 * 86_400  # Stripe's default first retry of a failed renewal.


@dataclass(frozen=True)
class Period:
    start: int
    end: int


def _line(
    ctx: Context,
    invoice_id: str,
    sub: Data,
    item: Data,
    period: Period,
    trial: bool = False,
) -> Data:
    price = item["price"]
    product = ctx.session.get(SandboxObject, price["product"])
    name = product.data["name"] if product is not None else price["product"]
    amount = 0 if trial else price["unit_amount"] * item["quantity"]
    unit = f"${price['unit_amount'] / 100:,.2f}"
    description = (
        f"Trial period for {name}"
        if trial
        else f"{item['quantity']} × {name} (at {unit} / "
        f"{price['recurring']['interval']})"
    )
    return {
        "id": new_id("il_tmp" if invoice_id.startswith("upcoming") else "il", 24),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": sub["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"start": period.start, "end": period.end},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "subscription": sub["id"],
        "subtotal": amount,
        "taxes": [],
    }


def build(
    ctx: Context,
    sub: Data,
    period: Period,
    reason: str,
    invoice_period: Period,
    *,
    trial: bool = False,
    invoice_items: list[Data] | None = None,
    items_only: bool = False,
) -> Data:
    """A draft invoice for one period of a subscription, with its discounts applied.

    `period` is the service period on the lines; `invoice_period` is what Stripe puts in
    `period_start`/`period_end` (for a subscription: the period that just ended, or the
    creation time for the first invoice). A `trial` period costs nothing. Pending
    `invoice_items` (prorations) come first; `items_only` invoices them alone."""
    preview = reason == "upcoming"
    invoice_id = new_id("upcoming_in" if preview else "in", 24)
    customer = ctx.session.get(SandboxObject, sub["customer"])
    assert customer is not None
    if invoice_items is None:
        # The pending items plan_change.py (the portal's plan switch) leaves.
        lines = [
            _line(ctx, invoice_id, sub, i, period, trial) for i in sub["items"]["data"]
        ]
        lines += pending_items.pending_lines(
            ctx, sub["id"], invoice_id, consume=not preview
        )
    else:
        lines = [item_line(invoice_id, ii) for ii in invoice_items]
        if not items_only:
            lines += [
                _line(ctx, invoice_id, sub, i, period, trial)
                for i in sub["items"]["data"]
            ]
    first = reason == "subscription_create"
    active = [
        d
        for d in (ctx.get("discount", i).data for i in sub["discounts"])
        if di.applies(ctx, d, period.start, first) and not items_only
    ]
    # Prorations carry their discount in their amount (billing_mode flexible).
    discountable = [line for line in lines if line["discountable"]]
    if discountable:
        di.apply_to_lines(ctx, discountable, active)
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Moonly",
        "account_tax_ids": None,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": not preview,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "created": ctx.now,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": sub["customer"],
        "customer_address": customer.data["address"],
        "customer_email": customer.data["email"],
        "customer_name": customer.data["name"],
        "customer_phone": customer.data["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": customer.data["tax_exempt"],
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [d["id"] for d in active],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": sub["metadata"],
                "subscription": sub["id"],
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": invoice_period.end,
        "period_start": invoice_period.start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": customer.data["balance"],
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "test_clock": None,
        "total_taxes": [],
        "webhooks_delivered_at": None,
        **_amounts_due(di.totals(lines, active), customer.data["balance"]),
    }


def _amounts_due(totals: Data, balance: int) -> Data:
    """The customer's balance (a credit when negative) is applied to what is due."""
    due = max(totals["total"] + balance, 0)
    return {**totals, "amount_due": due, "amount_remaining": due}


def item_line(invoice_id: str, ii: Data) -> Data:
    """The invoice line of a pending invoice item (a proration), as endive shows it."""
    credited = ii["proration_details"]["credited_items"]
    details = None if credited is None else credited["invoice_line_item_details"]
    return {
        "id": new_id("il_tmp" if invoice_id.startswith("upcoming") else "il", 24),
        "object": "line_item",
        "amount": ii["amount"],
        "currency": ii["currency"],
        "description": ii["description"],
        "discount_amounts": [],
        "discountable": ii["discountable"],
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": ii["id"],
                "proration": ii["proration"],
                "proration_details": {"credited_items": details},
                "subscription": ii["parent"]["subscription_details"]["subscription"],
                "subscription_item": ii["parent"]["subscription_details"][
                    "subscription_item"
                ],
            },
            "type": "subscription_item_details",
        },
        "period": ii["period"],
        "pretax_credit_amounts": [],
        "pricing": ii["pricing"],
        "quantity": ii["quantity"],
        "subscription": ii["parent"]["subscription_details"]["subscription"],
        "subtotal": ii["amount"],
        "taxes": [],
    }


def _finalize(ctx: Context, invoice: Data) -> None:
    customer = ctx.session.get(SandboxObject, invoice["customer"])
    assert customer is not None
    sequence = customer.data["next_invoice_sequence"]
    ctx.update(customer, {"next_invoice_sequence": sequence + 1}, silent=True)
    # What the balance did not absorb stays on it: a credit larger than the invoice.
    ending = invoice["starting_balance"] + invoice["total"] - invoice["amount_due"]
    if ending != customer.data["balance"]:
        ctx.update(customer, {"balance": ending})
    invoice.update(
        status="open",
        number=f"{customer.data['invoice_prefix']}-{sequence:04d}",
        effective_at=ctx.now,
        ending_balance=ending,
        # Offline there is no hosted page or PDF to link to.
        hosted_invoice_url=None,
        invoice_pdf=None,
        status_transitions={**invoice["status_transitions"], "finalized_at": ctx.now},
    )
    ctx.emit("invoice.finalized", invoice)


def _mark_paid(ctx: Context, invoice: Data) -> None:
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        auto_advance=False,
        next_payment_attempt=None,
        status_transitions={**invoice["status_transitions"], "paid_at": ctx.now},
    )
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)


def _record_payment(ctx: Context, invoice: Data, attempt: Attempt) -> None:
    paid = attempt.status == "succeeded"
    ctx.insert(
        {
            "id": new_id("inpay", 24),
            "object": "invoice_payment",
            "amount_paid": invoice["amount_due"] if paid else None,
            "amount_requested": invoice["amount_due"],
            "created": ctx.now,
            "currency": invoice["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {
                "payment_intent": attempt.intent["id"],
                "type": "payment_intent",
            },
            "status": "paid" if paid else "open",
            "status_transitions": {
                "canceled_at": None,
                "paid_at": ctx.now if paid else None,
            },
        },
        silent=True,
    )


def collect(
    ctx: Context,
    invoice: Data,
    pm: Data | None,
    *,
    confirm: bool = True,
    setup_future_usage: str | None = None,
) -> Attempt | None:
    """Finalize a draft invoice and charge it as Stripe does; store it in its end
    state."""
    ctx.emit("invoice.created", invoice)
    _finalize(ctx, invoice)
    attempt = None
    if invoice["amount_due"] <= 0:  # nothing to charge: free, or paid by a credit
        _mark_paid(ctx, invoice)
    else:
        about = (
            "Subscription creation"
            if invoice["billing_reason"] == "subscription_create"
            else "Subscription update"
        )
        attempt = pay(
            ctx,
            amount=invoice["amount_due"],
            currency=invoice["currency"],
            customer=invoice["customer"],
            pm=pm,
            about=about,
            confirm=confirm,
            setup_future_usage=setup_future_usage,
        )
        _record_payment(ctx, invoice, attempt)
        _settle(ctx, invoice, attempt)
    ctx.insert(copy.deepcopy(invoice), silent=True)
    return attempt


def _settle(ctx: Context, invoice: Data, attempt: Attempt) -> None:
    if attempt.status in ("requires_payment_method", "requires_confirmation") and (
        attempt.charge is None
    ):
        return  # no attempt was made (default_incomplete, or no card)
    invoice.update(attempted=True, attempt_count=1)
    if attempt.status == "succeeded":
        _mark_paid(ctx, invoice)
    elif attempt.status == "requires_action":
        ctx.emit("invoice.payment_action_required", invoice)
    else:
        if invoice["billing_reason"] != "subscription_create":
            invoice["next_payment_attempt"] = ctx.now + RETRY_AFTER
        ctx.emit("invoice.payment_failed", invoice)


def record_attempt(ctx: Context, invoice: Data, attempt: Attempt) -> None:
    """A later try at paying an open invoice (its PaymentIntent confirmed by the
    customer, `invoices.pay`, 3-D Secure passed or failed): the invoice follows."""
    invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
    if attempt.status == "succeeded":
        _mark_paid(ctx, invoice)
    elif attempt.status == "requires_action":
        ctx.emit("invoice.payment_action_required", invoice)
    else:
        ctx.emit("invoice.payment_failed", invoice)
