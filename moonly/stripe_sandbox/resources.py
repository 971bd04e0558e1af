"""The catalog: products, prices and coupons, in today's shapes (and metadata rules)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from sqlalchemy import select

from .errors import SandboxError
from .ids import new_id
from .models import SandboxObject
from .shapes import Data, Params
from .store import Context

# Stripe's metadata limits (docs.stripe.com/api/metadata).
METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500


def merge_metadata(
    current: dict[str, str], changes: dict[str, str] | str, param: str = "metadata"
) -> dict[str, str]:
    """Merge metadata as Stripe does: "" unsets a key, and metadata="" unsets all;
    refuse what Stripe refuses (50 keys of up to 40 characters, values up to 500)."""
    if isinstance(changes, str):  # the SDK's params allow "" as the only string
        return {}
    merged = dict(current)
    for key, value in changes.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise SandboxError(
                400,
                f"Invalid key: {key} must be a string under "
                f"{METADATA_KEY_LENGTH} characters",
                param=param,
            )
        if len(value) > METADATA_VALUE_LENGTH:
            raise SandboxError(
                400,
                f"Invalid val: {value} must be a string under "
                f"{METADATA_VALUE_LENGTH} characters",
                param=param,
            )
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > METADATA_KEYS:
        raise SandboxError(
            400,
            f"Metadata can have up to {METADATA_KEYS} keys, but you've set "
            f"{len(merged)}.",
            param=param,
        )
    return merged


# Products


def create_product(ctx: Context, params: Params) -> Data:
    product = {
        "id": params.get("id") or new_id("prod", 14),
        "object": "product",
        "active": params.get("active", True),
        "created": ctx.now,
        "default_price": None,
        "description": params.get("description"),
        "images": params.get("images", []),
        "livemode": False,
        "marketing_features": [
            {"name": f["name"]} for f in params.get("marketing_features", [])
        ],
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "name": params["name"],
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "tax_code": None,
        "type": "service",
        "unit_label": params.get("unit_label"),
        "updated": ctx.now,
        "url": params.get("url"),
    }
    if ctx.session.get(SandboxObject, product["id"]) is not None:
        raise SandboxError(
            400,
            f"Product already exists: {product['id']}",
            param="id",
            code="resource_already_exists",
        )
    return ctx.insert(product)


def retrieve_product(ctx: Context, object_id: str, params: Params) -> Data:
    return ctx.get("product", object_id).data


def update_product(ctx: Context, object_id: str, params: Params) -> Data:
    row = ctx.get("product", object_id)
    changes = {
        k: v for k, v in params.items() if k in ("active", "description", "name")
    }
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    if changes:
        changes["updated"] = ctx.now
    return ctx.update(row, changes)


def list_products(ctx: Context, params: Params) -> Data:
    filters = []
    if "active" in params:
        filters.append(SandboxObject.data["active"].as_boolean() == params["active"])
    if "ids" in params:
        filters.append(SandboxObject.id.in_(params["ids"]))
    return ctx.list("product", params, *filters, url="/v1/products")


# Prices


def _lookup_key_owner(ctx: Context, lookup_key: str) -> SandboxObject | None:
    return ctx.session.scalars(
        select(SandboxObject).where(SandboxObject.lookup_key == lookup_key)
    ).first()


def _claim_lookup_key(ctx: Context, lookup_key: str, transfer: bool) -> None:
    owner = _lookup_key_owner(ctx, lookup_key)
    if owner is None:
        return
    if not transfer:
        raise SandboxError(
            400,
            f"A price (`{owner.id}`) already uses the lookup key `{lookup_key}`.",
            param="lookup_key",
        )
    ctx.update(owner, {"lookup_key": None}, lookup_key=None)
    ctx.session.flush()


def create_price(ctx: Context, params: Params) -> Data:
    if "product" not in params:
        raise SandboxError.missing_param("product")
    ctx.get("product", params["product"], param="product")
    recurring = params.get("recurring")
    if recurring is not None and "meter" in recurring:
        raise SandboxError(
            400,
            "The Moonly sandbox does not implement `recurring[meter]` on POST "
            "/v1/prices (usage-based billing); use Stripe test mode for it.",
            param="recurring[meter]",
            code="sandbox_unsupported_parameter",
        )
    lookup_key = params.get("lookup_key")
    if lookup_key:
        _claim_lookup_key(ctx, lookup_key, params.get("transfer_lookup_key", False))
    unit_amount = params.get("unit_amount")
    price = {
        "id": new_id("price", 24),
        "object": "price",
        "active": params.get("active", True),
        "billing_scheme": "per_unit",
        "created": ctx.now,
        "currency": params["currency"].lower(),
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "nickname": params.get("nickname"),
        "product": params["product"],
        "recurring": None
        if recurring is None
        else {
            "interval": recurring["interval"],
            "interval_count": recurring.get("interval_count", 1),
            "meter": None,
            "trial_period_days": recurring.get("trial_period_days"),
            "usage_type": recurring.get("usage_type", "licensed"),
        },
        "tax_behavior": params.get("tax_behavior", "unspecified"),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": None if unit_amount is None else str(unit_amount),
    }
    return ctx.insert(price, lookup_key=lookup_key)


def retrieve_price(ctx: Context, object_id: str, params: Params) -> Data:
    return ctx.get("price", object_id).data


def update_price(ctx: Context, object_id: str, params: Params) -> Data:
    row = ctx.get("price", object_id)
    changes = {k: v for k, v in params.items() if k in ("active", "nickname")}
    columns: dict[str, Any] = {}
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    if "lookup_key" in params and params["lookup_key"] != row.lookup_key:
        key = params["lookup_key"] or None
        if key:
            _claim_lookup_key(ctx, key, params.get("transfer_lookup_key", False))
        changes["lookup_key"] = columns["lookup_key"] = key
    return ctx.update(row, changes, **columns)


def list_prices(ctx: Context, params: Params) -> Data:
    filters = []
    if "lookup_keys" in params:
        filters.append(SandboxObject.lookup_key.in_(params["lookup_keys"]))
    if "product" in params:
        filters.append(SandboxObject.data["product"].as_string() == params["product"])
    if "active" in params:
        filters.append(SandboxObject.data["active"].as_boolean() == params["active"])
    for name in ("currency", "type"):
        if name in params:
            value = params[name].lower() if name == "currency" else params[name]
            filters.append(SandboxObject.data[name].as_string() == value)
    return ctx.list("price", params, *filters, url="/v1/prices")


# Coupons


def create_coupon(ctx: Context, params: Params) -> Data:
    duration = params.get("duration", "once")
    if ("percent_off" in params) == ("amount_off" in params):
        raise SandboxError(
            400,
            "You must pass exactly one of percent_off or amount_off.",
            param="percent_off",
        )
    if "amount_off" in params and "currency" not in params:
        raise SandboxError(
            400, "You must pass currency when passing amount_off.", param="currency"
        )
    percent_off = params.get("percent_off")
    if percent_off is not None and not 0 < percent_off <= 100:
        raise SandboxError.invalid(
            "percent_off", "Invalid percent_off: must be in (0, 100]"
        )
    months = params.get("duration_in_months")
    if duration == "repeating" and not months:
        raise SandboxError.missing_param("duration_in_months")
    if duration != "repeating" and months is not None:
        raise SandboxError.invalid(
            "duration_in_months",
            "duration_in_months can only be set when duration is repeating.",
        )
    coupon_id = params.get("id") or "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(8)
    )
    if ctx.session.get(SandboxObject, coupon_id) is not None:
        raise SandboxError(
            400, "Coupon already exists.", param="id", code="resource_already_exists"
        )
    coupon = {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": params.get("amount_off"),
        "created": ctx.now,
        "currency": params.get("currency"),
        "duration": duration,
        "duration_in_months": months,
        "livemode": False,
        "max_redemptions": params.get("max_redemptions"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "name": params.get("name"),
        "percent_off": None if percent_off is None else float(percent_off),
        "redeem_by": params.get("redeem_by"),
        "times_redeemed": 0,
        "valid": True,
    }
    return ctx.insert(coupon)


def retrieve_coupon(ctx: Context, object_id: str, params: Params) -> Data:
    return ctx.get("coupon", object_id).data


def update_coupon(ctx: Context, object_id: str, params: Params) -> Data:
    row = ctx.get("coupon", object_id)
    changes = {k: v for k, v in params.items() if k == "name"}
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    return ctx.update(row, changes)


def delete_coupon(ctx: Context, object_id: str, params: Params) -> Data:
    return ctx.delete(ctx.get("coupon", object_id))


def list_coupons(ctx: Context, params: Params) -> Data:
    return ctx.list("coupon", params, url="/v1/coupons")
