"""The console's lifecycle buttons: what a demo does to a journey after the purchase.

Each action is one Stripe call through `stripe_api`; Stripe then sends its webhooks (to
Moonly and to Cello's own endpoint), which the console shows as they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..billing import stripe_api
from ..billing.catalog import INTERVALS, PLANS, money
from .journey_data import ActionLine, JourneyFacts, StripeObject

LIVE = ("active", "trialing", "past_due")


@dataclass(frozen=True)
class Action:
    kind: str
    label: str
    target: str  # the subscription or charge it acts on
    hint: str
    danger: bool = False

    def as_json(self) -> ActionLine:
        return {
            "kind": self.kind,
            "label": self.label,
            "target": self.target,
            "hint": self.hint,
            "danger": self.danger,
        }


class ActionError(Exception):
    """The action cannot be done now: a message for the salesperson."""


def current_subscription(data: JourneyFacts) -> StripeObject | None:
    """The newest subscription that is still running."""
    running = [s for s in data["stripe"]["subscriptions"] if s["status"] in LIVE]
    return max(running, key=lambda s: s.get("created") or 0, default=None)


def _other_plan(lookup_key: str | None) -> tuple[str, str] | None:
    """The other plan on the same interval: (its lookup key, its name)."""
    for plan in PLANS:
        for interval in INTERVALS:
            if plan.lookup_key(interval) == lookup_key:
                other = next(p for p in PLANS if p.key != plan.key)
                return other.lookup_key(interval), other.name
    return None


def _refundable(data: JourneyFacts) -> StripeObject | None:
    charges = [
        c
        for c in data["stripe"].get("charges", [])
        if c["status"] == "succeeded" and (c.get("amount_refunded") or 0) < c["amount"]
    ]
    return max(charges, key=lambda c: c.get("created") or 0, default=None)


def available(data: JourneyFacts) -> list[Action]:
    """The buttons that make sense for this journey now, in the order of a demo."""
    actions = []
    sub = current_subscription(data)
    if sub is not None:
        if data["sandbox"]:
            actions.append(
                Action(
                    "advance",
                    "Advance to the next period",
                    sub["id"],
                    "Offline only: renew now, as if a month had passed.",
                )
            )
        if sub["status"] == "trialing":
            actions.append(
                Action("end_trial", "End the trial now", sub["id"], "Bill it today.")
            )
        other = _other_plan(sub["items"]["data"][0]["price"].get("lookup_key"))
        if other is not None:
            actions.append(
                Action(
                    "switch",
                    f"Switch to {other[1]}",
                    sub["id"],
                    "Prorated from today.",
                )
            )
    charge = _refundable(data)
    if charge is not None:
        left = charge["amount"] - (charge.get("amount_refunded") or 0)
        actions.append(
            Action(
                "refund",
                f"Refund the latest payment ({money(left)})",
                charge["id"],
                "Cello reduces the reward.",
            )
        )
    if sub is not None:
        actions.append(
            Action(
                "cancel",
                "Cancel the subscription",
                sub["id"],
                "Ends it now.",
                danger=True,
            )
        )
    return actions


def run(kind: str, target: str, data: JourneyFacts) -> str:
    """Do one available action; return what happened, in a sentence."""
    action = next(
        (a for a in available(data) if a.kind == kind and a.target == target), None
    )
    if action is None:
        raise ActionError(
            "That action is not available for this journey any more: the page shows "
            "what can be done now."
        )
    if kind == "advance":
        result = stripe_api.advance_subscription(target)
        if result.get("object") == "invoice":
            return (
                f"Next period: a new invoice of {money(result.get('amount_paid') or 0)}"
                f" ({result.get('status')})."
            )
        return f"Next period: the subscription is {result.get('status')}."
    if kind == "end_trial":
        sub = stripe_api.end_trial_now(target)
        return f"Trial ended: the subscription is {sub.status}."
    if kind == "switch":
        return _switch(target, action.label)
    if kind == "refund":
        refund = stripe_api.refund_charge(
            target, idempotency_key=f"demo-refund-{target}"
        )
        return f"Refunded {money(refund.amount)}: Stripe sends charge.refunded."
    sub = stripe_api.cancel_subscription(target)
    return f"Subscription {sub.status}: Stripe sends customer.subscription.deleted."


def _switch(subscription_id: str, label: str) -> str:
    item = stripe_api.retrieve_subscription(subscription_id)["items"].data[0]
    other = _other_plan(item.price.lookup_key)
    if other is None:
        raise ActionError("This subscription's price is not one of Moonly's plans.")
    prices = stripe_api.prices_by_lookup_key([other[0]])
    if other[0] not in prices:
        raise ActionError(
            f"The price {other[0]} is missing: run `flask stripe bootstrap`."
        )
    stripe_api.switch_price(subscription_id, item.id, prices[other[0]].id)
    return f"{label.replace('Switch to', 'Switched to')}: prorated from today."
