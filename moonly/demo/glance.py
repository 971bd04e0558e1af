"""The followed journey at a glance: what the console's first screen shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..billing.catalog import money
from .actions import Action, available, current_subscription
from .journey_data import Journey, StripeObject

SOURCES = {
    "form": "from Cello's getUcc()",
    "cookie": "from Moonly's invite cookie",
    "app": "from the mobile app",
}
REASONS = {
    "subscription_create": "first",
    "subscription_cycle": "renewal",
    "subscription_update": "plan switch",
}


@dataclass(frozen=True)
class Payment:
    amount: str
    reason: str
    discounted: bool
    status: str


@dataclass
class Glance:
    user_id: str
    name: str
    email: str
    referrer: str | None
    ucc: str | None
    ucc_source: str
    customer_id: str | None
    customer_ucc: str | None
    customer_error: str | None
    plan: str | None
    status: str | None
    payments: list[Payment] = field(default_factory=list)
    discount_ended_after: int | None = None  # index in payments
    refunded: str | None = None
    cello_webhook_events: int = 0
    cello_api_events: int = 0
    flow: str = "customer_at_signup"
    actions: list[Action] = field(default_factory=list)


def _payments(invoices: list[StripeObject]) -> tuple[list[Payment], int | None]:
    """Each invoice's amount, oldest first, and where the discount stopped."""
    payments = []
    for inv in sorted(invoices, key=lambda i: i["created"]):
        if inv["status"] in ("draft", "void"):
            continue
        discounted = any(d["amount"] for d in inv.get("total_discount_amounts") or [])
        paid = inv["amount_paid"] if inv["status"] == "paid" else inv["amount_due"]
        reason = REASONS.get(inv.get("billing_reason") or "", "")
        if inv["status"] == "paid" and inv["subtotal"] == 0:
            reason = "trial"
        payments.append(Payment(money(paid), reason, discounted, inv["status"]))
    ended = None
    for i in range(1, len(payments)):
        if payments[i - 1].discounted and not payments[i].discounted:
            ended = i - 1
    return payments, ended


def glance(data: Journey) -> Glance:
    user = data["user"]
    stripe = data["stripe"]
    customer = stripe["customer"] or {}
    sub = current_subscription(data) or max(
        stripe["subscriptions"], key=lambda s: s.get("created") or 0, default=None
    )
    plan = None
    if sub is not None:
        price = sub["items"]["data"][0]["price"]
        interval = price["recurring"]["interval"]
        amount = f"{money(price['unit_amount'])}/{interval}"
        plan = f"{price.get('lookup_key') or price['id']} · {amount}"
    payments, ended = _payments(stripe["invoices"])
    refunded = sum(c.get("amount_refunded") or 0 for c in stripe.get("charges", []))
    return Glance(
        user_id=user["id"],
        name=user["name"] or user["email"] or user["id"],
        email=user["email"],
        referrer=user.get("referrer_name"),
        ucc=user["ucc"],
        ucc_source=SOURCES.get(user["ucc_source"] or "", ""),
        customer_id=customer.get("id"),
        customer_ucc=(customer.get("metadata") or {}).get("cello_ucc"),
        customer_error=stripe.get("error"),
        plan=plan,
        status=sub["status"] if sub else None,
        payments=payments,
        discount_ended_after=ended,
        refunded=money(refunded) if refunded else None,
        cello_webhook_events=len(data["cello_view"]),
        cello_api_events=sum(1 for e in data["cello_events"] if e["status"] == "sent"),
        flow=data["flow"],
        actions=available(data),
    )
