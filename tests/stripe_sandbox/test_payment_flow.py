"""Paying an incomplete subscription as Stripe's docs do: `default_incomplete`, the
first invoice's confirmation secret, the customer confirming its PaymentIntent (3-D
Secure on the sandbox's own page), `invoices.pay`, SetupIntents, and the 23-hour
expiry."""

from urllib.parse import parse_qs, urlsplit

import pytest
import stripe as stripe_sdk
from conftest import advance, advance_by, count, recorded
from test_billing import COUPON, assert_shape, customer_with, price
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.wrappers import Response

from moonly.stripe_sandbox import Sandbox
from moonly.stripe_sandbox.store import DEFAULT_PUBLIC_URL

RETURN_URL = "https://shop.example/subscribed?plan=starter"


def incomplete(stripe, coupon=True, **extra):
    """A subscription created as Stripe's docs create one, waiting for the customer."""
    customer = stripe.v1.customers.create(params={"email": "docs@example.com"})
    params = {
        "customer": customer.id,
        "items": [{"price": price(stripe)}],
        "payment_behavior": "default_incomplete",
        "payment_settings": {"save_default_payment_method": "on_subscription"},
        "expand": ["latest_invoice.confirmation_secret"],
        **extra,
    }
    if coupon:
        params["discounts"] = [{"coupon": COUPON}]
    return stripe.v1.subscriptions.create(params=params)


def intent_of(stripe, sub):
    (payment,) = stripe.v1.invoice_payments.list(
        params={"invoice": sub.latest_invoice.id}
    ).data
    return payment.payment.payment_intent


def test_default_incomplete_is_paid_by_confirming_its_payment_intent(
    sandbox, stripe, catalog
):
    sub = incomplete(stripe)
    invoice = sub.latest_invoice
    assert (sub.status, invoice.status, invoice.amount_due) == (
        "incomplete",
        "open",
        960,
    )
    secret = invoice.confirmation_secret
    assert secret.type == "payment_intent"
    intent_id = intent_of(stripe, sub)
    assert secret.client_secret.startswith(intent_id + "_secret_")
    intent = stripe.v1.payment_intents.retrieve(
        intent_id, params={"client_secret": secret.client_secret}
    )
    assert (intent.status, intent.amount, intent.setup_future_usage) == (
        "requires_payment_method",
        960,
        "off_session",
    )
    assert_shape(intent, stripe_sdk.PaymentIntent)
    before = len(recorded(stripe))

    confirmed = stripe.v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}
    )

    assert confirmed.status == "succeeded" and confirmed.amount_received == 960
    pm_id = confirmed.payment_method
    after = stripe.v1.subscriptions.retrieve(sub.id)
    assert (after.status, after.default_payment_method) == ("active", pm_id)
    paid = stripe.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 960, 0)
    assert paid.payments.data[0].status == "paid"
    assert paid.payments.data[0].amount_paid == 960
    card = stripe.v1.payment_methods.retrieve(pm_id)
    assert (card.customer, card.card.last4) == (sub.customer, "4242")
    charge = stripe.v1.charges.retrieve(confirmed.latest_charge)
    assert (charge.amount, charge.status, charge.payment_method) == (
        960,
        "succeeded",
        pm_id,
    )
    events = recorded(stripe)
    assert [e.type for e in events[:before]] == [
        "customer.created",
        "customer.updated",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
    ]
    assert [e.type for e in events[before:]] == [
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_method.attached",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    assert events[-1].data["data"]["previous_attributes"] == {
        "status": "incomplete",
        "default_payment_method": None,
    }
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.payment_intents.confirm(intent_id)
    assert caught.value.code == "payment_intent_unexpected_state"
    assert "already succeeded" in caught.value.user_message


def test_the_saved_card_pays_the_renewal(sandbox, stripe, catalog):
    sub = incomplete(stripe, coupon=False)
    stripe.v1.payment_intents.confirm(
        intent_of(stripe, sub), params={"payment_method": "pm_card_mastercard"}
    )
    renewal = advance(stripe, sub.id)
    assert (renewal["status"], renewal["total"]) == ("paid", 1200)
    charge = stripe.v1.charges.list(params={"customer": sub.customer}).data[0]
    assert charge.payment_method_details.card.last4 == "4444"


