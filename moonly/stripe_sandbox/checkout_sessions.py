"""Checkout Sessions in subscription mode: the API, and paying one from its hosted page.

A session's `url` is the sandbox's own payment page (`/pay/<cs_…>`, see
checkout_page.py). Paying there creates the customer (when none was given), attaches the
chosen test card and creates the subscription through the same code as
`POST /v1/subscriptions`, so the same events follow `checkout.session.completed`.
"""

from __future__ import annotations

import copy
import time
from typing import TypedDict

from sqlalchemy import select
from stripe.params import checkout as cp

from . import customers, payment_methods, promotion_codes, subscriptions
from . import discounts as di
from .cards import TEST_CARDS
from .common import missing, ref, require
from .errors import SandboxError
from .expansion import includable
from .ids import new_id
from .models import SandboxDelivery, SandboxEvent, SandboxObject
from .resources import merge_metadata
from .routing import PAGING, RouteSpec
from .shapes import Data, Params
from .store import Context, param_filters

DAY = 86_400
_ITEMS = "sandbox_checkout_items"  # hidden rows holding each session's line items
_SUBSCRIPTION_DATA = {"metadata", "description", "trial_period_days"}
ONE_OF = "You may only specify one of these parameters: {}, {}."


class SubscriptionData(TypedDict):
    """The session's `subscription_data`, for the subscription that paying makes."""

    description: str | None
    metadata: dict[str, str]
    trial_period_days: int | None


class SessionExtras(TypedDict):
    """What the page needs of a session and the API never shows."""

    items: list[Data]  # the session's line items (Stripe's `item` objects)
    subscription_data: SubscriptionData


def unsupported(param: str, what: str = "Checkout Sessions") -> SandboxError:
    return SandboxError.not_implemented(param, what)


def page_url(ctx: Context, session_id: str) -> str:
    return f"{ctx.public_url}/pay/{session_id}"


# Amounts


def _product_name(ctx: Context, price: Data) -> str:
    product = ctx.session.get(SandboxObject, price["product"])
    return str(product.data["name"]) if product is not None else price["product"]


def _line_items(ctx: Context, params: Params) -> list[Data]:
    items = require(params, "line_items")
    if not items:
        raise SandboxError.invalid("line_items", "line_items must not be empty.")
    found = []
    for i, item in enumerate(items):
        for key in sorted(set(item) - {"price", "quantity"}):
            raise unsupported(f"line_items[{i}][{key}]")
        param = f"line_items[{i}][price]"
        if "price" not in item:
            raise SandboxError.missing_param(param)
        price = ref(ctx, "price", item["price"], param)
        if not price.data["active"]:
            raise SandboxError.invalid(
                param, f"The price `{price.id}` is not available to be purchased."
            )
        if price.data["type"] != "recurring":
            raise unsupported(f"{param} (a one-time price in subscription mode)")
        quantity = item.get("quantity", 1)
        if quantity < 1:
            raise SandboxError.invalid(
                f"line_items[{i}][quantity]", "Quantity must be at least 1."
            )
        found.append(
            {
                "id": new_id("li", 24),
                "object": "item",
                "adjustable_quantity": None,
                "amount_discount": 0,
                "amount_subtotal": price.data["unit_amount"] * quantity,
                "amount_tax": 0,
                "amount_total": price.data["unit_amount"] * quantity,
                "currency": price.data["currency"],
                "description": _product_name(ctx, price.data),
                "metadata": {},
                "price": copy.deepcopy(price.data),
                "quantity": quantity,
            }
        )
    terms = {
        (
            i["currency"],
            i["price"]["recurring"]["interval"],
            i["price"]["recurring"]["interval_count"],
        )
        for i in found
    }
    if len(terms) > 1:
        raise SandboxError.invalid(
            "line_items",
            "Checkout does not support multiple prices with different billing "
            "intervals or currencies.",
        )
    return found


def price_items(ctx: Context, items: list[Data], discounts: list[Data]) -> Data:
    """Set each item's discount and total; answer the session's money fields."""
    coupons = [
        {"id": f"preview_{i}", "source": {"coupon": d["coupon"]}}
        for i, d in enumerate(discounts)
    ]
    amounts = [i["amount_subtotal"] for i in items]
    per_line = di.line_discounts(ctx, coupons, amounts, items[0]["currency"])
    for item, offs in zip(items, per_line, strict=True):
        item["amount_discount"] = sum(o["amount"] for o in offs)
        item["amount_total"] = item["amount_subtotal"] - item["amount_discount"]
    subtotal = sum(amounts)
    total = sum(i["amount_total"] for i in items)
    return {
        "amount_subtotal": subtotal,
        "amount_total": total,
        "total_details": {
            "amount_discount": subtotal - total,
            "amount_shipping": 0,
            "amount_tax": 0,
        },
    }


