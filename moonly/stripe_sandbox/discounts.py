"""Discounts: a coupon on a subscription, and what it takes off each invoice line."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from . import promotion_codes
from .common import add_interval, ref
from .errors import SandboxError
from .ids import new_id
from .models import SandboxObject
from .shapes import Data
from .store import Context


def check_coupon(ctx: Context, coupon: Data, param: str) -> None:
    full = coupon["max_redemptions"] is not None and (
        coupon["times_redeemed"] >= coupon["max_redemptions"]
    )
    expired = coupon["redeem_by"] is not None and coupon["redeem_by"] < ctx.now
    if not coupon["valid"] or full or expired:
        raise SandboxError(
            400,
            f"Coupon {coupon['id']} is no longer valid.",
            param=param,
            code="coupon_expired",
        )


def resolve(
    ctx: Context, discount: Data, customer: str, subscription: str, i: int
) -> Data:
    """The discount a `discounts[i]` entry asks for: a coupon, or a promotion code."""
    if ("coupon" in discount) == ("promotion_code" in discount):
        raise SandboxError.invalid(
            f"discounts[{i}]",
            "You may only specify one of these parameters: coupon, promotion_code.",
        )
    if "coupon" in discount:
        param = f"discounts[{i}][coupon]"
        return create(ctx, discount["coupon"], customer, subscription, param)
    param = f"discounts[{i}][promotion_code]"
    code = promotion_codes.redeem(ctx, discount["promotion_code"], customer, param)
    coupon = code["promotion"]["coupon"]
    return create(ctx, coupon, customer, subscription, param, promotion_code=code["id"])


def create(
    ctx: Context,
    coupon_id: str,
    customer: str,
    subscription: str,
    param: str,
    *,
    promotion_code: str | None = None,
) -> Data:
    """Redeem a coupon on a new subscription (Stripe sends no event of its own)."""
    row = ref(ctx, "coupon", coupon_id, param)
    coupon = row.data
    check_coupon(ctx, coupon, param)
    ctx.update(row, {"times_redeemed": coupon["times_redeemed"] + 1}, silent=True)
    months = coupon["duration_in_months"]
    discount = {
        "id": new_id("di", 24),
        "object": "discount",
        "checkout_session": None,
        "customer": customer,
        "end": add_interval(ctx.now, "month", months, ctx.now)
        if coupon["duration"] == "repeating"
        else None,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": promotion_code,
        "source": {"coupon": coupon_id, "type": "coupon"},
        "start": ctx.now,
        "subscription": subscription,
        "subscription_item": None,
    }
    return ctx.insert(discount, silent=True)


def _coupon(ctx: Context, discount: Data) -> Data:
    # A deleted coupon keeps working on the discounts already made from it.
    row = ctx.session.get(SandboxObject, discount["source"]["coupon"])
    assert row is not None
    return row.data


def applies(ctx: Context, discount: Data, period_start: int, first: bool) -> bool:
    """Whether the discount still reduces an invoice for a period starting then."""
    if _coupon(ctx, discount)["duration"] == "once":
        return first
    return discount["end"] is None or period_start < discount["end"]


def _percent(amount: int, percent: float) -> int:
    """A percentage of an amount, rounded half away from zero as Stripe does."""
    off = Decimal(amount) * Decimal(str(percent)) / 100
    return int(off.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_discounts(
    ctx: Context, discounts: list[Data], amounts: list[int], currency: str
) -> list[list[Data]]:
    """Each line's `discount_amounts`, discounts taken one after another."""
    left = list(amounts)
    result: list[list[Data]] = [[] for _ in amounts]
    for discount in discounts:
        coupon = _coupon(ctx, discount)
        # A fixed amount is taken once per invoice, line by line until used up.
        budget = coupon["amount_off"] if coupon["currency"] == currency else 0
        for i, amount in enumerate(left):
            if coupon["percent_off"] is not None:
                # A credit line (a proration) gets its share back, negative too.
                off = _percent(amount, coupon["percent_off"])
            else:
                off = min(max(amount, 0), budget)
                budget -= off
            left[i] -= off
            result[i].append({"amount": off, "discount": discount["id"]})
    return result


def apply_to_lines(ctx: Context, lines: list[Data], discounts: list[Data]) -> None:
    """Set each invoice line's discount amounts."""
    currency = lines[0]["currency"]
    amounts = line_discounts(ctx, discounts, [ln["amount"] for ln in lines], currency)
    for line, discount_amounts in zip(lines, amounts, strict=True):
        line["discount_amounts"] = discount_amounts
        line["pretax_credit_amounts"] = [
            {**d, "credit_balance_transaction": None, "type": "discount"}
            for d in discount_amounts
        ]


def totals(lines: list[Data], discounts: list[Data]) -> Data:
    """An invoice's money fields, from its lines and the discounts applied to them."""
    subtotal = sum(line["amount"] for line in lines)
    per_discount = [
        {
            "amount": sum(
                d["amount"]
                for line in lines
                for d in line["discount_amounts"]
                if d["discount"] == discount["id"]
            ),
            "discount": discount["id"],
        }
        for discount in discounts
    ]
    total = subtotal - sum(d["amount"] for d in per_discount)
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "total": total,
        "total_excluding_tax": total,
        "total_discount_amounts": per_discount,
        "total_pretax_credit_amounts": [
            {**d, "credit_balance_transaction": None, "type": "discount"}
            for d in per_discount
        ],
        # A credit (negative total) is owed to the customer, not charged.
        "amount_due": max(total, 0),
        "amount_remaining": max(total, 0),
    }
