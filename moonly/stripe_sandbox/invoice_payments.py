"""Paying an open invoice after it was made.

An invoice's PaymentIntent (found through its invoice payment,
`payment.payment_intent`) is confirmed later by the customer (payment_intent_api.py), by
`invoices.pay`, or by passing 3-D Secure on the sandbox's page (three_d_secure.py);
`settle` brings the invoice and its subscription along each time, as Stripe does.
"""

from __future__ import annotations

import copy

from sqlalchemy import select

from . import invoices as inv
from .cards import TEST_CARDS
from .common import at_subscription_time, named
from .errors import SandboxError
from .models import SandboxObject
from .payment_methods import customer_payment_method, new_card, payment_method_row
from .payments import Attempt, charge_intent
from .shapes import Data, Params
from .store import Context

REQUIRES_ACTION = "This invoice requires additional user action before it can be paid."


def payment_for_intent(ctx: Context, intent_id: str) -> SandboxObject | None:
    """The invoice payment a PaymentIntent makes, if it pays an invoice."""
    return ctx.session.scalars(
        select(SandboxObject).where(
            SandboxObject.object == "invoice_payment",
            SandboxObject.data[("payment", "payment_intent")].as_string() == intent_id,
        )
    ).first()


def _subscription_id(invoice: Data) -> str | None:
    details = (invoice["parent"] or {}).get("subscription_details")
    return None if details is None else str(details["subscription"])


def on_invoice_clock(ctx: Context, intent_id: str) -> Context:
    """The context on the clock of the subscription whose invoice this intent pays."""
    payment = payment_for_intent(ctx, intent_id)
    invoice = (
        None
        if payment is None
        else ctx.session.get(SandboxObject, payment.data["invoice"])
    )
    sub_id = None if invoice is None else _subscription_id(invoice.data)
    return ctx if sub_id is None else at_subscription_time(ctx, sub_id)


def settle(ctx: Context, attempt: Attempt) -> Data | None:
    """After a later attempt on an invoice's PaymentIntent: the invoice (paid, or its
    failure told), then its subscription (active, with the card saved if asked)."""
    payment = payment_for_intent(ctx, attempt.intent["id"])
    if payment is None:
        return None
    row = ctx.get("invoice", payment.data["invoice"])
    invoice = copy.deepcopy(row.data)
    if attempt.status == "succeeded":
        payment.data = {
            **payment.data,
            "amount_paid": attempt.intent["amount"],
            "status": "paid",
            "status_transitions": {
                **payment.data["status_transitions"],
                "paid_at": ctx.now,
            },
        }
    inv.record_attempt(ctx, invoice, attempt)
    row.data = invoice
    if attempt.status == "succeeded":
        _subscription_paid(ctx, invoice, attempt)
    return invoice


def _subscription_paid(ctx: Context, invoice: Data, attempt: Attempt) -> None:
    sub_id = _subscription_id(invoice)
    row = None if sub_id is None else ctx.session.get(SandboxObject, sub_id)
    if row is None or row.data["latest_invoice"] != invoice["id"]:
        return
    sub = row.data
    changes: Data = {}
    if sub["status"] in ("incomplete", "past_due", "unpaid"):
        changes["status"] = "active"
    save = sub["payment_settings"]["save_default_payment_method"]
    if save == "on_subscription" and attempt.charge is not None:
        changes["default_payment_method"] = attempt.charge["payment_method"]
    ctx.update(row, changes)


def confirm_card(ctx: Context, customer_id: str | None, pm_id: str, param: str) -> Data:
    """The card a confirmation names: a test id makes a new (unattached) one, as in
    Stripe test mode; any other must be unattached or the customer's own."""
    card = TEST_CARDS.get(pm_id)
    if card is not None:
        data = new_card(ctx, card, None)
        ctx.insert(data, silent=True)  # Stripe sends no payment_method.created.
        return data
    row = payment_method_row(ctx, pm_id, param)
    if row.data["customer"] is None or customer_id is None:
        return copy.deepcopy(row.data)
    return customer_payment_method(ctx, customer_id, pm_id, param)


def payment_error(attempt: Attempt) -> SandboxError:
    """The 402 of a declined confirmation; what the attempt left is kept."""
    assert attempt.decline is not None and attempt.charge is not None
    error = attempt.decline.error()
    error.keep_changes = True
    error.extra.update(
        charge=attempt.charge["id"],
        payment_intent=attempt.intent,
        payment_method=attempt.intent["last_payment_error"]["payment_method"],
    )
    return error


def _default_card(ctx: Context, invoice: Data, intent: Data) -> Data | None:
    """The card an invoice is paid with when none is given, as Stripe picks it."""
    customer = ctx.get("customer", invoice["customer"]).data
    sub_id = _subscription_id(invoice)
    sub = None if sub_id is None else ctx.session.get(SandboxObject, sub_id)
    for pm_id in (
        intent["payment_method"],
        sub.data["default_payment_method"] if sub is not None else None,
        customer["invoice_settings"]["default_payment_method"],
    ):
        row = ctx.session.get(SandboxObject, pm_id) if pm_id else None
        if row is not None and row.data["customer"] in (None, invoice["customer"]):
            return copy.deepcopy(row.data)
    return None


def pay_invoice(ctx: Context, object_id: str, params: Params) -> Data:
    """`invoices.pay`: charge an open invoice now, with the card given or a default."""
    row = named(ctx, "invoice", object_id)
    sub_id = _subscription_id(row.data)
    if sub_id is not None:
        ctx = at_subscription_time(ctx, sub_id)
    invoice = row.data
    if invoice["status"] == "paid":
        raise SandboxError(400, "Invoice is already paid")
    if invoice["status"] != "open":
        raise SandboxError(
            400,
            f"This invoice can no longer be paid: its status is {invoice['status']}.",
        )
    payment = ctx.session.scalars(
        select(SandboxObject).where(
            SandboxObject.object == "invoice_payment",
            SandboxObject.data["invoice"].as_string() == object_id,
        )
    ).first()
    assert payment is not None  # an open invoice has its PaymentIntent
    intent_row = ctx.get("payment_intent", payment.data["payment"]["payment_intent"])
    intent = copy.deepcopy(intent_row.data)
    pm: Data | None
    if "payment_method" in params:
        pm = confirm_card(
            ctx, invoice["customer"], params["payment_method"], "payment_method"
        )
        if pm["customer"] is None:
            # Paying with a card saves it to the invoice's customer, as Stripe does.
            intent["setup_future_usage"] = intent["setup_future_usage"] or "off_session"
    else:
        pm = _default_card(ctx, invoice, intent)
    if pm is None:
        raise SandboxError(
            400,
            "There is no `default_payment_method` set on this Customer or Invoice. "
            "Please set a default payment method or pass `payment_method`.",
            param="payment_method",
        )
    attempt = charge_intent(ctx, intent, pm)
    paid = settle(ctx, attempt)
    if attempt.decline is not None:
        raise payment_error(attempt)
    if attempt.status == "requires_action":
        raise SandboxError(
            402,
            REQUIRES_ACTION,
            type="card_error",
            code="invoice_payment_intent_requires_action",
            keep_changes=True,
            extra={"payment_intent": attempt.intent},
        )
    assert paid is not None
    return paid
