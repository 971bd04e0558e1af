"""SetupIntents: saving a card for later payments, with Stripe's test payment methods.

Confirming one checks the card as Stripe does: a card that needs 3-D Secure leaves it
`requires_action` (the sandbox's authentication page completes or fails it), a card the
issuer declines fails it with the card error (402, `setup_intent.setup_failed`), any
other card succeeds and is attached to the intent's customer.
"""

from __future__ import annotations

import copy
import secrets

from sqlalchemy import select
from stripe import params as sp

from .cards import card_of
from .common import check_client_secret, named, ref
from .errors import SandboxError
from .ids import new_id
from .invoice_payments import confirm_card
from .models import SandboxObject
from .payments import require_action, store_intent
from .resources import merge_metadata
from .routing import PAGING, RouteSpec
from .shapes import Data, Params
from .store import Context, param_filters

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def _new(ctx: Context, params: Params, customer: str | None, pm: Data | None) -> Data:
    intent_id = new_id("seti", 24)
    return {
        "id": intent_id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
        "created": ctx.now,
        "customer": customer,
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": None,
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None if pm is None else pm["id"],
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "single_use_mandate": None,
        "status": "requires_payment_method" if pm is None else "requires_confirmation",
        "usage": params.get("usage", "off_session"),
    }


def confirm_with(
    ctx: Context,
    intent: Data,
    pm: Data,
    *,
    return_url: str | None = None,
    authenticated: bool = False,
) -> Data:
    """Check the card; on success attach it to the intent's customer."""
    intent.update(payment_method=pm["id"], last_setup_error=None, next_action=None)
    card = card_of(pm)
    if card.requires_action and not authenticated:
        require_action(ctx, intent, return_url)
        return store_intent(ctx, intent)
    if card.attach_decline is not None:
        return fail(
            ctx, intent, {**card.attach_decline.as_dict(), "payment_method": pm}
        )
    row = ctx.session.get(SandboxObject, pm["id"])
    if intent["customer"] is not None and row is not None and not row.data["customer"]:
        attached = ctx.update(row, {"customer": intent["customer"]}, silent=True)
        ctx.emit("payment_method.attached", attached)
    intent["status"] = "succeeded"
    ctx.emit("setup_intent.succeeded", intent)
    _subscription_card_saved(ctx, intent)
    return store_intent(ctx, intent)


def create_pending(ctx: Context, sub: Data) -> Data:
    """The `pending_setup_intent` of a subscription with nothing to pay yet (a trial
    created with `default_incomplete`): its success saves the card on the
    subscription."""
    intent = _new(ctx, {"usage": "off_session"}, sub["customer"], None)
    ctx.emit("setup_intent.created", intent)
    return store_intent(ctx, intent)


def _subscription_card_saved(ctx: Context, intent: Data) -> None:
    row = ctx.session.scalars(
        select(SandboxObject).where(
            SandboxObject.object == "subscription",
            SandboxObject.data["pending_setup_intent"].as_string() == intent["id"],
        )
    ).first()
    if row is not None:
        ctx.update(
            row,
            {
                "pending_setup_intent": None,
                "default_payment_method": intent["payment_method"],
            },
        )


def fail(ctx: Context, intent: Data, error: Data) -> Data:
    """The card was declined, or failed 3-D Secure: a new payment method is needed."""
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        next_action=None,
        last_setup_error=error,
    )
    ctx.emit("setup_intent.setup_failed", intent)
    return store_intent(ctx, intent)


def _answer(intent: Data) -> Data:
    """The intent, or the 402 a declined card answers (the failure is kept)."""
    error = intent["last_setup_error"]
    if intent["status"] != "requires_payment_method" or error is None:
        return intent
    raise SandboxError(
        402,
        error["message"],
        type="card_error",
        code=error["code"],
        keep_changes=True,
        extra={
            "decline_code": error["decline_code"],
            "payment_method": error["payment_method"],
            "setup_intent": intent,
        },
    )


def create_setup_intent(ctx: Context, params: Params) -> Data:
    """A SetupIntent for a customer's card; `confirm=true` confirms it at once."""
    customer = params.get("customer")
    if customer is not None:
        ref(ctx, "customer", customer, "customer")
    pm = None
    if "payment_method" in params:
        pm = confirm_card(ctx, customer, params["payment_method"], "payment_method")
    intent = _new(ctx, params, customer, pm)
    ctx.emit("setup_intent.created", intent)
    if not params.get("confirm"):
        return store_intent(ctx, intent)
    if pm is None:
        raise SandboxError(
            400,
            "You cannot confirm this SetupIntent because it's missing a payment "
            "method. Update the SetupIntent with a payment method and then confirm it "
            "again.",
            code="setup_intent_unexpected_state",
        )
    return _answer(confirm_with(ctx, intent, pm, return_url=params.get("return_url")))


def _row(ctx: Context, object_id: str) -> SandboxObject:
    row = named(ctx, "setup_intent", object_id)
    return row


def confirm_setup_intent(ctx: Context, object_id: str, params: Params) -> Data:
    intent = copy.deepcopy(_row(ctx, object_id).data)
    if intent["status"] not in CONFIRMABLE:
        raise SandboxError(
            400,
            "You cannot confirm this SetupIntent because it has a status of "
            f"{intent['status']}.",
            code="setup_intent_unexpected_state",
            extra={"setup_intent": intent},
        )
    pm_id = params.get("payment_method") or intent["payment_method"]
    if pm_id is None:
        raise SandboxError(
            400,
            "You cannot confirm this SetupIntent because it's missing a payment "
            "method.",
            code="setup_intent_unexpected_state",
        )
    pm = confirm_card(ctx, intent["customer"], pm_id, "payment_method")
    return _answer(confirm_with(ctx, intent, pm, return_url=params.get("return_url")))


def retrieve_setup_intent(ctx: Context, object_id: str, params: Params) -> Data:
    """By id; a `client_secret`, when given, must be the intent's own."""
    data = _row(ctx, object_id).data
    check_client_secret(params, data, "SetupIntent")
    return data


def list_setup_intents(ctx: Context, params: Params) -> Data:
    """Newest first; by `customer` or `payment_method`."""
    filters = param_filters(params, "customer", "payment_method")
    return ctx.list("setup_intent", params, *filters, url="/v1/setup_intents")


SETUP_INTENT_ROUTES: list[RouteSpec] = [
    (
        "post",
        "/v1/setup_intents",
        sp.SetupIntentCreateParams,
        create_setup_intent,
        "customer payment_method usage confirm return_url metadata description",
    ),
    (
        "get",
        "/v1/setup_intents",
        sp.SetupIntentListParams,
        list_setup_intents,
        PAGING + " customer payment_method",
    ),
    (
        "get",
        "/v1/setup_intents/{id}",
        sp.SetupIntentRetrieveParams,
        retrieve_setup_intent,
        "client_secret",
    ),
    (
        "post",
        "/v1/setup_intents/{id}/confirm",
        sp.SetupIntentConfirmParams,
        confirm_setup_intent,
        "payment_method return_url",
    ),
]