def test_without_saving_the_card_stays_off_the_subscription(sandbox, stripe, catalog):
    sub = incomplete(stripe, payment_settings={"save_default_payment_method": "off"})
    intent = stripe.v1.payment_intents.confirm(
        intent_of(stripe, sub), params={"payment_method": "pm_card_visa"}
    )
    assert intent.setup_future_usage is None
    after = stripe.v1.subscriptions.retrieve(sub.id)
    assert (after.status, after.default_payment_method) == ("active", None)
    assert stripe.v1.payment_methods.retrieve(intent.payment_method).customer is None


@pytest.mark.parametrize(
    ("card", "decline_code", "message"),
    [
        ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeCustomerFail", "generic_decline", "Your card was declined."),
    ],
)
def test_a_declining_card_fails_the_confirm_with_the_card_error(
    sandbox, stripe, catalog, card, decline_code, message
):
    sub = incomplete(stripe)
    intent_id = intent_of(stripe, sub)
    before = len(recorded(stripe))
    with pytest.raises(stripe_sdk.CardError) as caught:
        stripe.v1.payment_intents.confirm(intent_id, params={"payment_method": card})
    error = caught.value
    assert (error.http_status, error.code, error.user_message) == (
        402,
        "card_declined",
        message,
    )
    assert error.error.decline_code == decline_code
    failed = error.error.payment_intent
    assert (failed.id, failed.status, failed.payment_method) == (
        intent_id,
        "requires_payment_method",
        None,
    )
    assert failed.last_payment_error.decline_code == decline_code
    # The failure is recorded, as Stripe records it.
    intent = stripe.v1.payment_intents.retrieve(intent_id)
    assert intent.last_payment_error.code == "card_declined"
    assert stripe.v1.charges.retrieve(intent.latest_charge).status == "failed"
    invoice = stripe.v1.invoices.retrieve(sub.latest_invoice.id)
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    assert [e.type for e in recorded(stripe)[before:]] == [
        "payment_intent.payment_failed",
        "charge.failed",
        "invoice.payment_failed",
    ]
    # Another card then pays it.
    retried = stripe.v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}
    )
    assert retried.status == "succeeded"
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "active"
    assert stripe.v1.invoices.retrieve(invoice.id).attempt_count == 2


def _redirect(sub, stripe, **confirm):
    intent_id = intent_of(stripe, sub)
    intent = stripe.v1.payment_intents.confirm(
        intent_id,
        params={"payment_method": "pm_card_authenticationRequired", **confirm},
    )
    return intent


def _local(url, served, transport):
    """The page's URL as this test reaches it: in-process, the sandbox's default public
    address is not served, so the test goes to the loopback server instead."""
    if transport == "in-process":
        assert url.startswith(DEFAULT_PUBLIC_URL + "/3ds/")
        return served.base + url[len(DEFAULT_PUBLIC_URL) :]
    assert url.startswith(served.base + "/3ds/")
    return url


