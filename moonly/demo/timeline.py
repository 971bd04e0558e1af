"""The demo's timeline of one signup: one step per thing that happened, each with the
Stripe webhooks about it folded in, from the journey's own data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import select

from ..accounts.models import User
from ..billing.catalog import money
from ..billing.events import StripeEvent
from ..billing.models import PaymentAttempt, Subscription
from ..extensions import db
from ..timeutil import isoformat
from .actions import Action
from .journey_data import (
    EventLine,
    JourneyFacts,
    Step,
    StepAction,
    StepStatus,
    StripeObject,
)

CAPTURED_BY = {
    "form": "Cello's script (getUcc) filled the signup form",
    "cookie": "Moonly's invite cookie (the script was blocked or slow)",
    "app": "the mobile app sent it at signup (referral_ucc)",
}
THREE_D_SECURE_FAILED = "payment_intent_authentication_failure"
REFUSALS = {
    THREE_D_SECURE_FAILED: "3-D Secure failed",
    "subscription_payment_intent_requires_action": "3-D Secure needed: not completed",
}


def _at(timestamp: int | None) -> str | None:
    return isoformat(datetime.fromtimestamp(timestamp, UTC)) if timestamp else None


def _step(
    key: str,
    title: str,
    at: str | None,
    status: StepStatus,
    summary: str,
    *,
    details: Mapping[str, object] | None = None,
    link: str | None = None,
    actions: list[StepAction] | None = None,
    object_id: str | None = None,
    payment_intent: str | None = None,
) -> Step:
    step: Step = {
        "key": key,
        "title": title,
        "at": at,
        "status": status,
        "summary": summary,
        "details": {} if details is None else details,
        "link": link,
        "events": [],
    }
    if actions is not None:
        step["actions"] = actions
    # Kept while the timeline is built, to put each webhook under its step.
    if object_id:
        step["object_id"] = object_id
    if payment_intent:
        step["payment_intent"] = payment_intent
    return step


def _invite(user: User) -> Step:
    visit = user.invite_visit
    if not user.ucc:
        return _step(
            "invite",
            "No invite link",
            None,
            "info",
            "A direct signup: nothing to attribute.",
        )
    captured = CAPTURED_BY.get(user.ucc_source or "", "unknown")
    details: dict[str, str | None] = {"ucc": user.ucc, "captured by": captured}
    if visit is None:
        return _step(
            "invite",
            "Referral code received",
            isoformat(user.created_at),
            "done",
            f"ucc {user.ucc}; {captured}.",
            details=details,
        )
    details.update(
        productId=visit.product_id, referrerName=visit.referrer_name, page=visit.path
    )
    who = visit.referrer_name or "A referrer"
    summary = f"{who}'s link, ucc {visit.ucc}; {captured}."
    if visit.replaced_ucc:
        # The latest link wins, as Cello's attribution script keeps the latest ucc.
        details["replaced ucc"] = visit.replaced_ucc
        summary += (
            f" It replaced an earlier invite (ucc {visit.replaced_ucc}) in this"
            " browser: the latest link counts."
        )
    return _step(
        "invite",
        "Invite link visited",
        isoformat(visit.visited_at),
        "done",
        summary,
        details=details,
    )


def _customer(data: JourneyFacts) -> Step:
    stripe = data["stripe"]
    customer = stripe["customer"]
    if customer is not None:
        return _step(
            "customer",
            "Stripe customer created",
            _at(customer.get("created")),
            "done",
            "Metadata as Stripe holds it: "
            + ", ".join(
                f"{k}={v}" for k, v in (customer.get("metadata") or {}).items()
            ),
            details={"id": customer["id"], "metadata": customer.get("metadata")},
            link=stripe.get("dashboard_url"),
            object_id=customer["id"],
        )
    if stripe.get("error"):
        return _step(
            "customer",
            "Stripe customer not created yet",
            None,
            "failed",
            "Stripe failed; `flask stripe sync-customers` or the next checkout "
            "retries.",
            details={"error": stripe["error"]},
        )
    return _step(
        "customer",
        "Stripe customer",
        None,
        "pending",
        "Created at the first purchase, with the same metadata (scenario B).",
    )


def _cello_events(data: JourneyFacts) -> list[Step]:
    if data["flow"] == "customer_at_signup":
        return [
            _step(
                "cello_event",
                "Cello counts the signup from Stripe",
                None,
                "info",
                "Scenario A: Cello's webhook reads customer.created with cello_ucc.",
            )
        ]
    status: dict[str, StepStatus] = {
        "sent": "done",
        "pending": "pending",
        "not_configured": "pending",
        "failed": "failed",
    }
    return [
        _step(
            "cello_event",
            f"Cello API event ({e['trigger']})",
            e["sent_at"] or e["created_at"],
            status[e["status"]],
            f"{e['status'].replace('_', ' ')} after {e['attempts']} attempt(s)"
            + (f": {e['last_error']}" if e["last_error"] else ""),
            details={"request": e["request"], "attempts": e["attempts"]},
        )
        for e in data["cello_events"]
    ]


def _price_text(price: StripeObject) -> str:
    amount = f"{money(price['unit_amount'])}/{price['recurring']['interval']}"
    return f"{price.get('lookup_key') or price['id']} at {amount}"


def _subscriptions(user: User, data: JourneyFacts, actions: list[Action]) -> list[Step]:
    steps = []
    rows = {
        row.id: row
        for row in db.session.scalars(
            select(Subscription).where(
                Subscription.customer_id == user.stripe_customer_id
            )
        )
    }
    for sub in data["stripe"]["subscriptions"]:
        price = sub["items"]["data"][0]["price"]
        steps.append(
            _step(
                "subscription",
                f"Subscription {sub['status']}",
                _at(sub.get("created")),
                "done" if sub["status"] in ("active", "trialing") else "info",
                _price_text(price)
                + (
                    ", cancels at period end" if sub.get("cancel_at_period_end") else ""
                ),
                details={
                    "id": sub["id"],
                    "metadata": sub.get("metadata"),
                    "discounts": sub.get("discounts"),
                },
                actions=[
                    {"kind": a.kind, "label": a.label, "subscription_id": sub["id"]}
                    for a in actions
                    if a.target == sub["id"]
                ],
                object_id=sub["id"],
            )
        )
        row = rows.get(sub["id"])
        if row is not None and row.discount_id:
            ends = _at(row.discount_end)
            steps.append(
                _step(
                    "discount",
                    "New-user discount applied",
                    _at(sub.get("created")),
                    "done",
                    f"Coupon {row.discount_coupon}"
                    + (f" until {ends[:10]}" if ends else ""),
                    details={
                        "discount": row.discount_id,
                        "coupon": row.discount_coupon,
                        "ends": ends,
                    },
                )
            )
    return steps


CHECKOUT_TITLES: dict[str, tuple[str, StepStatus]] = {
    "complete": ("Paid on Stripe Checkout", "done"),
    "open": ("Stripe Checkout opened, not paid yet", "pending"),
    "expired": ("Stripe Checkout expired without payment", "failed"),
}


def _checkout_sessions(data: JourneyFacts) -> list[Step]:
    """Stripe Checkout Sessions: opened, paid, or expired (abandoned or replaced)."""
    steps = []
    for session in data["stripe"].get("checkout_sessions", []):
        status = session.get("status") or "open"
        title, state = CHECKOUT_TITLES.get(
            status, (f"Stripe Checkout {status}", "info")
        )
        discount = (session.get("total_details") or {}).get("amount_discount") or 0
        steps.append(
            _step(
                "checkout-session",
                title,
                _at(session.get("created")),
                state,
                f"{money(session.get('amount_total') or 0)} due today"
                + (f", {money(discount)} discount" if discount else "")
                + (
                    ": abandoned, or replaced by a newer one"
                    if status == "expired"
                    else ""
                ),
                details={
                    "id": session.get("id"),
                    "status": status,
                    "payment_status": session.get("payment_status"),
                    "subscription": session.get("subscription"),
                    "client_reference_id": session.get("client_reference_id"),
                },
                object_id=session.get("id"),
            )
        )
    return steps


INVOICE_STATES: dict[str, StepStatus] = {
    "paid": "done",
    "open": "pending",
    "draft": "pending",
}


def _invoices(data: JourneyFacts) -> list[Step]:
    steps = []
    for inv in sorted(data["stripe"]["invoices"], key=lambda i: i["created"]):
        discount = sum(d["amount"] for d in inv.get("total_discount_amounts") or [])
        steps.append(
            _step(
                "invoice",
                f"Invoice {inv['status']}",
                _at(inv["created"]),
                INVOICE_STATES.get(inv["status"], "failed"),
                f"{money(inv['subtotal'])} less {money(discount)} = "
                f"{money(inv['total'])} ({inv.get('billing_reason')})",
                details={
                    "id": inv["id"],
                    "subtotal": inv["subtotal"],
                    "discount": discount,
                    "total": inv["total"],
                    "amount_paid": inv["amount_paid"],
                },
                object_id=inv["id"],
            )
        )
    return steps


def _charges(data: JourneyFacts) -> list[Step]:
    """Card payments: each charge that succeeded, and each declined attempt."""
    steps = []
    for charge in data["stripe"].get("charges", []):
        state: StepStatus
        if charge["status"] == "failed":
            reason = charge.get("failure_message") or charge.get("failure_code")
            title, state = "Card declined", "failed"
            summary = f"{money(charge['amount'])} refused: {reason}."
        else:
            title, state = f"Card charged {money(charge['amount'])}", "done"
            summary = f"Charge {charge['status']}"
            if charge.get("amount_refunded"):
                summary += f", {money(charge['amount_refunded'])} refunded"
        steps.append(
            _step(
                "payment-failed" if state == "failed" else "charge",
                title,
                _at(charge.get("created")),
                state,
                summary,
                details={
                    "id": charge["id"],
                    "payment_intent": charge.get("payment_intent"),
                    "failure_code": charge.get("failure_code"),
                    "amount_refunded": charge.get("amount_refunded"),
                },
                object_id=charge["id"],
                payment_intent=charge.get("payment_intent"),
            )
        )
    return steps


def _refusals(user: User, data: JourneyFacts) -> list[Step]:
    """Cards Stripe refused at Moonly's checkout (no subscription was left behind)."""
    if not user.stripe_customer_id:
        return []
    known = {c["id"] for c in data["stripe"].get("charges", [])}
    rows = db.session.scalars(
        select(PaymentAttempt)
        .where(PaymentAttempt.customer_id == user.stripe_customer_id)
        .order_by(PaymentAttempt.id)
    )
    return [
        _step(
            "payment-failed",
            REFUSALS.get(row.code or "", "Card declined at checkout"),
            isoformat(row.created_at),
            "failed",
            f"{row.lookup_key}: {row.message} No subscription was created.",
            details={
                "code": row.code,
                "decline_code": row.decline_code,
                "payment_intent": row.payment_intent,
            },
            payment_intent=row.payment_intent,
        )
        for row in rows
        if row.charge is None or row.charge not in known
    ]


