"""The checkout form: one of Stripe's test payment methods, and the attempt id."""

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField

# WTForms 3.3 added SelectChoice (tuples are deprecated); types-WTForms 3.2 predates it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, Regexp

from ..billing.checkout import TEST_PAYMENT_METHODS


def new_attempt() -> str:
    return secrets.token_urlsafe(16)


class CheckoutForm(FlaskForm):
    payment_method = RadioField(
        "Test card",
        choices=[
            SelectChoice(value, label) for value, label in TEST_PAYMENT_METHODS.items()
        ],
        default="pm_card_visa",
        validators=[InputRequired("Pick one of the test cards.")],
    )
    # One id per rendered form: a double submit reuses it, so Stripe makes one
    # subscription.
    attempt = HiddenField(
        validators=[
            InputRequired("Reload the page and try again."),
            Regexp(r"^[A-Za-z0-9_-]{16,64}$", message="Reload the page and try again."),
        ]
    )


class HostedCheckoutForm(FlaskForm):
    """Pay on Stripe's Checkout page: only the attempt id (a double submit is one
    session)."""

    attempt = HiddenField(
        validators=[
            InputRequired("Reload the page and try again."),
            Regexp(r"^[A-Za-z0-9_-]{16,64}$", message="Reload the page and try again."),
        ]
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[
            InputRequired("Type your password to delete your account."),
            Length(max=1024),
        ],
    )
