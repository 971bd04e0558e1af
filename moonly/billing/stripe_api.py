"""The one module that talks to Stripe.

With STRIPE_SECRET_KEY set it talks to Stripe itself (use a test-mode key), or to the
address in STRIPE_API_BASE (such as the offline sandbox served over HTTP); without a
key,
to the offline sandbox in-process (`moonly.stripe_sandbox`, on a database of its own).
Either way every call goes through the real `stripe.StripeClient` and its `client.v1.*`
services, and mypy checks them against the SDK's typed params for the API version
it pins.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import stripe
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from ..stripe_sandbox import Sandbox

SANDBOX_API_KEY = "sk_test_moonly_offline_sandbox"
SANDBOX_EXTENSION = "moonly.stripe_sandbox"
# Offline, in-process: where the app serves the sandbox's pages (hosted Checkout, the
# customer portal, 3-D Secure), as Stripe serves them on its own origin.
SANDBOX_PAGES = "/_stripe-sandbox"
StripeError = stripe.StripeError
Fetched = TypeVar("Fetched")


def is_sandbox() -> bool:
    """True when the Stripe we talk to is the offline sandbox, in-process or over
    HTTP."""
    config = current_app.config
    return not config.get("STRIPE_SECRET_KEY") or bool(config.get("STRIPE_API_BASE"))


def in_process_sandbox(app: Flask | None = None) -> Sandbox | None:
    """The in-process sandbox (no STRIPE_SECRET_KEY), made on first use; else None."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("STRIPE_SECRET_KEY"):
        return None
    ext = app.extensions
    if SANDBOX_EXTENSION not in ext:
        ext[SANDBOX_EXTENSION] = Sandbox(
            sandbox_database_url(app.config),
            public_url=app.config["SERVER_ADDRESS"] + SANDBOX_PAGES,
        )
    found: Sandbox = ext[SANDBOX_EXTENSION]
    return found


def sandbox_database_url(config: Any) -> str:
    """STRIPE_SANDBOX_DATABASE_URL, else one derived from the app's own database: a
    sibling SQLite file, or the same PostgreSQL database (the sandbox keeps its tables
    in a schema of its own)."""
    app_url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if config.get("STRIPE_SANDBOX_DATABASE_URL"):
        return str(config["STRIPE_SANDBOX_DATABASE_URL"])
    url = app_url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise RuntimeError(
                "An in-memory app database cannot derive the sandbox's; set "
                "STRIPE_SANDBOX_DATABASE_URL."
            )
        path = Path(url.database)
        url = url.set(
            database=str(path.with_name(f"{path.stem}.stripe-sandbox.sqlite3"))
        )
    return url.render_as_string(hide_password=False)


def build_client() -> stripe.StripeClient:
    config = current_app.config
    retries = int(config["STRIPE_MAX_NETWORK_RETRIES"])
    if config.get("STRIPE_SECRET_KEY"):
        base = config.get("STRIPE_API_BASE")
        return stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            max_network_retries=retries,
            base_addresses={"api": base} if base else {},
        )
    sandbox = in_process_sandbox()
    assert sandbox is not None
    return stripe.StripeClient(
        SANDBOX_API_KEY, http_client=sandbox.http_client(), max_network_retries=retries
    )


def client() -> stripe.StripeClient:
    """The app's StripeClient, built once per app."""
    ext = current_app.extensions
    if "moonly.stripe" not in ext:
        ext["moonly.stripe"] = build_client()
    found: stripe.StripeClient = ext["moonly.stripe"]
    return found


def _sandbox_helper(path: str) -> dict[str, Any]:
    """Call one of the sandbox's own test helpers (`/v1/test_helpers/sandbox/…`)."""
    response = client().raw_request("post", "/v1/test_helpers/sandbox/" + path)
    found: dict[str, Any] = json.loads(response.body)
    return found


def advance_subscription(subscription_id: str) -> dict[str, Any]:
    """Offline: move a subscription to its next period; the renewal invoice, or the
    subscription when it ended."""
    return _sandbox_helper(f"subscriptions/{subscription_id}/advance")


def reset_sandbox() -> None:
    """Offline: forget every object and event in the sandbox."""
    _sandbox_helper("reset")


def unless_gone(retrieve: Callable[[str], Fetched], object_id: str) -> Fetched | None:
    """The object as Stripe holds it now, or None when Stripe no longer has it (404)."""
    try:
        return retrieve(object_id)
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return None
        raise


def dashboard_url(kind: str, object_id: str) -> str | None:
    """A link to the object in Stripe's test-mode dashboard (none offline)."""
    if is_sandbox():
        return None
    return f"https://dashboard.stripe.com/test/{kind}/{object_id}"


# Customers


