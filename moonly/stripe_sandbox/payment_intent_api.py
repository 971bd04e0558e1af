"""Confirming a PaymentIntent, as Stripe's docs pay a subscription's first invoice.

`payment_intents.confirm(pi, payment_method="pm_card_visa")` charges the card and pays
the invoice the intent belongs to (invoice_payments.settle). A card that needs 3-D
Secure leaves the intent `requires_action`, its `next_action` pointing at the sandbox's
own authentication page; a declined card answers 402 with the card error.
"""

from __future__ import annotations

import copy

from .common import named
from .errors import SandboxError
from .invoice_payments import confirm_card, on_invoice_clock, payment_error, settle
from .payments import charge_intent
from .shapes import Data, Params
from .store import Context

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def _unexpected_state(intent: Data) -> SandboxError:
    if intent["status"] == "succeeded":
        message = (
            "You cannot confirm this PaymentIntent because it has already succeeded "
            "after being previously confirmed."
        )
    else:
        message = (
            "You cannot confirm this PaymentIntent because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following "
            "statuses may be confirmed: requires_confirmation, "
            "requires_payment_method, requires_action."
        )
    return SandboxError(
        400,
        message,
        code="payment_intent_unexpected_state",
        extra={"payment_intent": intent},
    )


def confirm_payment_intent(ctx: Context, object_id: str, params: Params) -> Data:
    """Confirm with the payment method given (or the one already set)."""
    row = named(ctx, "payment_intent", object_id)
    intent = copy.deepcopy(row.data)
    if intent["status"] not in CONFIRMABLE:
        raise _unexpected_state(intent)
    ctx = on_invoice_clock(ctx, object_id)
    pm_id = params.get("payment_method") or intent["payment_method"]
    if pm_id is None:
        raise SandboxError(
            400,
            "You cannot confirm this PaymentIntent because it's missing a payment "
            "method. To confirm the PaymentIntent with "
            f"{intent['customer']}, specify a payment method attached to this "
            "customer along with the customer ID.",
            code="payment_intent_unexpected_state",
        )
    pm = confirm_card(ctx, intent["customer"], pm_id, "payment_method")
    if "setup_future_usage" in params:
        intent["setup_future_usage"] = params["setup_future_usage"] or None
    attempt = charge_intent(ctx, intent, pm, return_url=params.get("return_url"))
    settle(ctx, attempt)
    if attempt.decline is not None:
        raise payment_error(attempt)
    return attempt.intent
