"""Moonly's plans and new-user coupon: their definition, bootstrap and offer text."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from .. import caching
from . import stripe_api

log = logging.getLogger(__name__)

NEW_USER_COUPON_ID = "moonly-new-user"
NEW_USER_PERCENT_OFF = 20.0
NEW_USER_MONTHS = 3
OFFER_CACHE_SECONDS = 300
Interval = Literal["month", "year"]
INTERVALS: tuple[Interval, ...] = ("month", "year")


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    tagline: str
    monthly_cents: int
    yearly_cents: int
    features: tuple[str, ...]
    highlight: bool = False

    @property
    def monthly(self) -> str:
        return format_usd(self.monthly_cents)

    @property
    def yearly(self) -> str:
        return format_usd(self.yearly_cents)

    def lookup_key(self, interval: Interval) -> str:
        return f"moonly_{self.key}_{'monthly' if interval == 'month' else 'yearly'}"


PLANS = (
    Plan(
        key="starter",
        name="Starter",
        tagline="For small teams replacing their daily standup.",
        monthly_cents=1200,
        yearly_cents=12000,
        features=("Up to 10 teammates", "Daily and weekly check-ins", "Slack digest"),
    ),
    Plan(
        key="pro",
        name="Pro",
        tagline="For teams across time zones who want the full picture.",
        monthly_cents=2900,
        yearly_cents=29000,
        features=(
            "Unlimited teammates",
            "Custom check-in templates",
            "Blockers and trends dashboard",
            "Priority support",
        ),
        highlight=True,
    ),
)


def money(cents: int) -> str:
    """Dollars and cents, as on an invoice: $12.00."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def format_usd(cents: int) -> str:
    """Marketing copy drops zero cents: $12, but $9.60."""
    return money(cents).removesuffix(".00")


@dataclass(frozen=True)
class Offer:
    percent_off: float
    duration_in_months: int | None
    duration: str

    @property
    def headline(self) -> str:
        percent = f"{self.percent_off:g} % off"
        if self.duration == "forever":
            return percent
        if self.duration == "once" or not self.duration_in_months:
            return f"{percent} your first payment"
        if self.duration_in_months == 1:
            return f"{percent} your first month"
        return f"{percent} your first {self.duration_in_months} months"


@dataclass(frozen=True)
class CatalogPrice:
    id: str
    lookup_key: str
    unit_amount: int
    currency: str
    interval: str
    plan: Plan


PLAN_BY_LOOKUP_KEY = {
    plan.lookup_key(interval): plan for plan in PLANS for interval in ("month", "year")
}


def prices() -> dict[str, CatalogPrice]:
    """The plans' prices read from Stripe by lookup key, cached for a few minutes.

    Raises StripeError when Stripe cannot be read and nothing is cached.
    """
    cache: caching.Refreshed[dict[str, CatalogPrice]] = caching.refreshed(
        "prices", OFFER_CACHE_SECONDS, keep=bool
    )
    return cache.get(_read_prices, stripe_api.StripeError)


def _read_prices() -> dict[str, CatalogPrice]:
    found = stripe_api.prices_by_lookup_key(list(PLAN_BY_LOOKUP_KEY))
    return {
        key: CatalogPrice(
            id=price.id,
            lookup_key=key,
            unit_amount=price.unit_amount or 0,
            currency=price.currency,
            interval=price.recurring.interval if price.recurring else "month",
            plan=PLAN_BY_LOOKUP_KEY[key],
        )
        for key, price in found.items()
        if key in PLAN_BY_LOOKUP_KEY
    }


def new_user_offer() -> Offer | None:
    """The new-user discount as Stripe holds it, cached; None if it cannot be read."""
    cache: caching.Refreshed[Offer | None] = caching.refreshed(
        "new-user offer", OFFER_CACHE_SECONDS
    )
    try:
        # Stripe failing: the last known offer stays; the next call reads again.
        return cache.get(_read_offer, stripe_api.StripeError)
    except stripe_api.StripeError:
        return None  # never read yet (logged)


def _read_offer() -> Offer | None:
    coupon = stripe_api.retrieve_coupon(NEW_USER_COUPON_ID)
    if coupon is None or not coupon.valid or not coupon.percent_off:
        return None
    return Offer(coupon.percent_off, coupon.duration_in_months, coupon.duration)


def bootstrap() -> list[str]:
    """Create what is missing of the catalog in Stripe; return a line per item."""
    lines = []
    coupon = stripe_api.retrieve_coupon(NEW_USER_COUPON_ID)
    if coupon is None:
        stripe_api.create_coupon(
            coupon_id=NEW_USER_COUPON_ID,
            name=(
                f"New user: {NEW_USER_PERCENT_OFF:g} % off for {NEW_USER_MONTHS} months"
            ),
            percent_off=NEW_USER_PERCENT_OFF,
            duration_in_months=NEW_USER_MONTHS,
        )
        lines.append(f"created  coupon {NEW_USER_COUPON_ID}")
    elif (coupon.percent_off, coupon.duration, coupon.duration_in_months) != (
        NEW_USER_PERCENT_OFF,
        "repeating",
        NEW_USER_MONTHS,
    ):
        lines.append(
            f"WARNING  coupon {NEW_USER_COUPON_ID} exists with other terms "
            f"({coupon.percent_off} % off, {coupon.duration}, "
            f"{coupon.duration_in_months} months); Stripe coupons cannot be edited: "
            "delete it in the dashboard and run this again to recreate it"
        )
    else:
        lines.append(f"exists   coupon {NEW_USER_COUPON_ID}")

    wanted = {
        plan.lookup_key(interval): (plan, interval)
        for plan in PLANS
        for interval in INTERVALS
    }
    prices = stripe_api.prices_by_lookup_key(list(wanted))
    products = stripe_api.products_by_plan() if len(prices) < len(wanted) else {}
    for lookup_key, (plan, interval) in wanted.items():
        if lookup_key in prices:
            lines.append(f"exists   price {lookup_key} ({prices[lookup_key].id})")
            continue
        product = products.get(plan.key)
        if product is None:
            product = products[plan.key] = stripe_api.create_product(
                plan=plan.key, name=f"Moonly {plan.name}", description=plan.tagline
            )
            lines.append(f"created  product Moonly {plan.name} ({product.id})")
        amount = plan.monthly_cents if interval == "month" else plan.yearly_cents
        price = stripe_api.create_price(
            product_id=product.id,
            lookup_key=lookup_key,
            unit_amount=amount,
            interval=interval,
        )
        lines.append(
            f"created  price {lookup_key} {format_usd(amount)}/{interval} ({price.id})"
        )
    caching.clear()
    return lines