def _event_line(event: StripeEvent) -> EventLine:
    return {
        "id": event.id,
        "type": event.type,
        "received_at": isoformat(event.received_at),
        "status": "failed"
        if event.error
        else ("done" if event.processed_at else "pending"),
        "error": event.error,
    }


def _subscription_change(event: StripeEvent, obj: StripeObject) -> Step | None:
    """A step of its own for a subscription update Cello rewards or claws back."""
    at = isoformat(event.received_at)
    if event.type == "customer.subscription.deleted":
        return _step(
            "subscription-canceled",
            "Subscription canceled",
            at,
            "info",
            "Cello's webhook receives customer.subscription.deleted: no more rewards.",
            details={"id": obj.get("id")},
        )
    if event.type != "customer.subscription.updated":
        return None
    before = (event.payload.get("data") or {}).get("previous_attributes") or {}
    if "items" in before:
        price = obj["items"]["data"][0]["price"]
        return _step(
            "plan-switched",
            "Plan switched",
            at,
            "done",
            f"Now {_price_text(price)}; the difference is prorated.",
            details={"id": obj.get("id")},
        )
    if before.get("status") == "trialing" and obj.get("status") != "trialing":
        return _step(
            "trial-ended",
            "Trial ended",
            at,
            "done",
            f"The subscription is {obj.get('status')}: the first paid invoice follows.",
            details={"id": obj.get("id")},
        )
    if "cancel_at_period_end" in before and obj.get("cancel_at_period_end"):
        return _step(
            "cancel-scheduled",
            "Cancellation scheduled",
            at,
            "info",
            "The subscription ends at the end of the period.",
            details={"id": obj.get("id")},
        )
    return None