def create_customer(
    *, email: str, name: str, metadata: dict[str, str], idempotency_key: str
) -> stripe.Customer:
    return client().v1.customers.create(
        params={"email": email, "name": name, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    )


def retrieve_customer(customer_id: str) -> stripe.Customer:
    return client().v1.customers.retrieve(customer_id)


def delete_customer(customer_id: str) -> stripe.Customer:
    """Delete a customer; Stripe also cancels its subscriptions at once."""
    return client().v1.customers.delete(customer_id)


def customers_with_email(email: str) -> list[stripe.Customer]:
    return list(client().v1.customers.list(params={"email": email, "limit": 100}).data)


# Catalog


def retrieve_coupon(coupon_id: str) -> stripe.Coupon | None:
    return unless_gone(client().v1.coupons.retrieve, coupon_id)


def create_coupon(
    *, coupon_id: str, name: str, percent_off: float, duration_in_months: int
) -> stripe.Coupon:
    return client().v1.coupons.create(
        params={
            "id": coupon_id,
            "name": name,
            "percent_off": percent_off,
            "duration": "repeating",
            "duration_in_months": duration_in_months,
        },
    )


def prices_by_lookup_key(lookup_keys: list[str]) -> dict[str, stripe.Price]:
    prices = client().v1.prices.list(
        params={"lookup_keys": lookup_keys, "active": True, "limit": 100}
    )
    return {p.lookup_key: p for p in prices.data if p.lookup_key}


def products_by_plan() -> dict[str, stripe.Product]:
    """Active products that `flask stripe bootstrap` made, by their `moonly_plan`
    metadata."""
    found: dict[str, stripe.Product] = {}
    for product in (
        client()
        .v1.products.list(params={"active": True, "limit": 100})
        .auto_paging_iter()
    ):
        plan = (
            product.metadata.to_dict().get("moonly_plan") if product.metadata else None
        )
        if plan:
            found.setdefault(plan, product)
    return found


def create_product(*, plan: str, name: str, description: str) -> stripe.Product:
    return client().v1.products.create(
        params={
            "name": name,
            "description": description,
            "metadata": {"moonly_plan": plan},
        },
    )


def create_price(
    *,
    product_id: str,
    lookup_key: str,
    unit_amount: int,
    interval: Literal["month", "year"],
) -> stripe.Price:
    return client().v1.prices.create(
        params={
            "product": product_id,
            "currency": "usd",
            "unit_amount": unit_amount,
            "recurring": {"interval": interval},
            "lookup_key": lookup_key,
            "transfer_lookup_key": True,
        },
    )


# Payments and subscriptions


def attach_payment_method(
    payment_method: str, *, customer_id: str, idempotency_key: str
) -> stripe.PaymentMethod:
    """Attach a payment method (or one of Stripe's `pm_card_*` test ids) to a
    customer."""
    return client().v1.payment_methods.attach(
        payment_method,
        params={"customer": customer_id},
        options={"idempotency_key": idempotency_key},
    )


def create_subscription(
    *,
    customer_id: str,
    price_id: str,
    payment_method_id: str,
    metadata: dict[str, str],
    coupon_id: str | None,
    idempotency_key: str,
    trial_days: int = 0,
) -> stripe.Subscription:
    """Subscribe the customer; fail with 402 instead of leaving it incomplete."""
    params: stripe.params.SubscriptionCreateParams = {
        "customer": customer_id,
        "items": [{"price": price_id}],
        "default_payment_method": payment_method_id,
        "metadata": metadata,
        # Today's API takes the coupon here, not on the customer.
        "discounts": [{"coupon": coupon_id}] if coupon_id else [],
        "payment_behavior": "error_if_incomplete",
    }
    if trial_days:
        params["trial_period_days"] = trial_days
    return client().v1.subscriptions.create(
        params=params, options={"idempotency_key": idempotency_key}
    )


def retrieve_subscription(subscription_id: str) -> stripe.Subscription:
    """The subscription as Stripe holds it now, with its discounts expanded."""
    return client().v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["discounts"]}
    )


def cancel_at_period_end(subscription_id: str) -> stripe.Subscription:
    return client().v1.subscriptions.update(
        subscription_id, params={"cancel_at_period_end": True}
    )


def cancel_subscription(subscription_id: str) -> stripe.Subscription:
    """End the subscription now (customer.subscription.deleted)."""
    return client().v1.subscriptions.cancel(subscription_id)


def end_trial_now(subscription_id: str) -> stripe.Subscription:
    """End the trial now: the first invoice is made and paid at once."""
    return client().v1.subscriptions.update(
        subscription_id, params={"trial_end": "now"}
    )


def switch_price(
    subscription_id: str, item_id: str, price_id: str
) -> stripe.Subscription:
    """Move the subscription's one item to another price, prorated."""
    return client().v1.subscriptions.update(
        subscription_id,
        params={
            "items": [{"id": item_id, "price": price_id}],
            "proration_behavior": "create_prorations",
        },
    )


def list_charges(customer_id: str) -> list[stripe.Charge]:
    found = client().v1.charges.list(params={"customer": customer_id, "limit": 100})
    return list(found.data)


def refund_charge(charge_id: str, *, idempotency_key: str) -> stripe.Refund:
    """Refund what is left of a charge (charge.refunded)."""
    return client().v1.refunds.create(
        params={"charge": charge_id, "reason": "requested_by_customer"},
        options={"idempotency_key": idempotency_key},
    )