def _due_today(money: Data, subscription_data: Params) -> Data:
    """With a trial nothing is due today: Stripe's session totals are 0."""
    if not subscription_data.get("trial_period_days"):
        return money
    return {
        "amount_subtotal": 0,
        "amount_total": 0,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    }


def _discounts(ctx: Context, params: Params, customer: str | None) -> list[Data]:
    found = []
    for i, discount in enumerate(params.get("discounts", [])):
        if ("coupon" in discount) == ("promotion_code" in discount):
            raise SandboxError.invalid(
                f"discounts[{i}]", ONE_OF.format("coupon", "promotion_code")
            )
        if "coupon" in discount:
            param = f"discounts[{i}][coupon]"
            coupon = ref(ctx, "coupon", discount["coupon"], param).data
            di.check_coupon(ctx, coupon, param)
            found.append({"coupon": coupon["id"], "promotion_code": None})
        else:
            param = f"discounts[{i}][promotion_code]"
            code = ref(ctx, "promotion_code", discount["promotion_code"], param).data
            promotion_codes.check_redeemable(ctx, code, customer, param)
            found.append(
                {"coupon": code["promotion"]["coupon"], "promotion_code": code["id"]}
            )
    if len(found) > 1:
        raise SandboxError.invalid(
            "discounts", "You may only specify one discount on a Checkout Session."
        )
    return found


# The API


def _check(params: Params) -> None:
    mode = require(params, "mode")
    if mode != "subscription":
        raise unsupported(f"mode={mode}")
    if "customer" in params and "customer_email" in params:
        raise SandboxError.invalid(
            "customer_email", ONE_OF.format("customer", "customer_email")
        )
    if "discounts" in params and params.get("allow_promotion_codes"):
        raise SandboxError.invalid(
            "allow_promotion_codes", ONE_OF.format("allow_promotion_codes", "discounts")
        )
    for name in ("success_url", "cancel_url"):
        url = params.get(name)
        if url is not None and not url.startswith(("http://", "https://")):
            raise SandboxError.invalid(name, "Not a valid URL")
    data = params.get("subscription_data", {})
    days = data.get("trial_period_days")
    if days is not None and not 1 <= days <= 730:
        raise SandboxError.invalid(
            "subscription_data[trial_period_days]",
            "The trial period must be between 1 and 730 days.",
            code="parameter_invalid_integer",
        )
    for key in sorted(set(data) - _SUBSCRIPTION_DATA):
        raise unsupported(f"subscription_data[{key}]")


def _expires_at(ctx: Context, params: Params) -> int:
    expires_at = params.get("expires_at", ctx.now + DAY)
    if not ctx.now + 30 * 60 <= expires_at <= ctx.now + DAY:
        raise SandboxError.invalid(
            "expires_at",
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
            "Checkout Session creation.",
        )
    return int(expires_at)


def create_session(ctx: Context, params: Params) -> Data:
    """An open session for a subscription; its `url` is the sandbox's payment page."""
    _check(params)
    customer = params.get("customer")
    if customer is not None:
        ref(ctx, "customer", customer, "customer")
    items = _line_items(ctx, params)
    discounts = _discounts(ctx, params, customer)
    session_id = new_id("cs_test", 58)
    data = params.get("subscription_data", {})
    session = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": params.get("allow_promotion_codes"),
        **_due_today(price_items(ctx, items, discounts), data),
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": ctx.now,
        "currency": items[0]["currency"],
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer,
        "customer_account": None,
        "customer_creation": None,
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": discounts,
        "expires_at": _expires_at(ctx, params),
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": None,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "mode": "subscription",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "origin_context": None,
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "redirect_on_completion": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "ui_mode": "hosted",
        "url": page_url(ctx, session_id),
        "wallet_options": None,
    }
    extras = SessionExtras(
        items=items,
        subscription_data=SubscriptionData(
            description=data.get("description"),
            metadata=merge_metadata({}, data.get("metadata", {})),
            trial_period_days=data.get("trial_period_days"),
        ),
    )
    ctx.insert(
        {"id": f"{_ITEMS}_{session_id}", "object": _ITEMS, **extras}, silent=True
    )
    ctx.insert(session, silent=True)  # Stripe sends no checkout.session.created
    return session


