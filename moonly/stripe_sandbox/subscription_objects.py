"""The objects a new subscription is made of: its items (with their prices), itself."""

from __future__ import annotations

import copy
from collections.abc import Callable

from . import discounts as di
from .common import add_interval, in_list, ref, require
from .errors import SandboxError
from .ids import new_id
from .resources import merge_metadata
from .shapes import Data, Params
from .store import Context


def unsupported(param: str) -> SandboxError:
    return SandboxError(
        400,
        f"The Moonly sandbox does not implement `{param}` on subscriptions; use Stripe "
        "test mode for it.",
        param=param,
        code="sandbox_unsupported_parameter",
    )


def _price(
    ctx: Context, item: Params, i: int, allowed: frozenset[str] = frozenset()
) -> Data:
    """The price of `items[i]`: it must exist, be active and recurring."""
    for key in sorted(set(item) - {"price", "quantity", "metadata"} - allowed):
        raise unsupported(f"items[{i}][{key}]")
    param = f"items[{i}][price]"
    if "price" not in item:
        raise SandboxError.missing_param(param)
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


def _same_terms(prices: list[Data]) -> None:
    terms = {(p["currency"], str(p["recurring"]["interval"])) for p in prices}
    counts = {p["recurring"]["interval_count"] for p in prices}
    if len(terms) > 1 or len(counts) > 1:
        raise SandboxError.invalid(
            "items",
            "Currency and interval fields must match across all plans on this "
            "subscription.",
        )