def _payment_event(
    event: StripeEvent, obj: StripeObject, charged: set[str]
) -> Step | None:
    """A refund, or a payment that failed without a charge (3-D Secure refused)."""
    at = isoformat(event.received_at)
    if event.type == "charge.refunded":
        return _step(
            "refund",
            f"Refunded {money(obj.get('amount_refunded') or 0)}",
            at,
            "info",
            "Cello's webhook receives charge.refunded: the reward is reduced.",
            details={"charge": obj.get("id")},
        )
    if event.type == "payment_intent.payment_failed" and obj.get("id") not in charged:
        error = obj.get("last_payment_error") or {}
        failed_3ds = error.get("code") == THREE_D_SECURE_FAILED
        return _step(
            "payment-failed",
            "3-D Secure failed" if failed_3ds else "Payment failed",
            at,
            "failed",
            error.get("message") or "The payment was not completed.",
            details={"payment_intent": obj.get("id"), "code": error.get("code")},
        )
    return None


def _fold(steps: list[Step], events: Iterable[StripeEvent]) -> list[Step]:
    """Put each webhook under the step about its object; some events are steps."""
    # Looked up by the ids of Stripe objects, which may have none.
    by_object: dict[str | None, Step] = {
        s["object_id"]: s for s in steps if s.get("object_id")
    }
    charged = {s["payment_intent"] for s in steps if s.get("payment_intent")}
    by_intent: dict[str | None, Step] = {
        s["payment_intent"]: s for s in steps if s.get("payment_intent")
    }
    extra: list[Step] = []
    for event in events:
        obj: StripeObject = (event.payload.get("data") or {}).get("object") or {}
        own = _subscription_change(event, obj) or _payment_event(event, obj, charged)
        target = (
            own
            or by_object.get(obj.get("id"))
            or by_intent.get(obj.get("id"))
            or by_object.get(obj.get("customer"))  # e.g. payment_method.attached
        )
        if target is None:
            target = _step(
                "webhook",
                f"Webhook {event.type}",
                isoformat(event.received_at),
                "info",
                "Stored and acknowledged.",
            )
        if own is not None or target["key"] == "webhook":
            extra.append(target)
        target["events"].append(_event_line(event))
    for step in [*steps, *extra]:
        if any(e["status"] == "failed" for e in step["events"]):
            step["status"] = "failed"
    return extra


