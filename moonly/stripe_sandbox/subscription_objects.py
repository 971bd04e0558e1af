"""The objects a new subscription is made of: its items (with their prices) and itself."""

from __future__ import annotations

from collections.abc import Callable

from . import discounts as di
from .common import Data, Params, add_interval, in_list, ref, require
from .errors import SandboxError
from .ids import new_id
from .resources import merge_metadata
from .store import Context


def unsupported(param: str) -> SandboxError:
    return SandboxError(
        400,
        f"The Moonly sandbox does not implement `{param}` on subscriptions; use Stripe "
        "test mode for it.",
        param=param,
        code="sandbox_unsupported_parameter",
    )


def _price(ctx: Context, item: Params, i: int) -> Data:
    """The price of `items[i]`: it must exist, be active and recurring."""
    for key in sorted(set(item) - {"price", "quantity", "metadata"}):
        raise unsupported(f"items[{i}][{key}]")
    param = f"items[{i}][price]"
    if "price" not in item:
        raise SandboxError(
            400,
            f"Missing required param: {param}.",
            param=param,
            code="parameter_missing",
        )
    price = ref(ctx, "price", item["price"], param).data
    if not price["active"]:
        raise SandboxError.invalid(
            param,
            "The price specified is inactive. This field only accepts active prices.",
        )
    if price["type"] != "recurring":
        raise SandboxError.invalid(
            param,
            "The price specified is set to `type=one_time` but this field only accepts "
            "prices with `type=recurring`.",
        )
    return price


def _plan(price: Data) -> Data:
    """The legacy `plan` view of a recurring price, which items still carry."""
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": recurring["usage_type"],
    }


def _items(
    ctx: Context, sub_id: str, params: Params, end: Callable[[Data], int]
) -> list[Data]:
    items = require(params, "items")
    prices = [_price(ctx, item, i) for i, item in enumerate(items)]
    terms = {(p["currency"], str(p["recurring"]["interval"])) for p in prices}
    counts = {p["recurring"]["interval_count"] for p in prices}
    if len(terms) > 1 or len(counts) > 1:
        raise SandboxError.invalid(
            "items",
            "Currency and interval fields must match across all plans on this "
            "subscription.",
        )
    return [
        {
            "id": new_id("si", 14),
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": ctx.now,
            "current_period_end": end(price),
            "current_period_start": ctx.now,
            "discounts": [],
            "metadata": merge_metadata(
                {}, item.get("metadata", {}), f"items[{i}][metadata]"
            ),
            "plan": _plan(price),
            "price": price,
            "quantity": item.get("quantity", 1),
            "subscription": sub_id,
            "tax_rates": [],
        }
        for i, (item, price) in enumerate(zip(items, prices, strict=True))
    ]


def new(ctx: Context, sub_id: str, customer: str, params: Params) -> Data:
    """A subscription as it starts, `incomplete` until its first invoice is paid."""

    def end(price: Data) -> int:
        recurring = price["recurring"]
        return add_interval(
            ctx.now, recurring["interval"], recurring["interval_count"], ctx.now
        )

    items = _items(ctx, sub_id, params, end)
    discounts = []
    for i, discount in enumerate(params.get("discounts", [])):
        for key in sorted(set(discount) - {"coupon", "promotion_code"}):
            raise unsupported(f"discounts[{i}][{key}]")
        discounts.append(di.resolve(ctx, discount, customer, sub_id, i)["id"])
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": ctx.now,
        "billing_cycle_anchor_config": None,
        "billing_mode": {
            "flexible": {"proration_discounts": "included"},
            "type": "flexible",
            "updated_at": ctx.now,
        },
        "billing_schedules": [],
        "billing_thresholds": None,
        **cancel_fields(params.get("cancel_at_period_end", False), items[0], ctx.now),
        "collection_method": "charge_automatically",
        "created": ctx.now,
        "currency": items[0]["price"]["currency"],
        "customer": customer,
        "days_until_due": None,
        "default_payment_method": params.get("default_payment_method"),
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": discounts,
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": in_list(
            items,
            f"/v1/subscription_items?subscription={sub_id}",
            total_count=len(items),
        ),
        "latest_invoice": None,
        "livemode": False,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": ctx.now,
        "status": "incomplete",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {
            "end_behavior": {"missing_payment_method": "create_invoice"}
        },
        "trial_start": None,
    }


def cancel_fields(at_period_end: bool, item: Data, now: int) -> Data:
    """What `cancel_at_period_end` sets; Stripe's canceled_at is when it was asked for."""
    return {
        "cancel_at": item["current_period_end"] if at_period_end else None,
        "cancel_at_period_end": at_period_end,
        "canceled_at": now if at_period_end else None,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "reason": "cancellation_requested" if at_period_end else None,
        },
    }
