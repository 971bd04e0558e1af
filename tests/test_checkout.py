"""Pricing, checkout with the new-user discount, the account page, renewals."""

import re

import pytest
from helpers import csrf_token, hidden_value
from sqlalchemy import delete, func, select

from moonly.accounts.models import User
from moonly.billing.models import Invoice, Subscription
from moonly.billing.stripe_api import advance_subscription
from moonly.extensions import db


def page_text(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def attempt_of(html: str) -> str:
    return hidden_value(html, "attempt")


def checkout(
    client, lookup_key="moonly_starter_monthly", card="pm_card_visa", attempt=None
):
    page = client.get(f"/checkout/{lookup_key}")
    html = page.get_data(as_text=True)
    return client.post(
        f"/checkout/{lookup_key}",
        data={
            "csrf_token": csrf_token(html),
            "payment_method": card,
            "attempt": attempt or attempt_of(html),
        },
    )


def checked_cards(html: str) -> list[str]:
    """The test cards selected on a rendered checkout page."""
    tags = re.findall(r"<input[^>]*>", html)
    return [
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in tags
        if 'name="payment_method"' in tag and re.search(r"\schecked[\s>]", tag)
    ]


def the_user(app):
    with app.app_context():
        return db.session.scalar(select(User))


def stripe_subscriptions(stripe, customer_id):
    return stripe.v1.subscriptions.list(
        params={"customer": customer_id, "status": "all"}
    ).data


def stripe_invoices(stripe, customer_id):
    return sorted(
        stripe.v1.invoices.list(params={"customer": customer_id}).data,
        key=lambda i: i.created,
    )


@pytest.fixture
def referred(auth, catalog):
    auth.signup(ucc="UPobYBDuu0N")


@pytest.fixture
def unreferred(auth, catalog):
    auth.signup()


def test_pricing_lists_the_four_plans_from_the_catalog(client, catalog):
    text = page_text(client.get("/pricing"))
    for amount in ("$12.00", "$29.00", "$120.00", "$290.00"):
        assert amount in text
    assert "% off" not in text


def test_pricing_shows_the_offer_to_a_referred_visitor(client, catalog):
    text = page_text(client.get("/pricing?ucc=test&productId=test"))
    assert "$9.60/month for 3 months, then $12.00/month" in text
    assert "$96.00/year for the first year, then $120.00/year" in text


def test_checkout_needs_login(client, catalog):
    response = client.get("/checkout/moonly_starter_monthly")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_unknown_plan_is_404(client, referred):
    assert client.get("/checkout/moonly_gold_monthly").status_code == 404


def test_checkout_page_shows_what_a_referred_user_pays(client, referred):
    text = page_text(client.get("/checkout/moonly_starter_monthly"))
    assert "$9.60/month for 3 months, then $12.00/month" in text


def test_checkout_page_for_an_unreferred_user(client, unreferred):
    text = page_text(client.get("/checkout/moonly_starter_monthly"))
    assert "$12.00/month" in text
    assert "$9.60" not in text


def test_referred_checkout_gets_the_discount_and_renewals_end_it(
    app, client, stripe, referred
):
    response = checkout(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    user = the_user(app)
    (subscription,) = stripe_subscriptions(stripe, user.stripe_customer_id)
    assert subscription.status == "active"
    metadata = subscription.metadata.to_dict()
    assert metadata.pop("moonly_checkout_attempt")
    assert metadata == {"cello_ucc": "UPobYBDuu0N", "new_user_id": user.public_id}
    assert len(subscription.discounts) == 1
    (first,) = stripe_invoices(stripe, user.stripe_customer_id)
    assert (first.subtotal, first.total, first.amount_paid) == (1200, 960, 960)
    assert first.total_discount_amounts[0].amount == 240

    with app.app_context():
        renewals = [advance_subscription(subscription.id) for _ in range(3)]
    assert [r["total"] for r in renewals] == [960, 960, 1200]

    text = page_text(client.get("/account"))
    assert "Moonly Starter" in text
    assert "$12.00/month" in text
    assert "20 % off until" in text


def test_account_page_after_a_referred_checkout(client, referred):
    checkout(client)
    text = page_text(client.get("/account"))
    assert "Active" in text
    assert "Next invoice: $9.60" in text
    assert "$9.60" in text and "$2.40" in text  # the paid invoice and its discount


def test_unreferred_user_pays_full_price(app, client, stripe, unreferred):
    checkout(client)
    user = the_user(app)
    (subscription,) = stripe_subscriptions(stripe, user.stripe_customer_id)
    assert subscription.discounts == []
    (invoice,) = stripe_invoices(stripe, user.stripe_customer_id)
    assert invoice.total == 1200
    assert "Next invoice: $12.00" in page_text(client.get("/account"))


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient funds"),
        ("pm_card_chargeCustomerFail", "declined"),
        ("pm_card_authenticationRequired", "3-D Secure"),
    ],
)
def test_failed_payment_leaves_no_subscription_and_lets_the_user_retry(
    app, client, stripe, referred, card, message
):
    response = checkout(client, card=card)
    assert response.status_code == 402
    text = page_text(response)
    assert message in text
    assert "Nothing was charged" in text
    # The refused card is no longer selected: the page's default card is.
    assert checked_cards(response.get_data(as_text=True)) == ["pm_card_visa"]
    user = the_user(app)
    assert stripe_subscriptions(stripe, user.stripe_customer_id) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0

    assert checkout(client, card="pm_card_visa").status_code == 302
    (subscription,) = stripe_subscriptions(stripe, user.stripe_customer_id)
    assert subscription.status == "active"
    assert len(subscription.discounts) == 1  # the failed try did not use up the offer


