"""Subscriptions: creating one (its first invoice paid at once), reading, changing,
canceling."""

from __future__ import annotations

import copy

from . import invoices as inv
from . import lifecycle, prorations, setup_intents
from . import subscription_objects as so
from . import subscription_updates as updates
from .common import at_subscription_time, named, ref, require
from .errors import SandboxError
from .ids import new_id
from .lifecycle import end
from .models import SandboxObject
from .payment_methods import customer_payment_method
from .payments import Attempt
from .resources import merge_metadata
from .shapes import Data, Params
from .store import Context

REQUIRES_ACTION = (
    "Payment for this subscription requires additional user action before it can be "
    "completed successfully. Payment can be completed using the PaymentIntent "
    "associated with `subscription.latest_invoice`. Additional information is "
    "available here: "
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
    """Create and charge the first invoice; `payment_behavior` says what a failure does.

    A trial makes the first invoice $0 (paid without a charge) and the subscription
    `trialing`; `default_incomplete` leaves the first invoice open for the customer to
    pay by confirming its PaymentIntent (`latest_invoice.confirmation_secret`)."""
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
    trialing = sub["status"] == "trialing"
    first = inv.Period(ctx.now, sub["items"]["data"][0]["current_period_end"])
    invoice = inv.build(
        ctx,
        sub,
        first,
        "subscription_create",
        inv.Period(ctx.now, ctx.now),
        trial=trialing,
    )
    if invoice["amount_due"] > 0 and pm is None and behavior != "default_incomplete":
        raise SandboxError(400, NO_PAYMENT_METHOD, code="resource_missing")
    sub["latest_invoice"] = invoice["id"]
    _set_currency(ctx, customer, sub["currency"])
    ctx.emit("customer.subscription.created", sub)
    save = sub["payment_settings"]["save_default_payment_method"] == "on_subscription"
    attempt = inv.collect(
        ctx,
        invoice,
        pm,
        confirm=behavior != "default_incomplete",
        setup_future_usage="off_session" if save else None,
    )
    paid = invoice["status"] == "paid"
    if not paid and behavior == "error_if_incomplete":
        raise _incomplete_error(attempt)  # the request's work is rolled back
    if paid and behavior == "default_incomplete" and invoice["amount_due"] == 0:
        sub["pending_setup_intent"] = setup_intents.create_pending(ctx, sub)["id"]
    if paid and not trialing:
        changes = {"status": "active"}
        if save and attempt is not None and sub["default_payment_method"] is None:
            changes["default_payment_method"] = attempt.intent["payment_method"]
        previous = {key: sub[key] for key in changes}
        sub = {**sub, **changes}
        ctx.emit("customer.subscription.updated", sub, previous)
    ctx.insert(copy.deepcopy(sub), silent=True)
    if trialing and sub["trial_end"] - lifecycle.TRIAL_WILL_END_BEFORE <= ctx.now:
        ctx.emit("customer.subscription.trial_will_end", sub)
    return sub


def retrieve_subscription(ctx: Context, object_id: str, params: Params) -> Data:
    return _row(ctx, object_id).data


def _row(ctx: Context, object_id: str) -> SandboxObject:
    row = named(ctx, "subscription", object_id)
    return row


def list_subscriptions(ctx: Context, params: Params) -> Data:
    """Newest first; without `status`, canceled subscriptions are left out, as Stripe
    does."""
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
    """Change metadata, the default card, the trial, the prices (with prorations), or
    when the subscription is canceled (subscription_updates.py)."""
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
    attempt = updates.apply(ctx, row, params, changes)
    failed = attempt is not None and attempt.status != "succeeded"
    if failed and params.get("payment_behavior") == "error_if_incomplete":
        raise _incomplete_error(attempt)  # the update is rolled back
    return row.data


def cancel_subscription(ctx: Context, object_id: str, params: Params) -> Data:
    """Cancel now: Stripe sends customer.subscription.deleted with the ended object.

    `prorate` credits the unused time (a pending invoice item); `invoice_now` bills
    what is pending at once in a final invoice (a credit goes to the customer's
    balance)."""
    row = _row(ctx, object_id)
    ctx = at_subscription_time(ctx, object_id)
    sub = row.data
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise SandboxError(
            400,
            f"Subscription {object_id} has already been canceled.",
        )
    details = params.get("cancellation_details", {})
    if details:
        row.data = {
            **sub,
            "cancellation_details": {**sub["cancellation_details"], **details},
        }
    if params.get("prorate"):
        prorations.store(ctx, prorations.credit_unused(ctx, sub, ctx.now))
    pending = prorations.pending(ctx, object_id) if params.get("invoice_now") else []
    invoice = None
    if pending:
        invoice = inv.build(
            ctx,
            sub,
            inv.Period(ctx.now, ctx.now),
            "subscription_update",
            inv.Period(ctx.now, ctx.now),
            invoice_items=pending,
            items_only=True,
        )
        row.data = {**row.data, "latest_invoice": invoice["id"]}
    ended = end(ctx, row, canceled_at=ctx.now)
    if invoice is not None:
        inv.collect(ctx, invoice, lifecycle.subscription_card(ctx, sub))
        prorations.take(ctx, invoice)
    return ended
