"""PaymentIntents and charges: paying an amount with a stored card, as Stripe would."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from .cards import Decline, card_of
from .ids import new_id
from .models import SandboxObject
from .shapes import Data
from .store import Context, page_url


@dataclass
class Attempt:
    """What paying came to: the PaymentIntent, its charge if any, and why it failed."""

    intent: Data
    charge: Data | None = None
    decline: Decline | None = None

    @property
    def status(self) -> str:
        return str(self.intent["status"])


def _intent(
    ctx: Context, amount: int, currency: str, customer: str, pm: Data | None, about: str
) -> Data:
    intent_id = new_id("pi", 24)
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
        "confirmation_method": "automatic",
        "created": ctx.now,
        "currency": currency,
        "customer": customer,
        "description": about,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None if pm is None else pm["id"],
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "payment_record": None,
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method" if pm is None else "requires_confirmation",
        "transfer_data": None,
        "transfer_group": None,
    }


def _outcome(decline: Decline | None) -> Data:
    if decline is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "advice_code": "try_again_later",
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": "The bank did not return any further details with this "
        "decline.",
        "type": "issuer_declined",
    }


def _card_details(pm: Data, amount: int) -> Data:
    card = pm["card"]
    return {
        "card": {
            "amount_authorized": amount,
            "authorization_code": None,
            "brand": card["brand"],
            "checks": card["checks"],
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card["last4"],
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card["brand"],
            "network_token": {"used": False},
            "network_transaction_id": secrets.token_hex(8),
            "overcapture": {
                "maximum_amount_capturable": amount,
                "status": "unavailable",
            },
            "regulated_status": card["regulated_status"],
            "three_d_secure": None,
            "wallet": None,
        },
        "type": "card",
    }


def _charge(ctx: Context, intent: Data, pm: Data, decline: Decline | None) -> Data:
    charge_id = new_id("ch", 24)
    ok = decline is None
    failure = (None, None) if decline is None else (decline.code, decline.message)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if ok else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn", 24) if ok else None,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "MOONLY",
        "captured": ok,
        "created": ctx.now,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": failure[0],
        "failure_message": failure[1],
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": _outcome(decline),
        "paid": ok,
        "payment_intent": intent["id"],
        "payment_method": pm["id"],
        "payment_method_details": _card_details(pm, intent["amount"]),
        "receipt_email": None,
        "receipt_number": None,
        # Offline there is no receipt page to link to.
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if ok else "failed",
        "transfer": None,
        "transfer_data": None,
        "transfer_group": None,
    }


def pay(
    ctx: Context,
    *,
    amount: int,
    currency: str,
    customer: str,
    pm: Data | None,
    about: str,
    confirm: bool = True,
    setup_future_usage: str | None = None,
) -> Attempt:
    """Create a PaymentIntent and, with a card and `confirm`, try to charge it."""
    intent = _intent(ctx, amount, currency, customer, pm, about)
    intent["setup_future_usage"] = setup_future_usage
    ctx.emit("payment_intent.created", intent)
    if pm is None or not confirm:
        return _store(ctx, Attempt(intent))
    return charge_intent(ctx, intent, pm)


def next_action(ctx: Context, intent: Data, return_url: str | None) -> Data:
    """Where the customer authenticates: the sandbox's own 3-D Secure page.

    With a `return_url` Stripe redirects (`redirect_to_url`); without one it leaves the
    challenge to Stripe.js (`use_stripe_sdk`), whose `stripe_js` is the same page."""
    url = page_url(
        ctx,
        f"/3ds/{intent['id']}?{urlencode({'client_secret': intent['client_secret']})}",
    )
    if return_url is not None:
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": return_url, "url": url},
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url},
    }


def require_action(ctx: Context, intent: Data, return_url: str | None) -> None:
    """Hold a PaymentIntent or SetupIntent for 3-D Secure: `requires_action` with the
    redirect to the challenge, and its `<object>.requires_action` event."""
    intent.update(
        status="requires_action", next_action=next_action(ctx, intent, return_url)
    )
    ctx.emit(f"{intent['object']}.requires_action", intent)


def charge_intent(
    ctx: Context,
    intent: Data,
    pm: Data,
    *,
    return_url: str | None = None,
    authenticated: bool = False,
) -> Attempt:
    """Confirm a PaymentIntent with a card: ask for 3-D Secure first when the card
    needs it (unless the customer just passed it), else charge the card."""
    intent.update(payment_method=pm["id"], last_payment_error=None, next_action=None)
    card = card_of(pm)
    passed = authenticated or pm["id"] in ctx.authenticated
    if card.requires_action and not passed:
        require_action(ctx, intent, return_url)
        return _store(ctx, Attempt(intent))
    # A card that Stripe declines when attached is declined when charged directly.
    decline = card.charge_decline or card.attach_decline
    charge = _charge(ctx, intent, pm, decline)
    if authenticated:
        charge["payment_method_details"]["card"]["three_d_secure"] = _three_d_secure()
    intent["latest_charge"] = charge["id"]
    if decline is None:
        intent.update(status="succeeded", amount_received=intent["amount"])
        ctx.emit("payment_intent.succeeded", intent)
        ctx.emit("charge.succeeded", charge)
        _save_for_later(ctx, intent, pm)
    else:
        error = {**decline.as_dict(), "charge": charge["id"], "payment_method": pm}
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error=error,
        )
        ctx.emit("payment_intent.payment_failed", intent)
        ctx.emit("charge.failed", charge)
    return _store(ctx, Attempt(intent, charge, decline))


AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this "
    "PaymentIntent again."
)


def fail_authentication(ctx: Context, intent: Data, pm: Data) -> Attempt:
    """The customer failed 3-D Secure: the intent wants another payment method."""
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        next_action=None,
        last_payment_error={
            "code": "payment_intent_authentication_failure",
            "doc_url": "https://docs.stripe.com/error-codes/"
            "payment-intent-authentication-failure",
            "message": AUTHENTICATION_FAILED,
            "payment_method": pm,
            "type": "invalid_request_error",
        },
    )
    ctx.emit("payment_intent.payment_failed", intent)
    return _store(ctx, Attempt(intent))


def _three_d_secure() -> Data:
    return {
        "authentication_flow": "challenge",
        "electronic_commerce_indicator": "05",
        "exemption_indicator": None,
        "result": "authenticated",
        "result_reason": None,
        "transaction_id": secrets.token_hex(16),
        "version": "2.2.0",
    }


def _save_for_later(ctx: Context, intent: Data, pm: Data) -> None:
    """`setup_future_usage`: a successful payment attaches the card to the customer."""
    if intent["setup_future_usage"] is None or intent["customer"] is None:
        return
    row = ctx.session.get(SandboxObject, pm["id"])
    if row is not None and row.data["customer"] is None:
        attached = ctx.update(row, {"customer": intent["customer"]}, silent=True)
        ctx.emit("payment_method.attached", attached)


def store_intent(ctx: Context, intent: Data) -> Data:
    """Keep a PaymentIntent's or SetupIntent's latest state, a copy of `intent`, with
    no event (they are emitted on the way): stored anew or over the last."""
    row = ctx.session.get(SandboxObject, intent["id"])
    if row is None:
        ctx.insert(copy.deepcopy(intent), silent=True)
    else:
        row.data = copy.deepcopy(intent)
    return intent


def _store(ctx: Context, attempt: Attempt) -> Attempt:
    """Keep the latest state; its events were emitted on the way."""
    store_intent(ctx, attempt.intent)
    if attempt.charge is not None:
        # Stripe sends charge.succeeded or charge.failed, never charge.created.
        ctx.insert(copy.deepcopy(attempt.charge), silent=True)
    return attempt
