"""Paying on Stripe's Checkout page (the sandbox's page offline), beside the test-card
path, with the same guarantees for Cello."""

import re
from urllib.parse import parse_qs, urlsplit

from helpers import csrf_token, deliver_webhooks, hidden_value
from sqlalchemy import select
from test_checkout import checkout

from moonly.accounts.models import User
from moonly.billing.events import StripeEvent
from moonly.billing.models import Subscription
from moonly.extensions import db

PLAN = "/checkout/moonly_starter_monthly"


def open_hosted(client):
    page = client.get(PLAN).get_data(as_text=True)
    return client.post(
        PLAN + "/hosted",
        data={"csrf_token": csrf_token(page), "attempt": hidden_value(page, "attempt")},
    )


def pay_as_rendered(client, location):
    """Submit the hosted page's first form exactly as it is rendered."""
    path = urlsplit(location).path
    html = client.get(path).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    checked = re.search(r'name="card" value="([^"]+)"\s*checked', html).group(1)
    return html, client.post(action, data={"card": checked})


def the_user(app):
    with app.app_context():
        return db.session.scalar(select(User))


def test_the_checkout_page_offers_both_ways_to_pay(client, auth, catalog):
    auth.signup(ucc="test")
    html = client.get(PLAN).get_data(as_text=True)
    assert (
        "Pay on Stripe&#39;s checkout page" in html
        or "Pay on Stripe's checkout page" in html
    )
    assert 'action="/checkout/moonly_starter_monthly/hosted"' in html
    assert 'action="/checkout/moonly_starter_monthly"' in html


def test_a_referred_visitor_pays_on_the_hosted_page(app, client, auth, catalog, stripe):
    auth.signup(ucc="test", organization="Acme")
    opened = open_hosted(client)
    assert opened.status_code == 303
    location = opened.headers["Location"]
    assert "/_stripe-sandbox/pay/cs_" in location

    html, paid = pay_as_rendered(client, location)
    assert "$9.60" in html  # what is due today, with the new-user discount
    assert paid.status_code == 303
    success = urlsplit(paid.headers["Location"])
    assert success.path == "/checkout/success"
    (session_id,) = parse_qs(success.query)["session_id"]

    page = client.get(f"/checkout/success?session_id={session_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "You are subscribed to Moonly Starter" in text and "$9.60" in text

    user = the_user(app)
    with app.app_context():
        (row,) = db.session.scalars(select(Subscription)).all()
        assert row.customer_id == user.stripe_customer_id
        assert row.status == "active" and row.discount_coupon == "moonly-new-user"
    subscription = stripe.v1.subscriptions.retrieve(row.id)
    assert subscription.metadata.to_dict() == {
        "cello_ucc": "test",
        "new_user_id": user.public_id,
    }
    customer = stripe.v1.customers.retrieve(user.stripe_customer_id)
    assert customer.metadata.to_dict()["cello_ucc"] == "test"

    # The webhook records the same subscription once more, as a duplicate-safe sync.
    deliver_webhooks(app, app.test_client())
    with app.app_context():
        types = set(db.session.scalars(select(StripeEvent.type)))
        assert "checkout.session.completed" in types
        assert len(db.session.scalars(select(Subscription)).all()) == 1
    # Back to checkout with a plan: sent to the account page.
    assert client.get(PLAN).headers["Location"].endswith("/account")


def test_another_users_session_is_a_404(app, client, auth, catalog):
    auth.signup(email="first@example.com", ucc="test")
    location = open_hosted(client).headers["Location"]
    session_id = urlsplit(location).path.rsplit("/", 1)[1]
    other = app.test_client()
    from helpers import AuthActions

    AuthActions(other).signup(email="second@example.com")
    assert other.get(f"/checkout/success?session_id={session_id}").status_code == 404
    assert other.get("/checkout/success?session_id=cs_<script>").status_code == 404


def test_a_second_session_expires_the_first(app, client, auth, catalog, stripe):
    auth.signup()
    first = urlsplit(open_hosted(client).headers["Location"]).path.rsplit("/", 1)[1]
    second = urlsplit(open_hosted(client).headers["Location"]).path.rsplit("/", 1)[1]
    assert first != second
    assert stripe.v1.checkout.sessions.retrieve(first).status == "expired"
    assert stripe.v1.checkout.sessions.retrieve(second).status == "open"


def test_an_unreferred_user_pays_full_price_and_a_cancelled_checkout_makes_nothing(
    app, client, auth, catalog, stripe
):
    auth.signup()
    location = open_hosted(client).headers["Location"]
    html = client.get(urlsplit(location).path).get_data(as_text=True)
    assert "$12.00" in html and "$9.60" not in html
    cancel = re.search(r'href="([^"]+)"[^>]*>[^<]*(Cancel|Back)', html)
    assert cancel and cancel.group(1).endswith(PLAN)
    assert stripe.v1.subscriptions.list(params={"status": "all"}).data == []


def test_the_test_card_path_still_works_beside_it(client, auth, catalog):
    auth.signup(ucc="test")
    assert checkout(client).status_code == 302


def test_the_demo_journey_shows_the_checkout_sessions(app, client, auth, catalog):
    auth.signup(ucc="test")
    open_hosted(client)  # abandoned, then replaced
    pay_as_rendered(client, open_hosted(client).headers["Location"])
    user = the_user(app)
    journey = client.get(f"/demo/api/journey?user={user.public_id}").json
    steps = [s for s in journey["timeline"] if s["key"] == "checkout-session"]
    assert sorted(s["title"] for s in steps) == [
        "Paid on Stripe Checkout",
        "Stripe Checkout expired without payment",
    ]
    paid = next(s for s in steps if s["status"] == "done")
    assert paid["summary"].startswith("$9.60 due today")
