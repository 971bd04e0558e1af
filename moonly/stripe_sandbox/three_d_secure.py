"""The sandbox's 3-D Secure page, where the customer's "bank" asks them to authenticate.

A PaymentIntent or SetupIntent confirmed with a card that needs 3-D Secure points its
`next_action` here: `GET /3ds/<pi_…|seti_…>?client_secret=…` shows what is being
authenticated, with "Complete" and "Fail" buttons. The POST completes the payment (or
setup) through the API's own code, or fails it, then redirects (303) to the `return_url`
given at confirmation with `payment_intent` (or `setup_intent`), its client secret and
`redirect_status`, as Stripe does. Form actions are built from the request's
`SCRIPT_NAME`, so the page works under any prefix another app mounts the sandbox at.
"""

from __future__ import annotations

import copy
import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session
from werkzeug.wrappers import Request, Response

from . import setup_intents
from .invoice_payments import on_invoice_clock, settle
from .models import SandboxObject
from .pages import Site, public_url, render
from .payments import charge_intent, fail_authentication
from .shapes import Data
from .store import Context

PREFIX = "/3ds/"
MERCHANT = "Moonly"
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
SETUP_FAILED = {
    "code": "setup_intent_authentication_failure",
    "doc_url": "https://docs.stripe.com/error-codes/setup-intent-authentication-failure",
    "message": "The latest attempt to set up the payment method has failed because "
    "authentication failed.",
    "type": "invalid_request_error",
}


def _page(status: int = 200, **context: Any) -> Response:
    return render("three_d_secure.html", status, **context)


def _notice(title: str, message: str, status: int = 200) -> Response:
    return _page(status, state="notice", title=title, message=message)


def _money(cents: int, currency: str) -> str:
    symbol = SYMBOLS.get(currency, currency.upper() + " ")
    return f"{symbol}{cents / 100:,.2f}"


def _return_to(return_url: str, intent: Data, redirect_status: str) -> str:
    """`return_url` with the intent's id, client secret and outcome added, as Stripe
    appends them."""
    kind = "payment_intent" if intent["object"] == "payment_intent" else "setup_intent"
    query = urlencode(
        {
            kind: intent["id"],
            f"{kind}_client_secret": intent["client_secret"],
            "redirect_status": redirect_status,
        }
    )
    parts = urlsplit(return_url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))


def _authenticate(ctx: Context, intent: Data, complete: bool) -> Data:
    """Complete or fail the challenge through the API's own code; the intent after."""
    pm_row = ctx.session.get(SandboxObject, intent["payment_method"])
    assert pm_row is not None
    pm = copy.deepcopy(pm_row.data)
    if intent["object"] == "setup_intent":
        if complete:
            return setup_intents.confirm_with(ctx, intent, pm, authenticated=True)
        return setup_intents.fail(ctx, intent, {**SETUP_FAILED, "payment_method": pm})
    ctx = on_invoice_clock(ctx, intent["id"])
    if complete:
        attempt = charge_intent(ctx, intent, pm, authenticated=True)
    else:
        attempt = fail_authentication(ctx, intent, pm)
    settle(ctx, attempt)
    return attempt.intent


def respond(site: Site, request: Request) -> Response:
    """Show the challenge (GET) or answer it (POST)."""
    object_id = request.path[len(PREFIX) :].strip("/")
    if request.method not in ("GET", "HEAD", "POST"):
        return _notice("Method not allowed", "This page takes GET and POST.", 405)
    secret = (
        request.form.get("client_secret", "")
        if request.method == "POST"
        else request.args.get("client_secret", "")
    )
    with Session(site.engine) as session:
        ctx = Context(session, None, None, public_url=public_url(site, request))
        row = session.get(SandboxObject, object_id)
        valid = (
            row is not None
            and row.object in ("payment_intent", "setup_intent")
            and hmac.compare_digest(secret, row.data["client_secret"] or "")
        )
        if row is None or not valid:
            return _notice(
                "This link is not valid",
                "Nothing waits for authentication at this address.",
                404,
            )
        intent = copy.deepcopy(row.data)
        if intent["status"] != "requires_action":
            return _notice(
                "Nothing to authenticate",
                "This payment is no longer waiting for authentication "
                f"(its status is {intent['status']}).",
            )
        if request.method != "POST":
            return _challenge(ctx, request, intent)
        action = intent["next_action"]
        redirect = action.get("redirect_to_url") if action else None
        complete = request.form.get("outcome") == "complete"
        after = _authenticate(ctx, intent, complete)
        session.commit()
    status = "succeeded" if after["status"] == "succeeded" else "failed"
    if redirect is not None:
        return Response(
            status=303,
            headers={"Location": _return_to(redirect["return_url"], after, status)},
        )
    if status == "succeeded":
        return _notice("Authentication complete", "You can close this window.")
    return _notice("Authentication failed", "You can close this window.")


def _challenge(ctx: Context, request: Request, intent: Data) -> Response:
    pm = ctx.session.get(SandboxObject, intent["payment_method"])
    card = pm.data["card"] if pm is not None else None
    shown = "" if card is None else f"{card['brand'].title()} ending in {card['last4']}"
    paying = intent["object"] == "payment_intent"
    return _page(
        state="challenge",
        title="Confirm your payment" if paying else "Confirm your card",
        merchant=MERCHANT,
        amount=_money(intent["amount"], intent["currency"]) if paying else None,
        card=shown,
        client_secret=intent["client_secret"],
        action=f"{request.script_root}{PREFIX}{intent['id']}",
    )
