"""The demo's timeline of one signup, step by step, from the journey's own data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..billing.catalog import money
from ..billing.models import Subscription
from ..extensions import db
from ..timeutil import isoformat

Step = dict[str, Any]
CAPTURED_BY = {
    "form": "Cello's script (getUcc) filled the signup form",
    "cookie": "Moonly's invite cookie (the script was blocked or slow)",
}


def _at(timestamp: int | None) -> str | None:
    return isoformat(datetime.fromtimestamp(timestamp, UTC)) if timestamp else None


def _step(
    key: str, title: str, at: str | None, status: str, summary: str, **extra: Any
) -> Step:
    return {
        "key": key,
        "title": title,
        "at": at,
        "status": status,
        "summary": summary,
        "details": extra.pop("details", {}),
        "link": extra.pop("link", None),
        **extra,
    }


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
    details = {"ucc": user.ucc, "captured by": captured}
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


def _customer(user: User, data: dict[str, Any]) -> Step:
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
        )
    if stripe.get("error"):
        return _step(
            "customer",
            "Stripe customer not created yet",
            None,
            "failed",
            "Stripe failed; `flask stripe sync-customers` or the next checkout retries.",
            details={"error": stripe["error"]},
        )
    return _step(
        "customer",
        "Stripe customer",
        None,
        "pending",
        "Created at the first purchase, with the same metadata (scenario B).",
    )


def _cello_events(data: dict[str, Any]) -> list[Step]:
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
    status = {
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


def _subscriptions(user: User, data: dict[str, Any]) -> list[Step]:
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
        amount = f"{money(price['unit_amount'])}/{price['recurring']['interval']}"
        actions = []
        if data["sandbox"] and sub["status"] in ("active", "past_due"):
            actions = [
                {
                    "kind": "advance",
                    "subscription_id": sub["id"],
                    "label": "Advance to the next period",
                }
            ]
        steps.append(
            _step(
                "subscription",
                f"Subscription {sub['status']}",
                _at(sub.get("created")),
                "done" if sub["status"] in ("active", "trialing") else "info",
                f"{price.get('lookup_key') or price['id']} at {amount}"
                + (
                    ", cancels at period end" if sub.get("cancel_at_period_end") else ""
                ),
                details={
                    "id": sub["id"],
                    "metadata": sub.get("metadata"),
                    "discounts": sub.get("discounts"),
                },
                actions=actions,
            )
        )
        row = rows.get(sub["id"])
        if row is not None and row.discount_id:
            steps.append(
                _step(
                    "discount",
                    "New-user discount applied",
                    _at(sub.get("created")),
                    "done",
                    f"Coupon {row.discount_coupon}"
                    + (
                        f" until {_at(row.discount_end)[:10]}"
                        if row.discount_end
                        else ""
                    ),
                    details={
                        "discount": row.discount_id,
                        "coupon": row.discount_coupon,
                        "ends": _at(row.discount_end),
                    },
                )
            )
    return steps


CHECKOUT_STATUS = {"complete": "done", "open": "pending", "expired": "failed"}


def _checkout_sessions(data: dict[str, Any]) -> list[Step]:
    """Stripe Checkout Sessions: opened, paid, or expired (abandoned or replaced)."""
    steps = []
    for session in data["stripe"].get("checkout_sessions", []):
        status = session.get("status") or "open"
        title = {
            "complete": "Paid on Stripe Checkout",
            "open": "Stripe Checkout opened, not paid yet",
            "expired": "Stripe Checkout expired without payment",
        }.get(status, f"Stripe Checkout {status}")
        steps.append(
            _step(
                "checkout-session",
                title,
                _at(session.get("created")),
                CHECKOUT_STATUS.get(status, "info"),
                f"{money(session.get('amount_total') or 0)} due today"
                + (
                    f", {money((session.get('total_details') or {}).get('amount_discount') or 0)} discount"
                    if (session.get("total_details") or {}).get("amount_discount")
                    else ""
                ),
                details={
                    "id": session.get("id"),
                    "status": status,
                    "payment_status": session.get("payment_status"),
                    "subscription": session.get("subscription"),
                    "client_reference_id": session.get("client_reference_id"),
                },
            )
        )
    return steps


def _invoices(data: dict[str, Any]) -> list[Step]:
    steps = []
    for inv in sorted(data["stripe"]["invoices"], key=lambda i: i["created"]):
        discount = sum(d["amount"] for d in inv.get("total_discount_amounts") or [])
        steps.append(
            _step(
                "invoice",
                f"Invoice {inv['status']}",
                _at(inv["created"]),
                {"paid": "done", "open": "pending", "draft": "pending"}.get(
                    inv["status"], "failed"
                ),
                f"{money(inv['subtotal'])} less {money(discount)} = {money(inv['total'])}"
                f" ({inv.get('billing_reason')})",
                details={
                    "id": inv["id"],
                    "subtotal": inv["subtotal"],
                    "discount": discount,
                    "total": inv["total"],
                    "amount_paid": inv["amount_paid"],
                },
            )
        )
    return steps


def _webhooks(data: dict[str, Any]) -> list[Step]:
    return [
        _step(
            "webhook",
            f"Webhook {e['type']}",
            e["received_at"],
            "failed" if e["error"] else ("done" if e["processed_at"] else "pending"),
            f"Failed: {e['error']}"
            if e["error"]
            else "Verified, stored once, processed.",
            details={"id": e["id"], "processed_at": e["processed_at"]},
        )
        for e in data["webhook_events"]
    ]


def timeline(user: User, data: dict[str, Any]) -> list[Step]:
    """The journey's steps in the order they happened (undated ones where they belong)."""
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
    head = [_invite(user), signup, _customer(user, data), *_cello_events(data)]
    dated = (
        _checkout_sessions(data)
        + _subscriptions(user, data)
        + _invoices(data)
        + _webhooks(data)
    )
    dated.sort(key=lambda step: step["at"] or "")
    return head + dated + _deletion(user)


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
