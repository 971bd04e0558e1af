"""Whatever path a user takes to pay, Cello's Stripe webhook sees the same things: the
customer created with Cello's metadata before any subscription, then the discounted
first invoice paid; and the lifecycle after it (an upgrade, a refund) reaches it too."""

import re
from urllib.parse import urlsplit

import pytest
from helpers import AuthActions, sandbox_events
from test_billing_portal import open_portal
from test_checkout import checkout
from test_hosted_checkout import open_hosted, pay_as_rendered

CELLO_UCC = "cello-sees"


def pay_hosted(client):
    _, paid = pay_as_rendered(client, open_hosted(client).headers["Location"])
    assert paid.status_code == 303


def pay_with_test_card(client):
    assert checkout(client).status_code == 302


PATHS = {"hosted": pay_hosted, "test card": pay_with_test_card}
SCENARIOS = {"A": "customer_at_signup", "B": "customer_at_purchase"}


@pytest.fixture(params=sorted(SCENARIOS))
def shop(request, make_app):
    app = make_app(MOONLY_REFERRAL_FLOW=SCENARIOS[request.param])
    assert app.test_cli_runner().invoke(args=["stripe", "bootstrap"]).exit_code == 0
    return app


def cello_view(app):
    """The events in the order Stripe made them, as Cello's webhook receives them."""
    return sandbox_events(app)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_customer_with_metadata_first_then_the_discounted_invoice_paid(shop, path):
    client = shop.test_client()
    AuthActions(client).signup(ucc=CELLO_UCC, organization="Acme")
    PATHS[path](client)
    events = cello_view(shop)
    types = [e["type"] for e in events]
    created = types.index("customer.created")
    customer = events[created]["data"]["object"]
    metadata = customer["metadata"]
    assert metadata["cello_ucc"] == CELLO_UCC
    assert metadata["new_user_id"].startswith("usr_")
    assert metadata["new_user_organization_id"].startswith("org_")
    assert created < types.index("customer.subscription.created")
    (paid,) = [e["data"]["object"] for e in events if e["type"] == "invoice.paid"]
    assert paid["customer"] == customer["id"]
    assert paid["amount_paid"] == 960  # $12.00 with 20 % off
    assert sum(d["amount"] for d in paid["total_discount_amounts"]) == 240


def test_an_upgrade_and_a_refund_reach_cello(shop):
    from moonly.billing import stripe_api

    client = shop.test_client()
    AuthActions(client).signup(ucc=CELLO_UCC)
    pay_with_test_card(client)
    path = urlsplit(open_portal(client).headers["Location"]).path
    with shop.app_context():
        pro = stripe_api.prices_by_lookup_key(["moonly_pro_monthly"])[
            "moonly_pro_monthly"
        ]
    html = client.get(path).get_data(as_text=True)
    form = next(
        f for f in re.findall(r"<form[^>]*>.*?</form>", html, re.S) if pro.id in f
    )
    client.post(path, data=dict(re.findall(r'name="([^"]+)" value="([^"]+)"', form)))
    with shop.app_context():
        charge = stripe_api.client().v1.charges.list().data[0]
        stripe_api.client().v1.refunds.create(params={"charge": charge.id})
    events = cello_view(shop)
    upgrades = [
        e
        for e in events
        if e["type"] == "customer.subscription.updated"
        and "items" in e["data"].get("previous_attributes", {})
    ]
    assert upgrades, "the plan change never reached Stripe's events"
    item = upgrades[-1]["data"]["object"]["items"]["data"][0]
    assert item["price"]["id"] == pro.id
    (refunded,) = [e for e in events if e["type"] == "charge.refunded"]
    assert refunded["data"]["object"]["amount_refunded"] == 960


@pytest.mark.parametrize("flow", sorted(SCENARIOS.values()))
def test_a_trial_then_the_discounted_invoice_reaches_cello(make_app, flow):
    from moonly.billing import stripe_api

    shop = make_app(MOONLY_REFERRAL_FLOW=flow, MOONLY_TRIAL_DAYS=7)
    assert shop.test_cli_runner().invoke(args=["stripe", "bootstrap"]).exit_code == 0
    client = shop.test_client()
    AuthActions(client).signup(ucc=CELLO_UCC)
    pay_with_test_card(client)
    with shop.app_context():
        (sub,) = stripe_api.client().v1.subscriptions.list().data
        assert sub.status == "trialing"
        stripe_api.advance_subscription(sub.id)  # the trial ends
    events = cello_view(shop)
    types = [e["type"] for e in events]
    assert types.index("customer.created") < types.index(
        "customer.subscription.created"
    )
    paid = [
        e["data"]["object"]["amount_paid"]
        for e in events
        if e["type"] == "invoice.paid"
    ]
    assert paid == [0, 960]  # the trial's $0, then 20 % off $12
