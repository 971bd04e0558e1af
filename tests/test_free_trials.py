"""Free trials (MOONLY_TRIAL_DAYS): both ways to pay start one with the card collected,
and the first paid invoice still carries the new-user discount."""

import pytest
from helpers import AuthActions, sandbox_events
from sqlalchemy import select
from test_checkout import checkout
from test_hosted_checkout import open_hosted, pay_as_rendered

from moonly.billing.models import Subscription
from moonly.extensions import db


@pytest.fixture
def trial_app(make_app):
    app = make_app(MOONLY_TRIAL_DAYS=14)
    assert app.test_cli_runner().invoke(args=["stripe", "bootstrap"]).exit_code == 0
    return app


def subscription(app):
    with app.app_context():
        return db.session.scalars(select(Subscription)).one()


def test_the_test_card_path_starts_a_trial_then_bills_the_discounted_price(
    trial_app, stripe
):
    from moonly.billing import stripe_api

    client = trial_app.test_client()
    AuthActions(client).signup(ucc="trial")
    assert checkout(client).status_code == 302
    row = subscription(trial_app)
    assert row.status == "trialing"
    assert "Free trial until" in client.get("/account").get_data(as_text=True)
    (first,) = [e["data"]["object"] for e in sandbox_events(trial_app, "invoice.paid")]
    assert first["amount_paid"] == 0
    with trial_app.app_context():
        invoice = stripe_api.advance_subscription(row.id)  # the trial ends
    assert invoice["amount_paid"] == 960  # $12.00 with the new-user 20 % off


def test_the_hosted_page_shows_the_trial_and_starts_it(trial_app):
    client = trial_app.test_client()
    AuthActions(client).signup(ucc="trial")
    html, paid = pay_as_rendered(client, open_hosted(client).headers["Location"])
    assert "14-day free trial" in html
    assert paid.status_code == 303
    done = client.get(paid.headers["Location"].split("localhost", 1)[-1])
    assert "Your free trial has started" in done.get_data(as_text=True)
    assert subscription(trial_app).status == "trialing"
