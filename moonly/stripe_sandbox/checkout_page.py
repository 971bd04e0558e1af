"""Hosted Checkout: the payment page of a Checkout Session, `GET|POST /pay/<cs_…>`.

Its first form, submitted as rendered, pays with the succeeding Visa 4242. A card that
declines shows Stripe's message and leaves nothing behind; 3-D Secure asks first on a
challenge page. A second submit of a paid session lands on `success_url` again.
"""

from __future__ import annotations

from typing import Any, TypedDict

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from . import checkout_sessions as cs
from .cards import TEST_CARDS
from .errors import SandboxError
from .models import SandboxObject
from .pages import Site, notice, render, transaction
from .shapes import Data
from .store import Context

AUTHENTICATION_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different "
    "payment method and try again."
)


def _success_url(session: Data) -> str | None:
    url = session["success_url"]
    return None if url is None else url.replace("{CHECKOUT_SESSION_ID}", session["id"])


class Summary(TypedDict):
    """What the page shows of a session: its items, discount, and what is due."""

    trial_days: int | None
    items: list[Data]
    price: Data
    coupon: Data | None
    code: str | None
    full: int  # before the discount
    due: int  # each period (after a trial: the first one)
    due_today: int
    discount: int


def _summary(ctx: Context, session: Data) -> Summary:
    """What the page shows: the items, the discount, what is due today and after."""
    items = cs.hidden(ctx, session["id"])["items"]
    coupon = None
    code = None
    if session["discounts"]:
        discount = session["discounts"][0]
        coupon = ctx.session.get(SandboxObject, discount["coupon"])
        if discount["promotion_code"]:
            found = ctx.session.get(SandboxObject, discount["promotion_code"])
            code = None if found is None else found.data["code"]
    full = sum(i["amount_subtotal"] for i in items)
    trial_days = cs.hidden(ctx, session["id"])["subscription_data"].get(
        "trial_period_days"
    )
    # After a trial, what the first period costs (the session's own total is 0).
    after = sum(
        i["amount_total"] if "amount_total" in i else i["amount_subtotal"]
        for i in items
    )
    return Summary(
        trial_days=trial_days,
        items=items,
        price=items[0]["price"],
        coupon=None if coupon is None else coupon.data,
        code=code,
        full=full,
        due=after if trial_days else session["amount_total"],
        due_today=session["amount_total"],
        discount=full - after,
    )


def _page(
    ctx: Context,
    request: Request,
    row: SandboxObject,
    status: int = 200,
    **extra: Any,
) -> Response:
    session = row.data
    return render(
        "checkout.html",
        status,
        session=session,
        root=request.script_root,
        **_summary(ctx, session),
        **extra,
    )


def _closed(session: Data) -> Response:
    if session["status"] == "complete":
        return notice(
            "This payment is complete",
            "This Checkout Session has been paid already; it cannot be paid again.",
            409,
            _success_url(session),
        )
    return notice(
        "This checkout page has expired",
        "The Checkout Session expired, so it can no longer be paid. Go back to the "
        "site and start again.",
        410,
        session["cancel_url"],
    )


def respond(site: Site, request: Request, session_id: str, action: str) -> Response:
    """Show the page, pay, or apply a promotion code."""
    try:
        with transaction(site, request) as ctx:
            row = cs.session_row(ctx, session_id, lock=request.method == "POST")
            if request.method != "POST":
                if action or row.data["status"] != "open":
                    return _closed(row.data) if not action else _not_found()
                return _page(ctx, request, row)
            if row.data["status"] == "complete" and action == "":
                # A double submit: the first one paid; send the customer on again.
                url = _success_url(row.data)
                if url is not None:
                    return redirect(url, 303)
            if row.data["status"] != "open":
                return _closed(row.data)
            if action == "promotion_code":
                return _promotion_code(ctx, request, row)
            if action:
                return _not_found()
    except SandboxError as error:
        if error.status == 404:
            return _not_found()
        raise
    return _pay(site, request, session_id)


def _not_found() -> Response:
    return notice(
        "Page not found",
        "There is no checkout page at this address. It may have been mistyped.",
        404,
    )


def _promotion_code(ctx: Context, request: Request, row: SandboxObject) -> Response:
    if not row.data["allow_promotion_codes"]:
        return notice("Not allowed", "This checkout takes no promotion codes.", 400)
    if request.form.get("remove"):
        cs.remove_promotion_code(ctx, row)
        return redirect(f"{request.script_root}/pay/{row.id}", 303)
    code = request.form.get("code", "")[:500]
    savepoint = ctx.session.begin_nested()
    try:
        cs.apply_promotion_code(ctx, row, code)
    except SandboxError as error:
        savepoint.rollback()
        return _page(ctx, request, row, 400, code_error=error.message, typed=code)
    savepoint.commit()
    return redirect(f"{request.script_root}/pay/{row.id}", 303)


def _pay(site: Site, request: Request, session_id: str) -> Response:
    card = request.form.get("card", "pm_card_visa")
    challenge = request.form.get("three_d_secure")
    test_card = TEST_CARDS.get(card)
    if test_card is None:
        card = "pm_card_visa"
        test_card = TEST_CARDS[card]
    if test_card.requires_action and challenge not in ("complete", "fail"):
        with transaction(site, request) as ctx:
            row = cs.session_row(ctx, session_id)
            return render(
                "challenge.html",
                200,
                session=row.data,
                root=request.script_root,
                card=card,
                due=row.data["amount_total"],
            )
    error: str | None = None
    if challenge == "fail":
        error = AUTHENTICATION_FAILED
    else:
        try:
            with transaction(site, request) as ctx:
                row = cs.session_row(ctx, session_id, lock=True)
                url = _success_url(row.data)
                if row.data["status"] == "complete" and url is not None:
                    return redirect(url, 303)  # paid meanwhile by a double submit
                if row.data["status"] != "open":
                    return _closed(row.data)
                paid = cs.pay(ctx, row, card, authenticated=challenge == "complete")
        except SandboxError as failure:
            error = failure.message
        else:
            url = _success_url(paid)
            if url is None:
                return notice(
                    "Thanks for your order",
                    "Your subscription has started. You can close this page.",
                    200,
                )
            return redirect(url, 303)
    with transaction(site, request) as ctx:
        row = cs.session_row(ctx, session_id)
        return _page(ctx, request, row, 402, pay_error=error, chosen=card)