def retrieve_invoice(invoice_id: str) -> stripe.Invoice:
    return client().v1.invoices.retrieve(invoice_id)


def preview_next_invoice(customer_id: str, subscription_id: str) -> stripe.Invoice:
    return client().v1.invoices.create_preview(
        params={"customer": customer_id, "subscription": subscription_id}
    )


def retrieve_charge(charge_id: str) -> stripe.Charge:
    return client().v1.charges.retrieve(charge_id)


def list_subscriptions(customer_id: str) -> list[stripe.Subscription]:
    found = client().v1.subscriptions.list(
        params={"customer": customer_id, "status": "all", "limit": 100}
    )
    return list(found.data)


def list_invoices(customer_id: str) -> list[stripe.Invoice]:
    return list(
        client().v1.invoices.list(params={"customer": customer_id, "limit": 100}).data
    )


# Hosted Checkout and the customer portal


def create_checkout_session(
    *,
    customer_id: str,
    price_id: str,
    client_reference_id: str,
    subscription_metadata: dict[str, str],
    coupon_id: str | None,
    trial_days: int,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> stripe.checkout.Session:
    """A Checkout Session for one plan; Stripe's page collects the card."""
    subscription_data: stripe.params.checkout.SessionCreateParamsSubscriptionData = {
        "metadata": subscription_metadata
    }
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    return client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "line_items": [{"price": price_id, "quantity": 1}],
            "discounts": [{"coupon": coupon_id}] if coupon_id else [],
            "subscription_data": subscription_data,
            "client_reference_id": client_reference_id,
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options={"idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(session_id: str) -> stripe.checkout.Session:
    return client().v1.checkout.sessions.retrieve(session_id)


def open_checkout_sessions(customer_id: str) -> list[stripe.checkout.Session]:
    found = client().v1.checkout.sessions.list(
        params={"customer": customer_id, "status": "open", "limit": 100}
    )
    return list(found.data)


def list_checkout_sessions(customer_id: str) -> list[stripe.checkout.Session]:
    found = client().v1.checkout.sessions.list(
        params={"customer": customer_id, "limit": 100}
    )
    return list(found.data)


def expire_checkout_session(session_id: str) -> stripe.checkout.Session:
    return client().v1.checkout.sessions.expire(session_id)


def create_portal_session(
    customer_id: str, return_url: str, configuration: str | None
) -> stripe.billing_portal.Session:
    params: stripe.params.billing_portal.SessionCreateParams = {
        "customer": customer_id,
        "return_url": return_url,
    }
    if configuration:
        params["configuration"] = configuration
    return client().v1.billing_portal.sessions.create(params=params)


def portal_configurations() -> list[stripe.billing_portal.Configuration]:
    found = client().v1.billing_portal.configurations.list(params={"limit": 100})
    return list(found.data)


def save_portal_configuration(
    configuration_id: str | None,
    params: stripe.params.billing_portal.ConfigurationCreateParams,
) -> stripe.billing_portal.Configuration:
    """Create the portal configuration, or update the one Moonly made before."""
    if configuration_id is None:
        return client().v1.billing_portal.configurations.create(params=params)
    # The same features; the SDK types them as two TypedDicts of the same shape.
    update: stripe.params.billing_portal.ConfigurationUpdateParams = {
        "features": cast(Any, params["features"]),
        "business_profile": params.get("business_profile", {}),
        "metadata": params.get("metadata", {}),
    }
    return client().v1.billing_portal.configurations.update(
        configuration_id, params=update
    )


# Webhook endpoints (connecting Stripe to Cello)

# The SDK types event names as one long Literal; these lists are checked against the
# API itself (the sandbox refuses unknown names, as Stripe does).
EventNames = Any


def webhook_endpoints() -> list[stripe.WebhookEndpoint]:
    return list(
        client().v1.webhook_endpoints.list(params={"limit": 100}).auto_paging_iter()
    )


def create_webhook_endpoint(
    url: str,
    events: EventNames,
    description: str = "Cello referral attribution (created by Moonly)",
    metadata: dict[str, str] | None = None,
    idempotency_key: str | None = None,
) -> stripe.WebhookEndpoint:
    """Create an endpoint; Stripe shows its signing secret in this answer only."""
    return client().v1.webhook_endpoints.create(
        params={
            "url": url,
            "enabled_events": events,
            "description": description,
            "metadata": metadata or {},
        },
        options={"idempotency_key": idempotency_key} if idempotency_key else {},
    )


def retrieve_webhook_endpoint(endpoint_id: str) -> stripe.WebhookEndpoint | None:
    return unless_gone(client().v1.webhook_endpoints.retrieve, endpoint_id)


def move_webhook_endpoint(endpoint_id: str, url: str) -> stripe.WebhookEndpoint:
    return client().v1.webhook_endpoints.update(
        endpoint_id, params={"url": url, "disabled": False}
    )


def update_webhook_endpoint(
    endpoint_id: str, events: EventNames
) -> stripe.WebhookEndpoint:
    return client().v1.webhook_endpoints.update(
        endpoint_id, params={"enabled_events": events, "disabled": False}
    )