def timeline(user: User, data: JourneyFacts, actions: list[Action]) -> list[Step]:
    """The journey's steps in the order they happened (undated ones where they
    belong)."""
    signup = _step(
        "signup",
        "Signed up",
        isoformat(user.created_at),
        "done",
        f"{user.name} <{user.email}>, new_user_id {user.public_id}",
        details={
            "new_user_id": user.public_id,
            "new_user_organization_id": user.organization_public_id,
            "ucc": user.ucc,
            "ucc_source": user.ucc_source,
        },
    )
    head = [_invite(user), signup, _customer(data), *_cello_events(data)]
    dated = (
        _checkout_sessions(data)
        + _subscriptions(user, data, actions)
        + _invoices(data)
        + _charges(data)
        + _refusals(user, data)
    )
    dated += _fold(head + dated, _stripe_events(user.stripe_customer_id))
    dated.sort(key=lambda step: step["at"] or "")
    steps = head + dated + _deletion(user)
    for step in steps:
        step.pop("object_id", None)
        step.pop("payment_intent", None)
    return steps


def _stripe_events(customer_id: str | None) -> list[StripeEvent]:
    if not customer_id:
        return []
    return list(
        db.session.scalars(
            select(StripeEvent)
            .where(StripeEvent.customer_id == customer_id)
            .order_by(StripeEvent.received_at, StripeEvent.id)
        )
    )


def _deletion(user: User) -> list[Step]:
    """The last step of a deleted account: personal data gone, then the customer."""
    if user.deleted_at is None:
        return []
    finished = user.deletion_finished_at is not None
    return [
        _step(
            "account-deleted",
            "Account deleted",
            isoformat(user.deleted_at),
            "done" if finished else "pending",
            "Name, email and password removed; the Stripe customer deleted, so "
            "Cello's webhook received customer.deleted."
            if finished
            else "Name, email and password removed; Stripe could not be reached yet: "
            "`flask stripe finish-deletions` deletes the customer.",
            details={
                "deleted_at": isoformat(user.deleted_at),
                "stripe_customer_deleted_at": isoformat(user.deletion_finished_at),
            },
        )
    ]