def _item(
    ctx: Context,
    sub_id: str,
    item: Params,
    price: Data,
    period: tuple[int, int],
    metadata_param: str = "metadata",
) -> Data:
    return {
        "id": new_id("si", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": ctx.now,
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": merge_metadata({}, item.get("metadata", {}), metadata_param),
        "plan": _plan(price),
        "price": price,
        "quantity": item.get("quantity", 1),
        "subscription": sub_id,
        "tax_rates": [],
    }


def _items(
    ctx: Context, sub_id: str, params: Params, end: Callable[[Data], int]
) -> list[Data]:
    items = require(params, "items")
    prices = [_price(ctx, item, i) for i, item in enumerate(items)]
    _same_terms(prices)
    return [
        _item(ctx, sub_id, item, price, (ctx.now, end(price)), f"items[{i}][metadata]")
        for i, (item, price) in enumerate(zip(items, prices, strict=True))
    ]


def updated_items(ctx: Context, sub: Data, wanted: list[Params]) -> list[Data]:
    """The subscription's items after `items=[{id, price, quantity, deleted}, …]`:
    named items change (or go), items without an id are added, the rest stay."""
    items = {item["id"]: copy.deepcopy(item) for item in sub["items"]["data"]}
    first = sub["items"]["data"][0]
    period = (first["current_period_start"], first["current_period_end"])
    for i, change in enumerate(wanted):
        for key in sorted(
            set(change) - {"id", "price", "quantity", "metadata", "deleted"}
        ):
            raise unsupported(f"items[{i}][{key}]")
        if "id" not in change:
            price = _price(ctx, change, i, frozenset({"deleted"}))
            added = _item(
                ctx, sub["id"], change, price, period, f"items[{i}][metadata]"
            )
            items[added["id"]] = added
            continue
        if change["id"] not in items:
            raise SandboxError.invalid(
                f"items[{i}][id]",
                f"Invalid subscription_item id: {change['id']}",
            )
        item = items[change["id"]]
        if change.get("deleted"):
            del items[change["id"]]
            continue
        if "price" in change:
            price = _price(ctx, change, i, frozenset({"id", "deleted"}))
            item.update(price=price, plan=_plan(price))
        if "quantity" in change:
            item["quantity"] = change["quantity"]
        if "metadata" in change:
            item["metadata"] = merge_metadata(
                item["metadata"], change["metadata"], f"items[{i}][metadata]"
            )
    if not items:
        raise SandboxError.invalid(
            "items", "A subscription must have at least one active plan."
        )
    prices = [item["price"] for item in items.values()]
    _same_terms(prices)
    if (
        first["price"]["recurring"]["interval"],
        first["price"]["recurring"]["interval_count"],
    ) != (
        prices[0]["recurring"]["interval"],
        prices[0]["recurring"]["interval_count"],
    ):
        raise SandboxError(
            400,
            "The Moonly sandbox changes a subscription's prices only within the same "
            "billing interval (an interval change resets the billing cycle); use "
            "Stripe test mode for it.",
            param="items",
            code="sandbox_unsupported_parameter",
        )
    return list(items.values())


MAX_TRIAL_DAYS = 730


def trial_end(ctx: Context, params: Params) -> int | None:
    """When a new subscription's trial ends (`trial_period_days` or `trial_end`)."""
    if "trial_period_days" in params and "trial_end" in params:
        raise SandboxError(
            400,
            "You cannot set both trial_end and trial_period_days.",
            param="trial_end",
        )
    if "trial_period_days" in params:
        days = params["trial_period_days"]
        if not 0 <= days <= MAX_TRIAL_DAYS:
            raise SandboxError.invalid(
                "trial_period_days",
                f"Invalid integer: trial_period_days must be at most {MAX_TRIAL_DAYS}.",
                code="parameter_invalid_integer",
            )
        return ctx.now + days * 86_400 if days else None
    wanted = params.get("trial_end")
    if wanted is None or wanted == "now":
        return None
    return check_trial_end(ctx, wanted)


def check_trial_end(ctx: Context, wanted: int) -> int:
    if wanted <= ctx.now:
        raise SandboxError.invalid(
            "trial_end",
            "Invalid timestamp: must be an integer Unix timestamp in the future.",
            code="parameter_invalid_integer",
        )
    if wanted > ctx.now + MAX_TRIAL_DAYS * 86_400:
        raise SandboxError.invalid(
            "trial_end",
            f"Invalid timestamp: can be no more than {MAX_TRIAL_DAYS} days in the "
            "future.",
            code="parameter_invalid_integer",
        )
    return wanted


def check_cancel_at(ctx: Context, cancel_at: int) -> int:
    if cancel_at <= ctx.now:
        raise SandboxError.invalid(
            "cancel_at",
            "Invalid timestamp: must be an integer Unix timestamp in the future.",
            code="parameter_invalid_integer",
        )
    return cancel_at


def payment_settings(params: Params, current: Data | None = None) -> Data:
    """`payment_settings`: the sandbox implements `save_default_payment_method`."""
    wanted = params.get("payment_settings", {})
    for key in sorted(set(wanted) - {"save_default_payment_method"}):
        raise unsupported(f"payment_settings[{key}]")
    settings = current or {
        "payment_method_options": None,
        "payment_method_types": None,
        "save_default_payment_method": "off",
    }
    if "save_default_payment_method" in wanted:
        settings = {
            **settings,
            "save_default_payment_method": wanted["save_default_payment_method"],
        }
    return settings


def trial_settings(params: Params, current: Data | None = None) -> Data:
    """`trial_settings[end_behavior][missing_payment_method]`."""
    settings = current or {"end_behavior": {"missing_payment_method": "create_invoice"}}
    wanted = params.get("trial_settings")
    if wanted is not None:
        behavior = wanted["end_behavior"]["missing_payment_method"]
        settings = {"end_behavior": {"missing_payment_method": behavior}}
    return settings


def new(ctx: Context, sub_id: str, customer: str, params: Params) -> Data:
    """A subscription as it starts: `trialing` during a trial, else `incomplete` until
    its first invoice is paid."""
    trial = trial_end(ctx, params)
    cancel_at = params.get("cancel_at")
    if cancel_at is not None:
        check_cancel_at(ctx, cancel_at)
        if params.get("cancel_at_period_end"):
            raise SandboxError(
                400,
                "You cannot set both cancel_at and cancel_at_period_end.",
                param="cancel_at",
            )

    def end(price: Data) -> int:
        if trial is not None:
            return trial
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
        "billing_cycle_anchor": ctx.now if trial is None else trial,
        "billing_cycle_anchor_config": None,
        "billing_mode": {
            "flexible": {"proration_discounts": "included"},
            "type": "flexible",
            "updated_at": ctx.now,
        },
        "billing_schedules": [],
        "billing_thresholds": None,
        **cancel_fields(params.get("cancel_at_period_end", False), items[0], ctx.now),
        **({} if cancel_at is None else cancel_at_fields(cancel_at, ctx.now)),
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
        "payment_settings": payment_settings(params),
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": ctx.now,
        "status": "incomplete" if trial is None else "trialing",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial,
        "trial_settings": trial_settings(params),
        "trial_start": None if trial is None else ctx.now,
    }


def cancel_fields(at_period_end: bool, item: Data, now: int) -> Data:
    """What `cancel_at_period_end` sets; Stripe's canceled_at is when it was asked
    for."""
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


def cancel_at_fields(cancel_at: int | None, now: int) -> Data:
    """What `cancel_at` sets (a timestamp, or None to keep the subscription)."""
    return {
        "cancel_at": cancel_at,
        "cancel_at_period_end": False,
        "canceled_at": None if cancel_at is None else now,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "reason": None if cancel_at is None else "cancellation_requested",
        },
    }