def hidden(ctx: Context, session_id: str) -> SessionExtras:
    """The session's line items and subscription_data, as stored at creation."""
    row = ctx.session.get(SandboxObject, f"{_ITEMS}_{session_id}")
    assert row is not None
    return SessionExtras(
        items=row.data["items"], subscription_data=row.data["subscription_data"]
    )


@includable("checkout.session", "line_items")
def _list_of_items(ctx: Context, session: Data) -> Data:
    """The session's line items, which Stripe includes only when expanded."""
    return {
        "object": "list",
        "data": copy.deepcopy(hidden(ctx, session["id"])["items"]),
        "has_more": False,
        "url": f"/v1/checkout/sessions/{session['id']}/line_items",
    }


def session_row(ctx: Context, session_id: str, *, lock: bool = False) -> SandboxObject:
    """The session, expired first if its time ran out (checkout.session.expired)."""
    row = ctx.session.get(SandboxObject, session_id, with_for_update=lock or None)
    if row is None or row.object != "checkout.session":
        raise missing("checkout.session", session_id)
    if row.data["status"] == "open" and row.data["expires_at"] <= ctx.now:
        _expire(ctx, row)
    return row


def _expire(ctx: Context, row: SandboxObject) -> Data:
    data = ctx.update(row, {"status": "expired", "url": None}, silent=True)
    ctx.emit("checkout.session.expired", data)
    return data


def retrieve_session(ctx: Context, object_id: str, params: Params) -> Data:
    return session_row(ctx, object_id).data


def _expire_overdue(ctx: Context) -> None:
    overdue = ctx.session.scalars(
        select(SandboxObject).where(
            SandboxObject.object == "checkout.session",
            SandboxObject.data["status"].as_string() == "open",
            SandboxObject.data["expires_at"].as_integer() <= ctx.now,
        )
    )
    for row in overdue:
        _expire(ctx, row)


def list_sessions(ctx: Context, params: Params) -> Data:
    """Newest first, filtered by customer, status, subscription or payment_intent."""
    _expire_overdue(ctx)
    filters = param_filters(
        params, "customer", "status", "subscription", "payment_intent"
    )
    found = ctx.list("checkout.session", params, *filters, url="/v1/checkout/sessions")
    return found


def list_line_items(ctx: Context, object_id: str, params: Params) -> Data:
    session = session_row(ctx, object_id).data
    items = _list_of_items(ctx, session)
    data = items["data"]
    if "starting_after" in params:
        ids = [i["id"] for i in data]
        if params["starting_after"] not in ids:
            raise SandboxError.no_such(
                "item", params["starting_after"], "starting_after"
            )
        data = data[ids.index(params["starting_after"]) + 1 :]
    limit = int(params.get("limit", 10))
    items["has_more"] = len(data) > limit
    items["data"] = data[:limit]
    return items


def expire_session(ctx: Context, object_id: str, params: Params) -> Data:
    """Expire an open session now; its page stops taking payments."""
    row = session_row(ctx, object_id)
    if row.data["status"] != "open":
        raise SandboxError(
            400,
            f'Only Checkout Sessions with a status in ["open"] can be expired. This '
            f'Checkout Session has a status of "{row.data["status"]}".',
        )
    return _expire(ctx, row)


# Paying from the hosted page


def apply_promotion_code(ctx: Context, row: SandboxObject, code: str) -> Data:
    """Apply a code the customer typed; a code that cannot be used is refused."""
    found = promotion_codes.find_active(ctx, code) if code.strip() else None
    if found is None:
        raise SandboxError.invalid("promotion_code", "This code is invalid.")
    promotion_codes.check_redeemable(ctx, found, row.data["customer"], "promotion_code")
    coupon = ref(ctx, "coupon", found["promotion"]["coupon"], "promotion_code").data
    di.check_coupon(ctx, coupon, "promotion_code")
    return _set_discounts(
        ctx, row, [{"coupon": coupon["id"], "promotion_code": found["id"]}]
    )


def remove_promotion_code(ctx: Context, row: SandboxObject) -> Data:
    return _set_discounts(ctx, row, [])


