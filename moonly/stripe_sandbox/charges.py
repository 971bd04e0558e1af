"""Charges, refunds and PaymentIntents as the API reads and changes them."""

from __future__ import annotations

import copy

from .common import check_client_secret, list_object, named, ref
from .errors import SandboxError
from .expansion import includable
from .ids import new_id
from .models import SandboxObject
from .resources import merge_metadata
from .shapes import Data, Params
from .store import Context, linked, param_filters


def _row(ctx: Context, kind: str, object_id: str) -> SandboxObject:
    row = named(ctx, kind, object_id)
    return row


def retrieve_charge(ctx: Context, object_id: str, params: Params) -> Data:
    return _row(ctx, "charge", object_id).data


def list_charges(ctx: Context, params: Params) -> Data:
    filters = param_filters(params, "customer", "payment_intent")
    return ctx.list("charge", params, *filters, url="/v1/charges")


def update_charge(ctx: Context, object_id: str, params: Params) -> Data:
    """Change a charge's description or metadata; Stripe sends charge.updated."""
    row = _row(ctx, "charge", object_id)
    changes = {k: v for k, v in params.items() if k == "description"}
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    return ctx.update(row, changes)


def retrieve_payment_intent(ctx: Context, object_id: str, params: Params) -> Data:
    """By id; a `client_secret`, when given, must be the intent's own."""
    data = _row(ctx, "payment_intent", object_id).data
    check_client_secret(params, data, "PaymentIntent")
    return data


def update_payment_intent(ctx: Context, object_id: str, params: Params) -> Data:
    """Change a PaymentIntent's description or metadata (Stripe sends no event)."""
    row = _row(ctx, "payment_intent", object_id)
    changes = {k: v for k, v in params.items() if k == "description"}
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    return ctx.update(row, changes, silent=True)


# Refunds


def _charge_to_refund(ctx: Context, params: Params) -> SandboxObject:
    if ("charge" in params) == ("payment_intent" in params):
        raise SandboxError(
            400,
            "You must pass exactly one of `charge` or `payment_intent`.",
            param="charge",
        )
    if "charge" in params:
        return ref(ctx, "charge", params["charge"], "charge")
    intent = ref(ctx, "payment_intent", params["payment_intent"], "payment_intent")
    charge_id = intent.data["latest_charge"]
    if intent.data["status"] != "succeeded" or charge_id is None:
        raise SandboxError(
            400,
            f"This PaymentIntent ({intent.id}) does not have a successful charge to "
            "refund.",
            param="payment_intent",
            code="charge_not_refundable",
        )
    return ref(ctx, "charge", charge_id, "payment_intent")


def _refund_amount(charge: Data, params: Params) -> int:
    """The amount to refund: what is left unless `amount` says less."""
    left = charge["amount"] - charge["amount_refunded"]
    if charge["status"] != "succeeded":
        raise SandboxError(
            400,
            f"Charge {charge['id']} has not succeeded, so it cannot be refunded.",
            code="charge_not_refundable",
        )
    if left == 0:
        raise SandboxError(
            400,
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
        )
    amount = int(params.get("amount", left))
    if amount <= 0:
        raise SandboxError.invalid(
            "amount", "Invalid positive integer", code="parameter_invalid_integer"
        )
    if amount > left:
        raise SandboxError(
            400,
            f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on "
            f"charge (${left / 100:.2f})",
            param="amount",
        )
    return amount


def create_refund(ctx: Context, params: Params) -> Data:
    """Refund a card charge in full or in part; Stripe sends refund.created and
    charge.refunded."""
    row = _charge_to_refund(ctx, params)
    charge = row.data
    amount = _refund_amount(charge, params)
    refund = {
        "id": new_id("re", 24),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn", 24),
        "charge": charge["id"],
        "created": ctx.now,
        "currency": charge["currency"],
        "customer": charge["customer"],
        "description": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "failure_balance_transaction": None,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "pending_reason": None,
        "reason": params.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    ctx.insert(refund)
    refunded = charge["amount_refunded"] + amount
    changed = ctx.update(
        row,
        {"amount_refunded": refunded, "refunded": refunded == charge["amount"]},
        silent=True,
    )
    ctx.emit(
        "charge.refunded",
        changed,
        {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]},
    )
    return refund


@includable("charge", "refunds")
def charge_refunds(ctx: Context, charge: Data) -> Data:
    """The charge's refunds, newest first, which Stripe includes only when expanded."""
    rows = ctx.session.scalars(linked("refund", "charge", charge["id"]))
    return list_object(
        [copy.deepcopy(r.data) for r in rows], f"/v1/charges/{charge['id']}/refunds"
    )


def retrieve_refund(ctx: Context, object_id: str, params: Params) -> Data:
    return _row(ctx, "refund", object_id).data


def update_refund(ctx: Context, object_id: str, params: Params) -> Data:
    """Change a refund's metadata; Stripe sends refund.updated."""
    row = _row(ctx, "refund", object_id)
    changes = {}
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    return ctx.update(row, changes)