def test_3ds_redirects_to_the_sandboxs_page_and_back(
    sandbox, stripe, catalog, served, transport
):
    sub = incomplete(stripe)
    intent = _redirect(sub, stripe, return_url=RETURN_URL)
    assert intent.status == "requires_action"
    action = intent.next_action
    assert action.type == "redirect_to_url"
    assert action.redirect_to_url.return_url == RETURN_URL
    assert count(sandbox, "charge") == 0
    url = _local(action.redirect_to_url.url, served, transport)
    parts = urlsplit(url)
    client = Client(sandbox.wsgi_app())
    page = client.get(parts.path, query_string=parts.query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Complete authentication" in html and "Fail authentication" in html
    assert "$9.60" in html and "Visa ending in 3184" in html
    secret = parse_qs(parts.query)["client_secret"][0]
    answer = client.post(
        parts.path, data={"client_secret": secret, "outcome": "complete"}
    )
    assert answer.status_code == 303
    back = urlsplit(answer.headers["Location"])
    assert back._replace(query="").geturl() == "https://shop.example/subscribed"
    assert parse_qs(back.query) == {
        "plan": ["starter"],
        "payment_intent": [intent.id],
        "payment_intent_client_secret": [intent.client_secret],
        "redirect_status": ["succeeded"],
    }
    done = stripe.v1.payment_intents.retrieve(intent.id)
    assert (done.status, done.next_action) == ("succeeded", None)
    charge = stripe.v1.charges.retrieve(done.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "active"
    assert stripe.v1.invoices.retrieve(sub.latest_invoice.id).status == "paid"
    types = [e.type for e in recorded(stripe)]
    assert types[-8:] == [
        "payment_intent.requires_action",
        "invoice.payment_action_required",
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_method.attached",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    # The page has nothing more to do.
    again = client.get(parts.path, query_string=parts.query)
    assert "Nothing to authenticate" in again.get_data(as_text=True)


def test_failing_3ds_leaves_the_invoice_open(sandbox, stripe, catalog):
    sub = incomplete(stripe)
    intent = _redirect(sub, stripe, return_url="https://shop.example/back")
    parts = urlsplit(intent.next_action.redirect_to_url.url)
    client = Client(sandbox.wsgi_app())
    secret = parse_qs(parts.query)["client_secret"][0]
    answer = client.post(parts.path, data={"client_secret": secret, "outcome": "fail"})
    assert answer.status_code == 303
    assert "redirect_status=failed" in answer.headers["Location"]
    failed = stripe.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    assert failed.latest_charge is None
    assert stripe.v1.invoices.retrieve(sub.latest_invoice.id).status == "open"
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    assert [e.type for e in recorded(stripe)][-2:] == [
        "payment_intent.payment_failed",
        "invoice.payment_failed",
    ]


def test_3ds_without_return_url_leaves_it_to_stripe_js(sandbox, stripe, catalog):
    sub = incomplete(stripe)
    intent = _redirect(sub, stripe)
    action = intent.next_action
    assert action.type == "use_stripe_sdk"
    assert action.use_stripe_sdk.type == "three_d_secure_redirect"
    parts = urlsplit(action.use_stripe_sdk.stripe_js)
    client = Client(sandbox.wsgi_app())
    secret = parse_qs(parts.query)["client_secret"][0]
    answer = client.post(
        parts.path, data={"client_secret": secret, "outcome": "complete"}
    )
    assert answer.status_code == 200
    assert "Authentication complete" in answer.get_data(as_text=True)
    assert stripe.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_the_3ds_page_refuses_a_wrong_secret(sandbox, stripe, catalog):
    sub = incomplete(stripe)
    intent = _redirect(sub, stripe, return_url=RETURN_URL)
    path = urlsplit(intent.next_action.redirect_to_url.url).path
    client = Client(sandbox.wsgi_app())
    assert client.get(path, query_string="client_secret=nope").status_code == 404
    answer = client.post(path, data={"client_secret": "nope", "outcome": "complete"})
    assert answer.status_code == 404
    assert stripe.v1.payment_intents.retrieve(intent.id).status == "requires_action"


def test_the_3ds_page_works_under_a_mount_prefix(tmp_path):
    mounted = Sandbox(
        f"sqlite:///{tmp_path / 'mounted.sqlite3'}",
        public_url="http://app.example/_stripe-sandbox",
    )
    try:
        stripe = stripe_sdk.StripeClient(
            "sk_test_x", http_client=mounted.http_client(), max_network_retries=0
        )
        product = stripe.v1.products.create(params={"name": "Starter"})
        price_id = stripe.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1200,
                "recurring": {"interval": "month"},
            }
        ).id
        customer = stripe.v1.customers.create()
        sub = stripe.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price_id}],
                "payment_behavior": "default_incomplete",
                "expand": ["latest_invoice.confirmation_secret"],
            }
        )
        secret = sub.latest_invoice.confirmation_secret.client_secret
        intent = stripe.v1.payment_intents.confirm(
            secret.split("_secret_")[0],
            params={
                "payment_method": "pm_card_authenticationRequired",
                "return_url": "http://app.example/done",
            },
        )
        url = intent.next_action.redirect_to_url.url
        assert url.startswith("http://app.example/_stripe-sandbox/3ds/pi_")
        app = DispatcherMiddleware(
            Response("the app"), {"/_stripe-sandbox": mounted.wsgi_app()}
        )
        client = Client(app)
        parts = urlsplit(url)
        page = client.get(parts.path, query_string=parts.query)
        assert f'action="/_stripe-sandbox/3ds/{intent.id}"' in page.get_data(
            as_text=True
        )
        answer = client.post(
            f"/_stripe-sandbox/3ds/{intent.id}",
            data={"client_secret": intent.client_secret, "outcome": "complete"},
        )
        assert answer.headers["Location"].startswith("http://app.example/done?")
        assert stripe.v1.subscriptions.retrieve(sub.id).status == "active"
    finally:
        mounted.dispose()


