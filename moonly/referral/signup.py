"""The signup that records a referral: every way in (the page, the app's API) comes
here.

Create the user, then tell Cello about the signup the way MOONLY_REFERRAL_FLOW says:
scenario A (`customer_at_signup`) creates the Stripe customer with Cello's metadata
right after the user is committed; scenario B (`customer_at_purchase`) queues Cello's
`new-signup` event in the same transaction as the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ..accounts.models import InviteVisit, User
from ..accounts.service import create_user
from ..billing.customers import ensure_customer
from ..cello.outbox import nudge, queue_signup


@dataclass(frozen=True)
class Referral:
    ucc: str | None
    source: str | None  # "form", "cookie", "app" (the mobile API) or None
    # The invite-link visit, if this browser made it.
    visit: dict[str, Any] | None = None


def _invite_visit(visit: dict[str, Any] | None) -> InviteVisit | None:
    if not visit:
        return None
    return InviteVisit(
        ucc=visit["ucc"],
        product_id=visit["product_id"],
        referrer_name=visit["referrer_name"],
        path=visit["path"],
        visited_at=visit["at"],
        replaced_ucc=visit.get("replaced_ucc"),
    )


def sign_up(
    *,
    name: str,
    email: str,
    password: str,
    organization: str | None,
    referral: Referral,
    in_same_commit: Callable[[User], None] | None = None,
) -> User:
    """Create the user (and organization), then report the signup for attribution.

    Scenario A creates the Stripe customer with Cello's metadata now; scenario B
    queues a
    signup event for the Cello API in the same transaction as the user. Whatever
    `in_same_commit` adds (the app's token) is committed with the user, or not at all.
    Raises SignupError (EmailTaken for a taken email) with nothing stored.
    """
    scenario_b = current_app.config["MOONLY_REFERRAL_FLOW"] == "customer_at_purchase"

    def with_the_user(user: User) -> None:
        if scenario_b and user.ucc:
            queue_signup(user)
        if in_same_commit is not None:
            in_same_commit(user)

    user = create_user(
        name=name,
        email=email,
        password=password,
        organization=organization,
        ucc=referral.ucc,
        ucc_source=referral.source,
        invite_visit=_invite_visit(referral.visit),
        in_same_commit=with_the_user,
    )
    if scenario_b:
        nudge()  # deliver now, from a background thread
    else:
        ensure_customer(user)
    return user
