"""Customers: create, retrieve (a deleted one is a stub), update, delete, list."""

from __future__ import annotations

import secrets
import string

from sqlalchemy import select

from .common import at_subscription_time
from .errors import SandboxError
from .ids import new_id
from .lifecycle import end
from .models import SandboxObject
from .payment_methods import set_customer_default
from .resources import merge_metadata
from .shapes import Data, Params
from .store import Context

ENDED = ("canceled", "incomplete_expired")

_CUSTOMER_FIELDS = ("description", "email", "name", "phone", "preferred_locales")


def create_customer(ctx: Context, params: Params) -> Data:
    customer = {
        "id": new_id("cus", 14),
        "object": "customer",
        "address": None,
        "balance": params.get("balance", 0),
        "business_name": params.get("business_name") or None,
        "created": ctx.now,
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "individual_name": params.get("individual_name") or None,
        "invoice_credit_balance": {},
        "invoice_prefix": params.get("invoice_prefix")
        or "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
        ),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "name": params.get("name"),
        "next_invoice_sequence": params.get("next_invoice_sequence", 1),
        "phone": params.get("phone"),
        "preferred_locales": params.get("preferred_locales", []),
        "shipping": None,
        "tax_exempt": params.get("tax_exempt", "none"),
        "test_clock": None,
    }
    return ctx.insert(customer, email=customer["email"])


def retrieve_customer(ctx: Context, object_id: str, params: Params) -> Data:
    row = ctx.session.get(SandboxObject, object_id)
    if row is None or row.object != "customer":
        raise SandboxError.no_such("customer", object_id)
    if row.deleted:
        # Stripe answers a deleted customer's id with a stub, not a 404.
        return {"id": row.id, "object": "customer", "deleted": True}
    return row.data


def update_customer(ctx: Context, object_id: str, params: Params) -> Data:
    row = ctx.get("customer", object_id)
    changes = {k: v for k, v in params.items() if k in _CUSTOMER_FIELDS}
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    if "invoice_settings" in params:
        changes["invoice_settings"] = set_customer_default(
            ctx, row, params["invoice_settings"]
        )
    return ctx.update(row, changes, email=changes.get("email", row.email))


def delete_customer(ctx: Context, object_id: str, params: Params) -> Data:
    """Delete the customer; as in Stripe, its subscriptions are canceled at once."""
    row = ctx.get("customer", object_id)
    live = ctx.session.scalars(
        select(SandboxObject).where(
            SandboxObject.object == "subscription", SandboxObject.deleted.is_(False)
        )
    )
    for sub in live:
        if sub.data["customer"] == object_id and sub.data["status"] not in ENDED:
            end(at_subscription_time(ctx, sub.id), sub, canceled_at=ctx.now)
    return ctx.delete(row)


def list_customers(ctx: Context, params: Params) -> Data:
    filters = []
    if "email" in params:
        # Stripe matches the email case-sensitively.
        filters.append(SandboxObject.email == params["email"])
    return ctx.list("customer", params, *filters, url="/v1/customers")