def test_invoices_pay_with_a_card(sandbox, stripe, catalog):
    sub = incomplete(stripe, coupon=False)
    customer_id = sub.customer
    card = stripe.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer_id}
    )
    paid = stripe.v1.invoices.pay(
        sub.latest_invoice.id, params={"payment_method": card.id}
    )
    assert (paid.status, paid.amount_paid) == ("paid", 1200)
    assert_shape(paid, stripe_sdk.Invoice)
    after = stripe.v1.subscriptions.retrieve(sub.id)
    assert (after.status, after.default_payment_method) == ("active", card.id)
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.invoices.pay(paid.id)
    assert caught.value.user_message == "Invoice is already paid"


def test_invoices_pay_declines_and_asks_for_authentication(sandbox, stripe, catalog):
    sub = incomplete(stripe, coupon=False)
    declining = stripe.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": sub.customer}
    )
    with pytest.raises(stripe_sdk.CardError) as caught:
        stripe.v1.invoices.pay(
            sub.latest_invoice.id, params={"payment_method": declining.id}
        )
    assert caught.value.code == "card_declined"
    assert stripe.v1.invoices.retrieve(sub.latest_invoice.id).status == "open"
    with pytest.raises(stripe_sdk.CardError) as caught:
        stripe.v1.invoices.pay(
            sub.latest_invoice.id,
            params={"payment_method": "pm_card_authenticationRequired"},
        )
    assert caught.value.code == "invoice_payment_intent_requires_action"
    intent = stripe.v1.payment_intents.retrieve(intent_of(stripe, sub))
    assert intent.status == "requires_action"
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.invoices.pay("in_missing")
    assert caught.value.http_status == 404


def test_invoices_pay_brings_a_past_due_subscription_back(sandbox, stripe, catalog):
    customer, failing = customer_with(stripe, "pm_card_chargeCustomerFail")
    good = stripe.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer.id}
    )
    sub = stripe.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price(stripe)}],
            "default_payment_method": good.id,
        }
    )
    stripe.v1.subscriptions.update(
        sub.id, params={"default_payment_method": failing.id}
    )
    renewal = advance(stripe, sub.id)
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "past_due"
    paid = stripe.v1.invoices.pay(renewal["id"], params={"payment_method": good.id})
    assert paid.status == "paid"
    assert paid.status_transitions.paid_at == renewal["created"]
    after = stripe.v1.subscriptions.retrieve(sub.id)
    assert after.status == "active"
    update = recorded(stripe, {"customer.subscription.updated"})[-1].data
    assert update["data"]["previous_attributes"] == {"status": "past_due"}


def test_setup_intents_save_a_card(sandbox, stripe):
    customer = stripe.v1.customers.create(params={"email": "setup@example.com"})
    intent = stripe.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "usage": "off_session",
            "confirm": True,
        }
    )
    assert_shape(intent, stripe_sdk.SetupIntent)
    assert (intent.status, intent.usage) == ("succeeded", "off_session")
    card = stripe.v1.payment_methods.retrieve(intent.payment_method)
    assert (card.customer, card.card.last4) == (customer.id, "4242")
    assert [e.type for e in recorded(stripe)] == [
        "customer.created",
        "setup_intent.created",
        "payment_method.attached",
        "setup_intent.succeeded",
    ]
    fetched = stripe.v1.setup_intents.retrieve(
        intent.id, params={"client_secret": intent.client_secret}
    )
    assert fetched.id == intent.id
    with pytest.raises(stripe_sdk.InvalidRequestError):
        stripe.v1.setup_intents.retrieve(intent.id, params={"client_secret": "x"})
    later = stripe.v1.setup_intents.create(params={"customer": customer.id})
    assert later.status == "requires_payment_method"
    confirmed = stripe.v1.setup_intents.confirm(
        later.id, params={"payment_method": "pm_card_mastercard"}
    )
    assert confirmed.status == "succeeded"
    listed = stripe.v1.setup_intents.list(params={"customer": customer.id}).data
    assert [i.id for i in listed] == [later.id, intent.id]
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.setup_intents.confirm(later.id)
    assert caught.value.code == "setup_intent_unexpected_state"


