"""Moonly's plans and new-user coupon: their definition, bootstrap and offer text."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from flask import current_app

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


@dataclass
class _OfferCache:
    offer: Offer | None = None
    fetched_at: float = field(default=-1e9)


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


@dataclass
class _PriceCache:
    prices: dict[str, CatalogPrice] = field(default_factory=dict)
    fetched_at: float = field(default=-1e9)


def prices() -> dict[str, CatalogPrice]:
    """The plans' prices read from Stripe by lookup key, cached for a few minutes.

    Raises StripeError when Stripe cannot be read and nothing is cached.
    """
    cache: _PriceCache = current_app.extensions.setdefault(
        "moonly.prices", _PriceCache()
    )
    if cache.prices and time.monotonic() - cache.fetched_at < OFFER_CACHE_SECONDS:
        return cache.prices
    try:
        found = stripe_api.prices_by_lookup_key(list(PLAN_BY_LOOKUP_KEY))
    except stripe_api.StripeError:
        if cache.prices:
            return cache.prices
        raise
    cache.prices = {
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
    cache.fetched_at = time.monotonic()
    return cache.prices


def new_user_offer() -> Offer | None:
    """The new-user discount as Stripe holds it, cached; None if it cannot be read."""
    cache: _OfferCache = current_app.extensions.setdefault(
        "moonly.offer", _OfferCache()
    )
    if time.monotonic() - cache.fetched_at < OFFER_CACHE_SECONDS:
        return cache.offer
    try:
        coupon = stripe_api.retrieve_coupon(NEW_USER_COUPON_ID)
    except stripe_api.StripeError as error:
        log.warning("Could not read the new-user coupon: %s", type(error).__name__)
        return cache.offer  # keep showing the last known offer; retry next time
    cache.offer = (
        Offer(coupon.percent_off, coupon.duration_in_months, coupon.duration)
        if coupon is not None and coupon.valid and coupon.percent_off
        else None
    )
    cache.fetched_at = time.monotonic()
    return cache.offer


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
    current_app.extensions.pop("moonly.offer", None)
    current_app.extensions.pop("moonly.prices", None)
    return lines
