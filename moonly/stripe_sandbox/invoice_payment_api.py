"""`GET /v1/invoice_payments` and `GET /v1/invoice_payments/{id}`: how Stripe shows the
PaymentIntent that pays an invoice (`payment.payment_intent`)."""

from __future__ import annotations

from .common import Data, Params, missing
from .errors import SandboxError
from .models import SandboxObject
from .store import Context


def list_invoice_payments(ctx: Context, params: Params) -> Data:
    """Newest first, by invoice, status, or the PaymentIntent that pays it."""
    filters = []
    if "invoice" in params:
        filters.append(SandboxObject.data["invoice"].as_string() == params["invoice"])
    if "status" in params:
        filters.append(SandboxObject.data["status"].as_string() == params["status"])
    payment = params.get("payment", {})
    for key in sorted(set(payment) - {"type", "payment_intent"}):
        raise SandboxError(
            400,
            f"The Moonly sandbox does not implement `payment[{key}]` on GET "
            "/v1/invoice_payments; use Stripe test mode for it.",
            param=f"payment[{key}]",
            code="sandbox_unsupported_parameter",
        )
    if "payment_intent" in payment:
        path = ("payment", "payment_intent")
        filters.append(
            SandboxObject.data[path].as_string() == payment["payment_intent"]
        )
    if "type" in payment:
        path = ("payment", "type")
        filters.append(SandboxObject.data[path].as_string() == payment["type"])
    return ctx.list("invoice_payment", params, *filters, url="/v1/invoice_payments")


def retrieve_invoice_payment(ctx: Context, object_id: str, params: Params) -> Data:
    row = ctx.session.get(SandboxObject, object_id)
    if row is None or row.object != "invoice_payment":
        raise missing("invoice_payment", object_id)
    return row.data
