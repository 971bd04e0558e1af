"""The customer portal page, `GET|POST /portal/<bps_…>`.

The customer sees their plan, switches among the configuration's prices, cancels (or
takes a pending cancellation back), changes card and reads their invoices. Every change
is a POST, answered with a redirect back to the page (or the page with the error).
"""

from __future__ import annotations

from typing import Any, TypedDict

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from . import portal
from .errors import SandboxError
from .models import SandboxObject
from .pages import Site, notice, render, transaction
from .shapes import Data
from .store import Context, linked

# What the page says after each action (only these keys are ever shown).
DONE = {
    "switched": "Your plan was updated.",
    "canceled": "Your plan was canceled.",
    "cancel_scheduled": "Your plan will be canceled at the end of the billing period.",
    "renewed": "Your plan will renew as usual.",
    "card": "Your payment method was updated.",
}


class Plan(TypedDict):
    """A price the customer may switch to, with its product's name."""

    price: Data
    name: str


def _name(ctx: Context, product_id: str) -> str:
    row = ctx.session.get(SandboxObject, product_id)
    return product_id if row is None else str(row.data["name"])


def _plans(ctx: Context, config: Data) -> list[Plan]:
    plans = []
    for price_id in portal.allowed_prices(config):
        row = ctx.session.get(SandboxObject, price_id)
        if row is not None and row.data["active"]:
            price = row.data
            plans.append(Plan(price=price, name=_name(ctx, price["product"])))
    return plans


def _invoices(ctx: Context, customer: str) -> list[Data]:
    rows = ctx.session.scalars(linked("invoice", "customer", customer).limit(24))
    return [r.data for r in rows]


def _card(ctx: Context, customer: Data) -> Data | None:
    pm_id = customer["invoice_settings"]["default_payment_method"]
    if pm_id is None:
        # Checkout sets the subscription's card, not the customer's default.
        subs = portal.live_subscriptions(ctx, customer["id"])
        pm_id = next(
            (s["default_payment_method"] for s in subs if s["default_payment_method"]),
            None,
        )
    row = ctx.session.get(SandboxObject, pm_id) if pm_id else None
    return None if row is None else row.data["card"]


def _page(
    ctx: Context,
    request: Request,
    session: Data,
    config: Data,
    status: int = 200,
    **extra: Any,
) -> Response:
    customer = ctx.get("customer", session["customer"]).data
    subs = [
        {**sub, "product_name": _name(ctx, sub["items"]["data"][0]["price"]["product"])}
        for sub in portal.live_subscriptions(ctx, customer["id"])
    ]
    done = DONE.get(request.args.get("done", ""))
    return render(
        "portal.html",
        status,
        session=session,
        config=config,
        features=config["features"],
        customer=customer,
        subscriptions=subs,
        plans=_plans(ctx, config),
        invoices=_invoices(ctx, customer["id"]),
        card=_card(ctx, customer),
        root=request.script_root,
        done=done,
        **extra,
    )


def _act(ctx: Context, request: Request, session: Data, config: Data) -> str:
    """Do what the form asks; answer the key of the message to show."""
    form = request.form
    action = form.get("action", "")
    sub = form.get("subscription", "")
    if action == "switch":
        portal.switch_plan(ctx, session, config, sub, form.get("price", ""))
        return "switched"
    if action == "cancel":
        ended = portal.cancel(ctx, session, config, sub)
        return "canceled" if ended["status"] == "canceled" else "cancel_scheduled"
    if action == "renew":
        portal.renew(ctx, session, config, sub)
        return "renewed"
    if action == "card":
        portal.change_card(ctx, session, config, form.get("card", "pm_card_visa"))
        return "card"
    raise SandboxError(400, "Unknown action.")


def respond(site: Site, request: Request, session_id: str, action: str) -> Response:
    """Show the portal, or change the subscription or card as the form says."""
    if action:
        return notice("Page not found", "There is no portal page at this address.", 404)
    try:
        with transaction(site, request) as ctx:
            session, config = portal.session_and_config(ctx, session_id)
            if request.method != "POST":
                return _page(ctx, request, session, config)
    except SandboxError:
        return notice(
            "Page not found",
            "This portal link is not valid. Go back to the site and open it again.",
            404,
        )
    try:
        with transaction(site, request) as ctx:
            done = _act(ctx, request, session, config)
    except SandboxError as error:
        with transaction(site, request) as ctx:
            return _page(
                ctx, request, session, config, error.status, error=error.message
            )
    return redirect(f"{request.script_root}/portal/{session_id}?done={done}", 303)
