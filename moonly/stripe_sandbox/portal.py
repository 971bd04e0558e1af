"""The customer portal: configurations, sessions, and what the portal page does.

A session's `url` is the sandbox's own portal page (`/portal/<bps_…>`, portal_page.py).
Each action there goes through the same code as the API: subscription updates and
cancels, attaching a card and setting it as the customer's default.
"""

from __future__ import annotations

import copy

from sqlalchemy import select
from stripe.params import billing_portal as bp

from . import customers, payment_methods, plan_change, subscriptions
from .common import named, ref
from .errors import SandboxError
from .ids import new_id
from .models import SandboxObject
from .resources import merge_metadata
from .routing import PAGING, RouteSpec
from .shapes import Data, Params
from .store import Context, linked

LIVE = ("active", "past_due", "trialing", "incomplete")
# The configuration fields the sandbox acts on; turning on any other is refused.
_SUPPORTED = {
    "invoice_history": {"enabled"},
    "payment_method_update": {"enabled"},
    "subscription_cancel": {"enabled", "mode", "proration_behavior"},
    "subscription_update": {
        "enabled",
        "default_allowed_updates",
        "products",
        "proration_behavior",
    },
}


def _unsupported(param: str) -> SandboxError:
    return SandboxError.not_implemented(param, "the customer portal")


def _check_features(features: Params) -> None:
    for name, value in features.items():
        supported = _SUPPORTED.get(name)
        if supported is None:
            if value.get("enabled"):
                raise _unsupported(f"features[{name}][enabled]")
            continue
        for key in sorted(set(value) - supported):
            raise _unsupported(f"features[{name}][{key}]")
    update = features.get("subscription_update", {})
    for allowed in update.get("default_allowed_updates") or []:
        if allowed != "price":
            raise _unsupported(
                f"features[subscription_update][default_allowed_updates] ({allowed})"
            )
    cancel = features.get("subscription_cancel", {})
    if cancel.get("proration_behavior", "none") != "none":
        raise _unsupported("features[subscription_cancel][proration_behavior]")


def _products(ctx: Context, products: list[Data]) -> list[Data]:
    found = []
    for i, entry in enumerate(products):
        param = f"features[subscription_update][products][{i}]"
        if (entry.get("adjustable_quantity") or {}).get("enabled"):
            raise _unsupported(f"{param}[adjustable_quantity]")
        ref(ctx, "product", entry["product"], f"{param}[product]")
        for j, price_id in enumerate(entry["prices"]):
            price = ref(ctx, "price", price_id, f"{param}[prices][{j}]").data
            if price["product"] != entry["product"] or price["type"] != "recurring":
                raise SandboxError.invalid(
                    f"{param}[prices][{j}]",
                    f"The price {price_id} must be a recurring price of product "
                    f"{entry['product']}.",
                )
        found.append(
            {
                "adjustable_quantity": {
                    "enabled": False,
                    "maximum": None,
                    "minimum": 1,
                },
                "prices": list(entry["prices"]),
                "product": entry["product"],
            }
        )
    return found


def _features(ctx: Context, current: Data, changes: Params) -> Data:
    """The configuration's features with the changes applied, then checked."""
    _check_features(changes)
    features = copy.deepcopy(current)
    for name, value in changes.items():
        target = features[name]
        for key, new in value.items():
            if key == "products":
                target[key] = _products(ctx, new or [])
            elif key == "default_allowed_updates":
                target[key] = list(new or [])
            else:
                target[key] = new
    update = features["subscription_update"]
    if (
        update["enabled"]
        and "price" in update["default_allowed_updates"]
        and not (update["products"])
    ):
        raise SandboxError.invalid(
            "features[subscription_update][products]",
            "You must specify at least one product when `price` is in "
            "`default_allowed_updates`.",
        )
    return features


def _default_features() -> Data:
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": False},
        "payment_method_update": {
            "enabled": False,
            "payment_method_configuration": None,
        },
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "options": []},
            "enabled": False,
            "mode": "at_period_end",
            "proration_behavior": "none",
        },
        "subscription_pause": {
            "duration": {"interval_options": [], "type": "indefinite"},
            "enabled": False,
        },
        "subscription_update": {
            "billing_cycle_anchor": None,
            "default_allowed_updates": [],
            "enabled": False,
            "products": [],
            "proration_behavior": "none",
            "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
        },
    }


