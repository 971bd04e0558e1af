"""Stripe's server-side test payment methods (`pm_card_visa`, …) and what each does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .errors import SandboxError
from .shapes import Data


@dataclass(frozen=True)
class Decline:
    """A card error as Stripe returns it: code, decline code and message."""

    code: str
    decline_code: str
    message: str
    param: str | None = None

    def error(self) -> SandboxError:
        """The 402 for a direct request, such as attaching the card."""
        return SandboxError(
            402,
            self.message,
            type="card_error",
            code=self.code,
            param=self.param,
            extra={"decline_code": self.decline_code},
        )

    def as_dict(self) -> dict[str, str]:
        """The error as a PaymentIntent's `last_payment_error` shows it."""
        return {
            "type": "card_error",
            "code": self.code,
            "decline_code": self.decline_code,
            "message": self.message,
        }


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT = Decline(
    "card_declined", "insufficient_funds", "Your card has insufficient funds."
)
EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.", "exp_month")


@dataclass(frozen=True)
class Card:
    """One test id: the card it stands for and how Stripe treats it."""

    test_id: str
    brand: str
    last4: str
    funding: str = "credit"
    # Declined when attached (Stripe checks the card with the issuer).
    attach_decline: Decline | None = None
    # Attaches fine, then every charge is declined.
    charge_decline: Decline | None = None
    # Every payment needs 3-D Secure, also off-session renewals.
    requires_action: bool = False

    @property
    def fingerprint(self) -> str:
        """Stable per card number, like Stripe's fingerprints; names the card later."""
        return hashlib.sha256(self.test_id.encode()).hexdigest()[:16]


_CARDS = (
    Card("pm_card_visa", "visa", "4242"),
    Card("pm_card_visa_debit", "visa", "5556", funding="debit"),
    Card("pm_card_mastercard", "mastercard", "4444"),
    Card("pm_card_amex", "amex", "8431"),
    Card("pm_card_chargeDeclined", "visa", "0002", attach_decline=GENERIC),
    Card(
        "pm_card_chargeDeclinedInsufficientFunds",
        "visa",
        "9995",
        attach_decline=INSUFFICIENT,
    ),
    Card("pm_card_chargeDeclinedExpiredCard", "visa", "0069", attach_decline=EXPIRED),
    Card("pm_card_chargeCustomerFail", "visa", "0341", charge_decline=GENERIC),
    Card("pm_card_authenticationRequired", "visa", "3184", requires_action=True),
)

TEST_CARDS = {card.test_id: card for card in _CARDS}
_BY_FINGERPRINT = {card.fingerprint: card for card in _CARDS}


def card_of(payment_method: Data) -> Card:
    """The test card a stored payment method was made from."""
    return _BY_FINGERPRINT[payment_method["card"]["fingerprint"]]