def _set_discounts(ctx: Context, row: SandboxObject, discounts: list[Data]) -> Data:
    extra = ctx.session.get(SandboxObject, f"{_ITEMS}_{row.id}")
    assert extra is not None
    items = copy.deepcopy(extra.data["items"])
    amounts = price_items(ctx, items, discounts)
    extra.data = {**extra.data, "items": items}
    return ctx.update(row, {"discounts": discounts, **amounts}, silent=True)


def pay(ctx: Context, row: SandboxObject, card_id: str, *, authenticated: bool) -> Data:
    """Pay an open session with a test card: customer, card, subscription, completion.

    A decline raises the card error; the caller rolls everything back."""
    session = row.data
    started_ns = time.time_ns()
    extra = hidden(ctx, session["id"])
    customer_id = session["customer"]
    if customer_id is None:
        customer_id = customers.create_customer(
            ctx,
            {"email": session["customer_email"]} if session["customer_email"] else {},
        )["id"]
    if card_id not in TEST_CARDS:
        raise SandboxError.invalid("payment_method", "Choose one of the test cards.")
    pm = payment_methods.attach(ctx, card_id, {"customer": customer_id})
    if authenticated:
        ctx.authenticated.add(pm["id"])
    discounts = [
        {"promotion_code": d["promotion_code"]}
        if d["promotion_code"]
        else {"coupon": d["coupon"]}
        for d in session["discounts"]
    ]
    params: Params = {
        "customer": customer_id,
        "items": [
            {"price": i["price"]["id"], "quantity": i["quantity"]}
            for i in extra["items"]
        ],
        "default_payment_method": pm["id"],
        "payment_behavior": "error_if_incomplete",
        "metadata": extra["subscription_data"]["metadata"],
        "discounts": discounts,
    }
    if extra["subscription_data"].get("trial_period_days"):
        params["trial_period_days"] = extra["subscription_data"]["trial_period_days"]
    sub = subscriptions.create_subscription(ctx, params)
    invoice = ctx.get("invoice", sub["latest_invoice"]).data
    customer = ctx.get("customer", customer_id).data
    completed = ctx.update(
        row,
        {
            "status": "complete",
            "payment_status": "paid",
            "customer": customer_id,
            "customer_details": {
                "address": None,
                "business_name": None,
                "email": customer["email"],
                "individual_name": None,
                "name": customer["name"],
                "phone": customer["phone"],
                "tax_exempt": customer["tax_exempt"],
                "tax_ids": [],
            },
            "subscription": sub["id"],
            "invoice": invoice["id"],
            "amount_subtotal": invoice["subtotal"],
            "amount_total": invoice["total"],
            "total_details": {
                "amount_discount": invoice["subtotal"] - invoice["total"],
                "amount_shipping": 0,
                "amount_tax": 0,
            },
            "url": None,
        },
        silent=True,
    )
    _emit_first(ctx, "checkout.session.completed", completed, started_ns)
    return completed


def _emit_first(ctx: Context, event_type: str, obj: Data, before_ns: int) -> None:
    """Emit an event ordered before those the request made since `before_ns`.

    Moonly's issue 10 asks for `checkout.session.completed` first, then the customer,
    subscription, invoice and charge events (Stripe itself guarantees no order)."""
    ctx.emit(event_type, obj)
    for pending in list(ctx.session.new):
        if isinstance(pending, SandboxEvent) and pending.type == event_type:
            pending.created_ns = before_ns - 1
            for delivery in ctx.session.new:
                if (
                    isinstance(delivery, SandboxDelivery)
                    and delivery.event_id == pending.id
                ):
                    delivery.created_ns = before_ns - 1


CHECKOUT_ROUTES: list[RouteSpec] = [
    (
        "post",
        "/v1/checkout/sessions",
        cp.SessionCreateParams,
        create_session,
        "mode customer customer_email line_items discounts allow_promotion_codes "
        "subscription_data client_reference_id metadata success_url cancel_url "
        "expires_at expand",
    ),
    (
        "get",
        "/v1/checkout/sessions",
        cp.SessionListParams,
        list_sessions,
        PAGING + " customer status subscription payment_intent created expand",
    ),
    (
        "get",
        "/v1/checkout/sessions/{id}",
        cp.SessionRetrieveParams,
        retrieve_session,
        "expand",
    ),
    (
        "get",
        "/v1/checkout/sessions/{id}/line_items",
        cp.SessionListLineItemsParams,
        list_line_items,
        "limit starting_after",
    ),
    (
        "post",
        "/v1/checkout/sessions/{id}/expire",
        cp.SessionExpireParams,
        expire_session,
        "expand",
    ),
]
