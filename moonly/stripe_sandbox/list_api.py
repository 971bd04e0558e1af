"""Lists Stripe has beside the retrieves: refunds, invoice payments (and retrieving
one) and PaymentIntents.

Each takes Stripe's cursors (`limit`, `starting_after`, `ending_before`) and `created`
filter through `Context.list`, and `expand[]=data.…` like every other route.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from stripe import params as sp

from .errors import SandboxError
from .models import SandboxObject
from .routing import PAGING, RouteSpec
from .shapes import Data, Params
from .store import Context

_LIST = PAGING + " created"


def _field(*path: str) -> ColumnElement[str]:
    """A string field of the stored objects to filter on, e.g. `_field("payment",
    "type")`."""
    # Indexing the JSON column is untyped in SQLAlchemy; `as_string` makes it a string.
    field: ColumnElement[str] = SandboxObject.data[
        path if len(path) > 1 else path[0]
    ].as_string()
    return field


def list_refunds(ctx: Context, params: Params) -> Data:
    """Newest first; by `charge` or `payment_intent`."""
    filters = [
        _field(name) == params[name]
        for name in ("charge", "payment_intent")
        if name in params
    ]
    return ctx.list("refund", params, *filters, url="/v1/refunds")


def list_invoice_payments(ctx: Context, params: Params) -> Data:
    """Newest first; by `invoice`, `status`, `payment[type]` and its PaymentIntent."""
    filters = [
        _field(name) == params[name] for name in ("invoice", "status") if name in params
    ]
    # payment[type], payment[payment_intent], payment[payment_record] (the sandbox
    # makes no payment records, so that one finds nothing).
    for key, value in params.get("payment", {}).items():
        filters.append(_field("payment", key) == value)
    return ctx.list("invoice_payment", params, *filters, url="/v1/invoice_payments")


def retrieve_invoice_payment(ctx: Context, object_id: str, params: Params) -> Data:
    row = ctx.session.get(SandboxObject, object_id)
    if row is None or row.object != "invoice_payment":
        raise SandboxError.no_such("invoice_payment", object_id)
    return row.data


def list_payment_intents(ctx: Context, params: Params) -> Data:
    """Newest first; by `customer`."""
    filters = [_field("customer") == params["customer"]] if "customer" in params else []
    return ctx.list("payment_intent", params, *filters, url="/v1/payment_intents")


LIST_ROUTES: list[RouteSpec] = [
    (
        "get",
        "/v1/refunds",
        sp.RefundListParams,
        list_refunds,
        _LIST + " charge payment_intent",
    ),
    (
        "get",
        "/v1/invoice_payments",
        sp.InvoicePaymentListParams,
        list_invoice_payments,
        _LIST + " invoice payment status",
    ),
    (
        "get",
        "/v1/invoice_payments/{id}",
        sp.InvoicePaymentRetrieveParams,
        retrieve_invoice_payment,
        "",
    ),
    (
        "get",
        "/v1/payment_intents",
        sp.PaymentIntentListParams,
        list_payment_intents,
        _LIST + " customer",
    ),
]
