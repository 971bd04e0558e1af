"""Payment methods: attaching Stripe's test ids to customers, listing, detaching."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from .cards import TEST_CARDS, Card
from .common import named, ref, require
from .errors import SandboxError
from .ids import new_id
from .models import SandboxObject
from .shapes import Data, Params
from .store import Context


def new_card(ctx: Context, card: Card, customer_id: str | None) -> Data:
    """A new card payment method, as Stripe makes one from a test id."""
    today = datetime.fromtimestamp(ctx.now, UTC)
    return {
        "id": new_id("pm", 24),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                k: None
                for k in ("city", "country", "line1", "line2", "postal_code", "state")
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": None,
            },
            "country": "US",
            "display_brand": card.brand,
            # Stripe's test ids expire a year from now, in this month.
            "exp_month": today.month,
            "exp_year": today.year + 1,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": ctx.now,
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def attach(ctx: Context, object_id: str, params: Params) -> Data:
    """Attach a payment method; a test id makes a new one, as in Stripe test mode."""
    customer_id = require(params, "customer")
    ref(ctx, "customer", customer_id, "customer")
    card = TEST_CARDS.get(object_id)
    if card is not None:
        if card.attach_decline is not None:
            raise card.attach_decline.error()
        data = new_card(ctx, card, customer_id)
        ctx.insert(data, silent=True)  # Stripe sends no payment_method.created.
        ctx.emit("payment_method.attached", data)
        return data
    row = named(ctx, "payment_method", object_id)
    owner = row.data["customer"]
    if owner == customer_id:
        return row.data
    if owner is not None:
        raise SandboxError(
            400,
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
            code="payment_method_unexpected_state",
        )
    data = ctx.update(row, {"customer": customer_id}, silent=True)
    ctx.emit("payment_method.attached", data)
    return data


def retrieve(ctx: Context, object_id: str, params: Params) -> Data:
    row = named(ctx, "payment_method", object_id)
    return row.data


def detach(ctx: Context, object_id: str, params: Params) -> Data:
    """Detach from its customer, who stops using it as their default."""
    row = named(ctx, "payment_method", object_id)
    customer_id = row.data["customer"]
    if customer_id is None:
        raise SandboxError(
            400,
            "The payment method you provided is not attached to a customer so "
            "detachment is impossible.",
            code="payment_method_unexpected_state",
        )
    data = ctx.update(row, {"customer": None}, silent=True)
    ctx.emit("payment_method.detached", data, {"customer": customer_id})
    customer = ctx.session.get(SandboxObject, customer_id)
    if customer is not None and not customer.deleted:
        settings = customer.data["invoice_settings"]
        if settings["default_payment_method"] == object_id:
            ctx.update(
                customer,
                {"invoice_settings": {**settings, "default_payment_method": None}},
            )
    return data


def _list(ctx: Context, customer_id: str | None, params: Params, url: str) -> Data:
    filters = []
    if customer_id is not None:
        filters.append(SandboxObject.data["customer"].as_string() == customer_id)
    if "type" in params:
        filters.append(SandboxObject.data["type"].as_string() == params["type"])
    return ctx.list("payment_method", params, *filters, url=url)


def list_payment_methods(ctx: Context, params: Params) -> Data:
    customer_id = params.get("customer")
    if customer_id is not None:
        ref(ctx, "customer", customer_id, "customer")
    return _list(ctx, customer_id, params, "/v1/payment_methods")


def list_customer_payment_methods(ctx: Context, object_id: str, params: Params) -> Data:
    ctx.get("customer", object_id)
    return _list(ctx, object_id, params, f"/v1/customers/{object_id}/payment_methods")


def payment_method_row(ctx: Context, pm_id: str, param: str) -> SandboxObject:
    """The payment method a request parameter names; Stripe answers an unknown id
    with a 400."""
    row = ctx.session.get(SandboxObject, pm_id)
    if row is None or row.object != "payment_method":
        raise SandboxError(
            400,
            f"No such PaymentMethod: '{pm_id}'",
            param=param,
            code="resource_missing",
        )
    return row


def customer_payment_method(
    ctx: Context, customer_id: str, pm_id: str, param: str
) -> Data:
    """A payment method that must be attached to this customer."""
    row = payment_method_row(ctx, pm_id, param)
    if row.data["customer"] != customer_id:
        raise SandboxError(
            400,
            f"The customer does not have a payment method with the ID {pm_id}. The "
            "payment method must be attached to the customer.",
            param=param,
            code="resource_missing",
        )
    return copy.deepcopy(row.data)


def set_customer_default(
    ctx: Context, customer: SandboxObject, settings: Params
) -> Data:
    """`invoice_settings[default_payment_method]` on a customer update."""
    unsupported = sorted(set(settings) - {"default_payment_method"})
    if unsupported:
        raise SandboxError(
            400,
            "The Moonly sandbox does not implement "
            f"`invoice_settings[{unsupported[0]}]`; use Stripe test mode for it.",
            param=f"invoice_settings[{unsupported[0]}]",
            code="sandbox_unsupported_parameter",
        )
    pm_id = settings.get("default_payment_method") or None
    if pm_id is not None:
        customer_payment_method(
            ctx, customer.id, pm_id, "invoice_settings[default_payment_method]"
        )
    return {**customer.data["invoice_settings"], "default_payment_method": pm_id}
