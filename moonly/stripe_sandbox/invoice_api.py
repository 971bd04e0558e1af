"""Invoices as the API reads them, and the preview of a subscription's next invoice."""

from __future__ import annotations

import copy

from . import invoices as inv
from . import prorations
from . import subscription_objects as so
from . import subscription_updates as updates
from .common import add_interval, at_subscription_time, list_object, named, ref
from .errors import SandboxError
from .expansion import includable
from .models import SandboxObject
from .shapes import Data, Params
from .store import Context, linked


@includable("invoice", "payments")
def payments(ctx: Context, invoice: Data) -> Data:
    """The invoice's `payments` list, which Stripe includes only when expanded."""
    rows = ctx.session.scalars(linked("invoice_payment", "invoice", invoice["id"]))
    return list_object(
        [copy.deepcopy(r.data) for r in rows], f"/v1/invoices/{invoice['id']}/payments"
    )


@includable("invoice", "confirmation_secret")
def confirmation_secret(ctx: Context, invoice: Data) -> Data | None:
    """The client secret of the PaymentIntent that pays the invoice (absent unless
    expanded, like `payments`); null when nothing is to be paid by card."""
    row = ctx.session.scalars(
        linked("invoice_payment", "invoice", invoice["id"])
    ).first()
    if row is None:
        return None
    intent = ctx.get("payment_intent", row.data["payment"]["payment_intent"]).data
    return {"client_secret": intent["client_secret"], "type": "payment_intent"}


def retrieve_invoice(ctx: Context, object_id: str, params: Params) -> Data:
    row = named(ctx, "invoice", object_id)
    return row.data


def list_invoices(ctx: Context, params: Params) -> Data:
    filters = []
    if "customer" in params:
        filters.append(SandboxObject.data["customer"].as_string() == params["customer"])
    if "status" in params:
        filters.append(SandboxObject.data["status"].as_string() == params["status"])
    if "subscription" in params:
        path = ("parent", "subscription_details", "subscription")
        filters.append(SandboxObject.data[path].as_string() == params["subscription"])
    return ctx.list("invoice", params, *filters, url="/v1/invoices")


def _no_upcoming(customer_id: str) -> SandboxError:
    return SandboxError(
        404,
        f"No upcoming invoices for customer: {customer_id}",
        code="invoice_upcoming_none",
    )


def _subscription_to_preview(ctx: Context, params: Params) -> SandboxObject:
    customer_id = params.get("customer")
    if customer_id is not None:
        ref(ctx, "customer", customer_id, "customer")
    if "subscription" in params:
        row = ref(ctx, "subscription", params["subscription"], "subscription")
        if customer_id is not None and row.data["customer"] != customer_id:
            raise SandboxError.invalid(
                "subscription",
                f"The subscription {row.id} does not belong to customer {customer_id}.",
            )
        return row
    if customer_id is None:
        raise SandboxError(
            400,
            "Missing required param: customer or subscription.",
            param="customer",
            code="parameter_missing",
        )
    # Without a subscription, Stripe previews the customer's current one.
    found = ctx.list(
        "subscription",
        {"limit": 1},
        SandboxObject.data["customer"].as_string() == customer_id,
        SandboxObject.data["status"].as_string() != "canceled",
        url="",
    )["data"]
    if not found:
        raise _no_upcoming(customer_id)
    return ctx.get("subscription", found[0]["id"])


def create_preview(ctx: Context, params: Params) -> Data:
    """The subscription's next invoice, not stored; its id starts with `upcoming_in`.

    `subscription_details` previews a change of items: with `create_prorations` (the
    default) the next invoice carries the prorations; with `always_invoice`, the
    invoice the change would make at once holds them alone."""
    row = _subscription_to_preview(ctx, params)
    sub = row.data
    details = params.get("subscription_details", {})
    for key in sorted(set(details) - {"items", "proration_behavior", "proration_date"}):
        raise so.unsupported(f"subscription_details[{key}]")
    if (
        sub["status"] in ("canceled", "incomplete_expired")
        or sub["cancel_at_period_end"]
    ):
        raise _no_upcoming(sub["customer"])
    ctx = at_subscription_time(ctx, sub["id"])
    behavior = details.get("proration_behavior", "create_prorations")
    pending = prorations.pending(ctx, sub["id"])
    if "items" in details:
        at = updates.proration_date(ctx, sub, details)
        items = so.updated_items(ctx, sub, details["items"])
        if behavior != "none":
            pending += prorations.compute(ctx, sub, items, at)
        sub = {**sub, "items": {**sub["items"], "data": items}}
    item = sub["items"]["data"][0]
    current = inv.Period(item["current_period_start"], item["current_period_end"])
    if behavior == "always_invoice" and "items" in details:
        return inv.build(
            ctx,
            sub,
            current,
            "upcoming",
            inv.Period(ctx.now, ctx.now),
            invoice_items=pending,
            items_only=True,
        )
    recurring = item["price"]["recurring"]
    start = item["current_period_end"]
    end = add_interval(
        start,
        recurring["interval"],
        recurring["interval_count"],
        sub["billing_cycle_anchor"],
    )
    return inv.build(
        ctx, sub, inv.Period(start, end), "upcoming", current, invoice_items=pending
    )