def _url(value: str | None, param: str) -> str | None:
    """A URL the page links to: http(s) only."""
    if value and not value.startswith(("http://", "https://")):
        raise SandboxError.invalid(param, "Not a valid URL")
    return value or None


def _business_profile(current: Data, changes: Params) -> Data:
    profile = dict(current)
    for key, value in changes.items():
        profile[key] = value or None
    return profile


def _default(ctx: Context) -> SandboxObject | None:
    return ctx.session.scalars(
        select(SandboxObject).where(
            SandboxObject.object == "billing_portal.configuration",
            SandboxObject.data["is_default"].as_boolean().is_(True),
        )
    ).first()


def create_configuration(ctx: Context, params: Params) -> Data:
    """A configuration; the sandbox's first one is its default (Stripe's is the
    Dashboard's)."""
    if (params.get("login_page") or {}).get("enabled"):
        raise _unsupported("login_page[enabled]")
    config = {
        "id": new_id("bpc", 24),
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "business_profile": _business_profile(
            {
                "headline": None,
                "privacy_policy_url": None,
                "terms_of_service_url": None,
            },
            params.get("business_profile", {}),
        ),
        "created": ctx.now,
        "default_return_url": _url(
            params.get("default_return_url"), "default_return_url"
        ),
        "features": _features(ctx, _default_features(), params["features"]),
        "is_default": _default(ctx) is None,
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "name": params.get("name") or None,
        "updated": ctx.now,
    }
    return ctx.insert(config)


def _config_row(ctx: Context, object_id: str) -> SandboxObject:
    row = named(ctx, "billing_portal.configuration", object_id)
    return row


def retrieve_configuration(ctx: Context, object_id: str, params: Params) -> Data:
    return _config_row(ctx, object_id).data


def update_configuration(ctx: Context, object_id: str, params: Params) -> Data:
    """Change features, profile, return URL, name, metadata or `active`."""
    row = _config_row(ctx, object_id)
    config = row.data
    if (params.get("login_page") or {}).get("enabled"):
        raise _unsupported("login_page[enabled]")
    changes: Data = {}
    if "features" in params:
        changes["features"] = _features(ctx, config["features"], params["features"])
    if "business_profile" in params:
        changes["business_profile"] = _business_profile(
            config["business_profile"], params["business_profile"]
        )
    if "default_return_url" in params:
        url = params["default_return_url"]
        changes["default_return_url"] = _url(url, "default_return_url")
    if "name" in params:
        changes["name"] = params["name"] or None
    if "active" in params:
        if not params["active"] and config["is_default"]:
            raise SandboxError.invalid(
                "active", "The default configuration cannot be deactivated."
            )
        changes["active"] = params["active"]
    if "metadata" in params:
        changes["metadata"] = merge_metadata(config["metadata"], params["metadata"])
    if changes:
        changes["updated"] = ctx.now
    return ctx.update(row, changes)


def list_configurations(ctx: Context, params: Params) -> Data:
    filters = [
        SandboxObject.data[name].as_boolean() == params[name]
        for name in ("active", "is_default")
        if name in params
    ]
    return ctx.list(
        "billing_portal.configuration",
        params,
        *filters,
        url="/v1/billing_portal/configurations",
    )


# Sessions


def create_session(ctx: Context, params: Params) -> Data:
    """A session for one customer; its `url` is the sandbox's portal page."""
    if "customer" not in params:
        raise SandboxError.missing_param("customer")
    customer = ref(ctx, "customer", params["customer"], "customer")
    if "configuration" in params:
        config = ref(
            ctx,
            "billing_portal.configuration",
            params["configuration"],
            "configuration",
        ).data
        if not config["active"]:
            raise SandboxError.invalid(
                "configuration", f"The configuration {config['id']} is not active."
            )
    else:
        found = _default(ctx)
        if found is None:
            raise SandboxError(
                400,
                "No configuration provided and your test mode default configuration "
                "has not been created. Create one with "
                "`billing_portal.configurations.create` first.",
                param="configuration",
            )
        config = found.data
    return_url = (
        _url(params.get("return_url"), "return_url") or (config["default_return_url"])
    )
    if return_url is None:
        raise SandboxError(
            400,
            "Missing required param: return_url (the configuration has no "
            "default_return_url).",
            param="return_url",
            code="parameter_missing",
        )
    session_id = new_id("bps", 24)
    session = {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": config["id"],
        "created": ctx.now,
        "customer": customer.id,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{ctx.public_url}/portal/{session_id}",
    }
    return ctx.insert(session)


