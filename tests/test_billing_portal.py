"""Managing the plan in Stripe's customer portal (the sandbox's portal page offline):
every change comes back by webhook and shows on /account."""

import re
from urllib.parse import urlsplit

from helpers import csrf_token, deliver_webhooks
from sqlalchemy import select
from test_checkout import checkout

from moonly.billing.models import Subscription
from moonly.extensions import db


def open_portal(client):
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post("/account/billing", data={"csrf_token": token})


def test_bootstrap_configures_the_portal_once(runner, stripe, catalog):
    again = runner.invoke(args=["stripe", "bootstrap"])
    assert "exists   customer portal configuration" in again.output  # no update sent
    (configuration,) = stripe.v1.billing_portal.configurations.list().data
    # Changed in Stripe (say, in the dashboard): the next bootstrap puts it back.
    stripe.v1.billing_portal.configurations.update(
        configuration.id,
        params={"features": {"subscription_cancel": {"mode": "immediately"}}},
    )
    restored = runner.invoke(args=["stripe", "bootstrap"])
    assert "updated  customer portal configuration" in restored.output
    (configuration,) = stripe.v1.billing_portal.configurations.list().data
    features = configuration.features
    assert features.subscription_update.enabled
    assert features.subscription_update.proration_behavior == "create_prorations"
    assert len(features.subscription_update.products) == 2  # Starter and Pro
    assert features.subscription_cancel.mode == "at_period_end"
    assert features.payment_method_update.enabled and features.invoice_history.enabled


def test_switching_to_pro_in_the_portal_shows_on_the_account_page(
    app, client, auth, catalog, stripe
):
    auth.signup(ucc="test")
    assert checkout(client).status_code == 302
    opened = open_portal(client)
    assert opened.status_code == 303
    path = urlsplit(opened.headers["Location"]).path
    assert path.startswith("/_stripe-sandbox/portal/bps_")

    pro = stripe.v1.prices.list(params={"lookup_keys": ["moonly_pro_monthly"]}).data[0]
    html = client.get(path).get_data(as_text=True)
    form = next(
        f for f in re.findall(r"<form[^>]*>.*?</form>", html, re.S) if pro.id in f
    )
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]+)"', form))
    assert client.post(path, data=fields).status_code in (302, 303)

    deliver_webhooks(app, app.test_client())
    with app.app_context():
        (row,) = db.session.scalars(select(Subscription)).all()
        assert row.lookup_key == "moonly_pro_monthly"
    account = client.get("/account").get_data(as_text=True)
    assert "Moonly Pro" in account and "$29.00/month" in account


def test_without_a_customer_the_portal_is_not_offered(client, auth, app):
    app.config["MOONLY_REFERRAL_FLOW"] = "customer_at_purchase"
    auth.signup()
    response = open_portal(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"


def test_a_refund_made_in_stripe_shows_on_the_account_page(
    app, client, auth, catalog, stripe
):
    auth.signup(ucc="test")
    assert checkout(client).status_code == 302
    charge = stripe.v1.charges.list().data[0]
    stripe.v1.refunds.create(params={"charge": charge.id, "amount": 460})
    deliver_webhooks(app, app.test_client())
    page = client.get("/account").get_data(as_text=True)
    assert "Refunded $4.60 (part of the payment)" in page