def test_double_submit_makes_one_subscription(app, client, stripe, referred):
    page = client.get("/checkout/moonly_starter_monthly").get_data(as_text=True)
    attempt = attempt_of(page)
    checkout(client, attempt=attempt)
    # The second submit raced the first: it started before the first was recorded.
    with app.app_context():
        db.session.execute(delete(Invoice))
        db.session.execute(delete(Subscription))
        db.session.commit()
    assert checkout(client, attempt=attempt).status_code == 302
    user = the_user(app)
    assert len(stripe_subscriptions(stripe, user.stripe_customer_id)) == 1


def test_subscribed_user_is_sent_to_the_account_page(client, referred):
    checkout(client)
    response = client.get("/checkout/moonly_pro_monthly")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


def test_missing_payment_method_is_a_form_error(client, referred):
    html = client.get("/checkout/moonly_starter_monthly").get_data(as_text=True)
    response = client.post(
        "/checkout/moonly_starter_monthly",
        data={
            "csrf_token": csrf_token(html),
            "payment_method": "pm_card_bogus",
            "attempt": attempt_of(html),
        },
    )
    assert response.status_code == 400
    assert "Not a valid choice" in page_text(response)


def test_customer_missing_since_signup_is_created_at_checkout(
    app, client, auth, stripe, sandbox, catalog
):
    sandbox.faults.fail_next(1, "connection")
    auth.signup(ucc="test")
    assert the_user(app).stripe_customer_id is None
    assert checkout(client).status_code == 302
    user = the_user(app)
    customer = stripe.v1.customers.retrieve(user.stripe_customer_id)
    assert customer.metadata.to_dict() == {
        "cello_ucc": "test",
        "new_user_id": user.public_id,
    }
    (subscription,) = stripe_subscriptions(stripe, user.stripe_customer_id)
    assert len(subscription.discounts) == 1


def test_cancel_at_period_end(app, client, stripe, referred):
    checkout(client)
    page = client.get("/account").get_data(as_text=True)
    response = client.post("/account/cancel", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    user = the_user(app)
    (subscription,) = stripe_subscriptions(stripe, user.stripe_customer_id)
    assert subscription.cancel_at_period_end is True
    text = page_text(client.get("/account"))
    assert "Ends on" in text
    with app.app_context():
        assert db.session.scalar(select(Subscription.cancel_at_period_end)) is True


def test_second_subscription_gets_no_discount(app, client, stripe, referred):
    checkout(client)
    user = the_user(app)
    (first,) = stripe_subscriptions(stripe, user.stripe_customer_id)
    stripe.v1.subscriptions.cancel(first.id)
    with app.app_context():
        from moonly.billing.sync import sync_subscription

        sync_subscription(first.id)
        db.session.commit()
    assert checkout(client, "moonly_pro_monthly").status_code == 302
    (newest,) = [
        s
        for s in stripe_subscriptions(stripe, user.stripe_customer_id)
        if s.id != first.id
    ]
    assert newest.discounts == []


@pytest.mark.parametrize(
    ("after", "kind", "message", "subscriptions"),
    [
        # The checkout's Stripe calls: list subscriptions, attach, create, two reads.
        (0, "connection", "nothing was charged", 0),
        (2, "lost_response", "cannot tell yet whether your plan started", 1),
        (3, "server_error", "Your plan started, but Moonly could not record it yet", 1),
    ],
)
def test_stripe_outage_message_says_what_happened(
    app, client, stripe, sandbox, referred, after, kind, message, subscriptions
):
    page = client.get("/checkout/moonly_starter_monthly").get_data(as_text=True)
    sandbox.faults.fail_next(1, kind, after=after)
    response = client.post(
        "/checkout/moonly_starter_monthly",
        data={
            "csrf_token": csrf_token(page),
            "attempt": attempt_of(page),
            "payment_method": "pm_card_mastercard",
        },
    )
    assert response.status_code == 402
    assert message in page_text(response)
    # Stripe failed, not the card: the visitor's choice stays.
    assert checked_cards(response.get_data(as_text=True)) == ["pm_card_mastercard"]
    user = the_user(app)
    assert len(stripe_subscriptions(stripe, user.stripe_customer_id)) == subscriptions
    # Trying again is safe either way: one plan in the end.
    assert checkout(client).status_code == 302
    assert len(stripe_subscriptions(stripe, user.stripe_customer_id)) == 1


def test_export_my_data_downloads_the_account_referral_plan_and_invoices(
    app, client, referred
):
    assert checkout(client).status_code == 302
    assert 'href="/account/export"' in client.get("/account").get_data(as_text=True)
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json(force=True)
    user = the_user(app)
    assert data["account"]["id"] == user.public_id
    assert data["account"]["email"] == user.email
    assert data["referral"]["ucc"] == user.ucc
    assert data["stripe_customer_id"] == user.stripe_customer_id
    (plan,) = data["subscriptions"]
    assert plan["plan"] == "moonly_starter_monthly" and plan["status"] == "active"
    (invoice,) = data["invoices"]
    assert invoice["amount_paid"] == 960 and invoice["discount"] == 240
    assert "password" not in response.get_data(as_text=True)


def test_export_needs_login(client):
    response = client.get("/account/export")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