# What the portal page does


def session_and_config(ctx: Context, session_id: str) -> tuple[Data, Data]:
    row = named(ctx, "billing_portal.session", session_id)
    config = ctx.get("billing_portal.configuration", row.data["configuration"]).data
    return row.data, config


def live_subscriptions(ctx: Context, customer: str) -> list[Data]:
    rows = ctx.session.scalars(
        linked("subscription", "customer", customer).where(
            SandboxObject.data["status"].as_string().in_(LIVE)
        )
    )
    return [r.data for r in rows]


def _own_subscription(ctx: Context, session: Data, sub_id: str) -> SandboxObject:
    row = ctx.session.get(SandboxObject, sub_id)
    if (
        row is None
        or row.object != "subscription"
        or (row.data["customer"] != session["customer"])
    ):
        raise SandboxError(404, "This subscription is not yours to change.")
    return row


def _feature(config: Data, name: str) -> Data:
    feature: Data = config["features"][name]
    if not feature["enabled"]:
        raise SandboxError(403, "The portal's configuration does not allow this.")
    return feature


def allowed_prices(config: Data) -> list[str]:
    update = config["features"]["subscription_update"]
    if not update["enabled"] or "price" not in update["default_allowed_updates"]:
        return []
    return [p for product in update["products"] for p in product["prices"]]


def switch_plan(
    ctx: Context, session: Data, config: Data, sub_id: str, price: str
) -> Data:
    feature = _feature(config, "subscription_update")
    if price not in allowed_prices(config):
        raise SandboxError(400, "This plan is not offered here.")
    row = _own_subscription(ctx, session, sub_id)
    return plan_change.switch_price(ctx, row, price, feature["proration_behavior"])


def cancel(ctx: Context, session: Data, config: Data, sub_id: str) -> Data:
    """Cancel at the period's end or at once, as the configuration says."""
    feature = _feature(config, "subscription_cancel")
    _own_subscription(ctx, session, sub_id)
    if feature["mode"] == "immediately":
        return subscriptions.cancel_subscription(ctx, sub_id, {})
    return subscriptions.update_subscription(
        ctx, sub_id, {"cancel_at_period_end": True}
    )


def renew(ctx: Context, session: Data, config: Data, sub_id: str) -> Data:
    """Undo a cancellation that waits for the period's end."""
    _feature(config, "subscription_cancel")
    _own_subscription(ctx, session, sub_id)
    return subscriptions.update_subscription(
        ctx, sub_id, {"cancel_at_period_end": False}
    )


def change_card(ctx: Context, session: Data, config: Data, card: str) -> Data:
    """Attach a test card and make it the default of the customer and their
    subscriptions that name a card of their own."""
    _feature(config, "payment_method_update")
    customer = session["customer"]
    pm = payment_methods.attach(ctx, card, {"customer": customer})
    customers.update_customer(
        ctx, customer, {"invoice_settings": {"default_payment_method": pm["id"]}}
    )
    for sub in live_subscriptions(ctx, customer):
        if sub["default_payment_method"] is not None:
            subscriptions.update_subscription(
                ctx, sub["id"], {"default_payment_method": pm["id"]}
            )
    return pm


PORTAL_ROUTES: list[RouteSpec] = [
    (
        "post",
        "/v1/billing_portal/configurations",
        bp.ConfigurationCreateParams,
        create_configuration,
        "features business_profile default_return_url metadata name login_page",
    ),
    (
        "get",
        "/v1/billing_portal/configurations",
        bp.ConfigurationListParams,
        list_configurations,
        PAGING + " active is_default",
    ),
    (
        "get",
        "/v1/billing_portal/configurations/{id}",
        bp.ConfigurationRetrieveParams,
        retrieve_configuration,
        "",
    ),
    (
        "post",
        "/v1/billing_portal/configurations/{id}",
        bp.ConfigurationUpdateParams,
        update_configuration,
        "features business_profile default_return_url metadata name login_page active",
    ),
    (
        "post",
        "/v1/billing_portal/sessions",
        bp.SessionCreateParams,
        create_session,
        "customer return_url configuration",
    ),
]