def test_setup_intents_decline_and_authenticate(sandbox, stripe):
    customer = stripe.v1.customers.create()
    with pytest.raises(stripe_sdk.CardError) as caught:
        stripe.v1.setup_intents.create(
            params={
                "customer": customer.id,
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
            }
        )
    assert (caught.value.code, caught.value.error.decline_code) == (
        "card_declined",
        "generic_decline",
    )
    failed = caught.value.error.setup_intent
    assert failed.status == "requires_payment_method"
    assert stripe.v1.setup_intents.retrieve(failed.id).last_setup_error.code == (
        "card_declined"
    )
    assert "setup_intent.setup_failed" in [e.type for e in recorded(stripe)]
    assert stripe.v1.payment_methods.list(params={"customer": customer.id}).data == []

    intent = stripe.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "return_url": "https://shop.example/card-saved",
        }
    )
    assert intent.status == "requires_action"
    parts = urlsplit(intent.next_action.redirect_to_url.url)
    assert parts.path == f"/3ds/{intent.id}"
    client = Client(sandbox.wsgi_app())
    page = client.get(parts.path, query_string=parts.query)
    assert "Confirm your card" in page.get_data(as_text=True)
    answer = client.post(
        parts.path, data={"client_secret": intent.client_secret, "outcome": "complete"}
    )
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["setup_intent"] == [
        intent.id
    ]
    done = stripe.v1.setup_intents.retrieve(intent.id)
    assert done.status == "succeeded"
    saved = stripe.v1.payment_methods.retrieve(done.payment_method)
    assert saved.customer == customer.id


def test_an_unpaid_incomplete_subscription_expires_after_23_hours(
    sandbox, stripe, catalog
):
    sub = incomplete(stripe)
    intent_id = intent_of(stripe, sub)
    before = len(recorded(stripe))
    # A minute either side: real time runs on between requests.
    still = advance_by(stripe, sub.id, 23 * 3600 - 60)
    assert still["status"] == "incomplete"
    assert len(recorded(stripe)) == before
    expired = advance_by(stripe, sub.id, 120)
    assert expired["status"] == "incomplete_expired"
    assert expired["ended_at"] == sub.created + 23 * 3600
    invoice = stripe.v1.invoices.retrieve(sub.latest_invoice.id)
    assert invoice.status == "void"
    assert invoice.status_transitions.voided_at == sub.created + 23 * 3600
    intent = stripe.v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.cancellation_reason) == ("canceled", "void_invoice")
    events = recorded(stripe)[before:]
    assert [e.type for e in events] == [
        "payment_intent.canceled",
        "invoice.voided",
        "customer.subscription.updated",
    ]
    assert events[-1].data["data"]["previous_attributes"]["status"] == "incomplete"
    assert {e.data["created"] for e in events} == {sub.created + 23 * 3600}
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.payment_intents.confirm(
            intent_id, params={"payment_method": "pm_card_visa"}
        )
    assert caught.value.code == "payment_intent_unexpected_state"
    ended = stripe.v1.subscriptions.list(params={"status": "ended"}).data
    assert [s.id for s in ended] == [sub.id]


def test_advance_without_seconds_expires_an_incomplete_subscription(
    sandbox, stripe, catalog
):
    sub = incomplete(stripe)
    expired = advance(stripe, sub.id)
    assert (expired["object"], expired["status"]) == (
        "subscription",
        "incomplete_expired",
    )
    with pytest.raises(stripe_sdk.InvalidRequestError):
        advance(stripe, sub.id)
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        advance_by(stripe, sub.id, -5)
    assert caught.value.param == "seconds"
