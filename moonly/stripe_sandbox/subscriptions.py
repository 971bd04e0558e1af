"""Subscriptions: creating one (its first invoice paid at once), reading, changing, canceling."""

from __future__ import annotations

import copy

from . import invoices as inv
from . import subscription_objects as so
from .common import Data, Params, at_subscription_time, missing, ref, require
from .errors import SandboxError
from .ids import new_id
from .models import SandboxObject
from .payment_methods import customer_payment_method
from .payments import Attempt
from .resources import merge_metadata
from .store import Context

REQUIRES_ACTION = (
    "Payment for this subscription requires additional user action before it can be "
    "completed successfully. Payment can be completed using the PaymentIntent associated "
    "with `subscription.latest_invoice`. Additional information is available here: "
    "https://stripe.com/docs/billing/subscriptions/overview#requires-action"
)
NO_PAYMENT_METHOD = (
    "This customer has no attached payment source or default payment method. Please "
    "consider adding a default payment method. For more information, visit "
    "https://stripe.com/docs/billing/subscriptions/payment-methods-setting"
    "#payment-method-priority."
)


def _payment_method(
    ctx: Context, customer: SandboxObject, params: Params
) -> Data | None:
    """The card to charge: the one given, else the customer's default."""
    if "default_payment_method" in params:
        return customer_payment_method(
            ctx, customer.id, params["default_payment_method"], "default_payment_method"
        )
    default = customer.data["invoice_settings"]["default_payment_method"]
    return None if default is None else ctx.get("payment_method", default).data


def _set_currency(ctx: Context, customer: SandboxObject, currency: str) -> None:
    """A customer takes the currency of their first subscription (customer.updated)."""
    if customer.data["currency"] is None:
        ctx.update(customer, {"currency": currency})


def _incomplete_error(attempt: Attempt | None) -> SandboxError:
    """The 402 of `error_if_incomplete` when the first payment did not go through,
    carrying the PaymentIntent (and the failed charge and card) as Stripe's does."""
    intent = None if attempt is None else copy.deepcopy(attempt.intent)
    if attempt is not None and attempt.decline is not None:
        error = attempt.decline.error()
        last = attempt.intent["last_payment_error"] or {}
        error.extra.update(
            charge=None if attempt.charge is None else attempt.charge["id"],
            payment_intent=intent,
            payment_method=last.get("payment_method"),
        )
        return error
    return SandboxError(
        402,
        REQUIRES_ACTION,
        type="card_error",
        code="subscription_payment_intent_requires_action",
        extra={} if intent is None else {"payment_intent": intent},
    )


def create_subscription(ctx: Context, params: Params) -> Data:
    """Create and charge the first invoice; `payment_behavior` says what a failure does."""
    behavior = params.get("payment_behavior", "allow_incomplete")
    if behavior == "pending_if_incomplete":
        raise SandboxError.invalid(
            "payment_behavior",
            "payment_behavior=pending_if_incomplete is only supported when updating a "
            "subscription.",
        )
    customer = ref(ctx, "customer", require(params, "customer"), "customer")
    pm = _payment_method(ctx, customer, params)
    # Without `default_payment_method` the field stays null and the customer's is used.
    sub = so.new(ctx, new_id("sub", 24), customer.id, params)
    first = inv.Period(ctx.now, sub["items"]["data"][0]["current_period_end"])
    invoice = inv.build(
        ctx, sub, first, "subscription_create", inv.Period(ctx.now, ctx.now)
    )
    if invoice["total"] > 0 and pm is None and behavior != "default_incomplete":
        raise SandboxError(400, NO_PAYMENT_METHOD, code="resource_missing")
    sub["latest_invoice"] = invoice["id"]
    _set_currency(ctx, customer, sub["currency"])
    ctx.emit("customer.subscription.created", sub)
    attempt = inv.collect(ctx, invoice, pm, confirm=behavior != "default_incomplete")
    paid = invoice["status"] == "paid"
    if not paid and behavior == "error_if_incomplete":
        raise _incomplete_error(attempt)  # the request's work is rolled back
    if paid:
        sub = {**sub, "status": "active"}
        ctx.emit("customer.subscription.updated", sub, {"status": "incomplete"})
    ctx.insert(copy.deepcopy(sub), silent=True)
    return sub


def retrieve_subscription(ctx: Context, object_id: str, params: Params) -> Data:
    return _row(ctx, object_id).data


def _row(ctx: Context, object_id: str) -> SandboxObject:
    row = ctx.session.get(SandboxObject, object_id)
    if row is None or row.object != "subscription":
        raise missing("subscription", object_id)
    return row


def list_subscriptions(ctx: Context, params: Params) -> Data:
    """Newest first; without `status`, canceled subscriptions are left out like Stripe."""
    status = SandboxObject.data["status"].as_string()
    wanted = params.get("status")
    filters = []
    if wanted is None:
        filters.append(status != "canceled")
    elif wanted == "ended":
        filters.append(status.in_(["canceled", "incomplete_expired"]))
    elif wanted != "all":
        filters.append(status == wanted)
    if "customer" in params:
        filters.append(SandboxObject.data["customer"].as_string() == params["customer"])
    return ctx.list("subscription", params, *filters, url="/v1/subscriptions")


def update_subscription(ctx: Context, object_id: str, params: Params) -> Data:
    """Change metadata, the default card, or cancel at the end of the period."""
    row = _row(ctx, object_id)
    ctx = at_subscription_time(ctx, object_id)
    sub = row.data
    if sub["status"] in ("canceled", "incomplete_expired") and set(params) - {
        "metadata",
        "expand",
    }:
        raise SandboxError(
            400,
            "A canceled subscription can only update its cancellation_details and "
            "metadata.",
        )
    changes: Data = {}
    if "metadata" in params:
        changes["metadata"] = merge_metadata(sub["metadata"], params["metadata"])
    if "default_payment_method" in params:
        pm_id = params["default_payment_method"] or None
        if pm_id is not None:
            customer_payment_method(
                ctx, sub["customer"], pm_id, "default_payment_method"
            )
        changes["default_payment_method"] = pm_id
    wanted = params.get("cancel_at_period_end")
    if wanted is not None and wanted != sub["cancel_at_period_end"]:
        item = sub["items"]["data"][0]
        changes.update(so.cancel_fields(wanted, item, ctx.now))
    return ctx.update(row, changes)


def cancel_subscription(ctx: Context, object_id: str, params: Params) -> Data:
    """Cancel now: Stripe sends customer.subscription.deleted with the ended object."""
    row = _row(ctx, object_id)
    ctx = at_subscription_time(ctx, object_id)
    if row.data["status"] in ("canceled", "incomplete_expired"):
        raise SandboxError(
            400,
            f"Subscription {object_id} has already been canceled.",
        )
    return end(ctx, row, canceled_at=ctx.now)


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
