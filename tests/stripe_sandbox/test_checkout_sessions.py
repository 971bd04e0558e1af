"""Hosted Checkout: Checkout Sessions through the SDK, and paying on the sandbox's
page."""

import html
import re
import threading
from urllib.parse import urlsplit

import pytest
import stripe as stripe_sdk
from conftest import COUPON, count, recorded
from test_billing import assert_shape, price
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.wrappers import Response

SUCCESS = "https://moonly.example/checkout/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "https://moonly.example/pricing"


def create(stripe, **extra):
    params = {
        "mode": "subscription",
        "line_items": [{"price": price(stripe), "quantity": 1}],
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        **extra,
    }
    return stripe.v1.checkout.sessions.create(params=params)


def page(sandbox, session):
    """The werkzeug test client on the sandbox's WSGI app, and the page's path."""
    return Client(sandbox.wsgi_app()), urlsplit(session.url).path


def text(response) -> str:
    """The page's words, as a reader sees them (tags dropped, spaces collapsed)."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(words).split())


def test_create_retrieve_list_line_items(stripe, catalog, transport, served=None):
    session = create(
        stripe,
        customer_email="ana@example.com",
        discounts=[{"coupon": COUPON}],
        client_reference_id="user-42",
        metadata={"plan": "starter"},
        subscription_data={"metadata": {"moonly_user": "42"}},
    )
    assert_shape(session, stripe_sdk.checkout.Session)
    assert session.id.startswith("cs_test_") and len(session.id) > 60
    assert (session.status, session.payment_status, session.mode) == (
        "open",
        "unpaid",
        "subscription",
    )
    assert (session.amount_subtotal, session.amount_total) == (1200, 960)
    assert session.total_details.amount_discount == 240
    assert session.discounts[0].coupon == COUPON
    assert session.expires_at - session.created == 24 * 3600
    assert session.url.endswith("/pay/" + session.id)
    assert session.client_reference_id == "user-42"
    got = stripe.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]}
    )
    (item,) = got.line_items.data
    assert_shape(item, stripe_sdk.LineItem)
    assert (item.amount_subtotal, item.amount_discount, item.amount_total) == (
        1200,
        240,
        960,
    )
    assert item.description == "Starter" and item.price.id == price(stripe)
    listed = stripe.v1.checkout.sessions.line_items.list(session.id)
    assert [i.id for i in listed.data] == [item.id]
    other = create(stripe)
    found = stripe.v1.checkout.sessions.list(params={"status": "open"}).data
    assert [s.id for s in found] == [other.id, session.id]
    assert recorded(stripe) == []  # Stripe sends no checkout.session.created


def test_the_url_is_on_the_servers_own_origin_over_http(request, stripe, catalog):
    session = create(stripe)
    if request.getfixturevalue("transport") == "http":
        served = request.getfixturevalue("served")
        assert session.url == f"{served.base}/pay/{session.id}"
    else:
        assert session.url == f"http://127.0.0.1:12111/pay/{session.id}"


def test_expire(stripe, sandbox, catalog):
    session = create(stripe)
    expired = stripe.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert [e.type for e in recorded(stripe)] == ["checkout.session.expired"]
    with pytest.raises(stripe_sdk.InvalidRequestError):
        stripe.v1.checkout.sessions.expire(session.id)
    client, path = page(sandbox, session)
    response = client.get(path)
    assert response.status_code == 410 and "expired" in text(response)
    response = client.post(path, data={"card": "pm_card_visa"})
    assert response.status_code == 410
    assert count(sandbox, "subscription") == 0 and count(sandbox, "customer") == 0


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"mode": "payment"}, "mode=payment"),
        ({"subscription_data": {"trial_period_days": 731}}, None),
        ({"line_items": [{"price_data": {"currency": "usd"}}]}, None),
        ({"allow_promotion_codes": True, "discounts": [{"coupon": COUPON}]}, None),
        ({"customer_email": "a@example.com", "customer": "cus_x"}, None),
        ({"automatic_tax": {"enabled": True}}, "automatic_tax"),
    ],
)
def test_what_the_sandbox_refuses(stripe, catalog, params, param):
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        create(stripe, **params)
    if param is not None:
        assert error.value.code == "sandbox_unsupported_parameter"
        assert param in error.value.user_message


def test_the_page_shows_the_price_discount_and_test_cards(sandbox, stripe, catalog):
    session = create(stripe, discounts=[{"coupon": COUPON}])
    client, path = page(sandbox, session)
    response = client.get(path)
    assert response.status_code == 200
    shown = text(response)
    assert "Subscribe to Starter" in shown
    assert "$12.00 per month" in shown
    assert "Total due today $9.60" in shown
    assert "-$2.40" in shown
    assert "then $12.00 per month" in shown
    page_html = response.get_data(as_text=True)
    assert f'href="{CANCEL}"' in page_html
    first_form = page_html[page_html.index("<form") : page_html.index("</form>")]
    assert 'value="pm_card_visa" checked' in " ".join(first_form.split())
    for card in ("4242", "0002", "9995", "3184"):
        assert card in shown


def pay(client, path, card=None, **extra):
    data = {} if card is None else {"card": card}
    return client.post(path, data={**data, **extra})


def test_paying_completes_the_session_like_stripe(sandbox, stripe, catalog):
    session = create(
        stripe,
        customer_email="ana@example.com",
        discounts=[{"coupon": COUPON}],
        subscription_data={"metadata": {"moonly_user": "42"}},
    )
    client, path = page(sandbox, session)
    response = pay(client, path)  # the form as rendered: Visa 4242
    assert response.status_code == 303
    assert response.headers["Location"] == SUCCESS.replace(
        "{CHECKOUT_SESSION_ID}", session.id
    )
    done = stripe.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription", "customer"]}
    )
    assert (done.status, done.payment_status, done.url) == ("complete", "paid", None)
    assert done.customer.email == "ana@example.com"
    assert done.customer_details.email == "ana@example.com"
    sub = done.subscription
    assert sub.status == "active" and sub.metadata.to_dict() == {"moonly_user": "42"}
    assert sub.latest_invoice == done.invoice
    invoice = stripe.v1.invoices.retrieve(done.invoice)
    assert (invoice.status, invoice.total) == ("paid", 960)
    assert (done.amount_subtotal, done.amount_total) == (1200, 960)
    assert done.total_details.amount_discount == 240
    assert (
        stripe.v1.checkout.sessions.list(params={"subscription": sub.id}).data[0].id
        == session.id
    )
    assert [
        s.id
        for s in stripe.v1.checkout.sessions.list(params={"customer": done.customer.id})
    ] == [session.id]
    types = [e.type for e in recorded(stripe)]
    assert types == [
        "checkout.session.completed",
        "customer.created",
        "payment_method.attached",
        "customer.updated",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    completed = recorded(stripe, {"checkout.session.completed"})[0].data
    assert completed["data"]["object"]["subscription"] == sub.id
    assert completed["request"]["id"] is None  # made on a page, not by an API call


def test_a_given_customer_is_used_and_not_made(sandbox, stripe, catalog):
    customer = stripe.v1.customers.create(params={"email": "known@example.com"})
    session = create(stripe, customer=customer.id)
    client, path = page(sandbox, session)
    assert pay(client, path).status_code == 303
    done = stripe.v1.checkout.sessions.retrieve(session.id)
    assert done.customer == customer.id and count(sandbox, "customer") == 1


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeCustomerFail", "Your card was declined."),
    ],
)
def test_a_declined_card_shows_the_message_and_creates_nothing(
    sandbox, stripe, catalog, card, message
):
    session = create(stripe, customer_email="ana@example.com")
    client, path = page(sandbox, session)
    response = pay(client, path, card)
    assert response.status_code == 402
    assert message in text(response)
    if card != "pm_card_chargeCustomerFail":  # attaches, then fails; not on the page
        assert f'value="{card}" checked' in " ".join(
            response.get_data(as_text=True).split()
        )
    for kind in ("customer", "subscription", "payment_method", "invoice", "charge"):
        assert count(sandbox, kind) == 0, kind
    assert recorded(stripe) == []
    assert stripe.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert pay(client, path).status_code == 303  # another card still pays


def test_3d_secure_asks_first_then_pays_or_fails(sandbox, stripe, catalog):
    session = create(stripe)
    client, path = page(sandbox, session)
    card = "pm_card_authenticationRequired"
    challenge = pay(client, path, card)
    assert challenge.status_code == 200 and "Complete authentication" in text(challenge)
    assert count(sandbox, "customer") == 0
    failed = pay(client, path, card, three_d_secure="fail")
    assert failed.status_code == 402 and "unable to authenticate" in text(failed)
    assert count(sandbox, "subscription") == 0
    assert pay(client, path, card, three_d_secure="complete").status_code == 303
    done = stripe.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription"]}
    )
    assert done.subscription.status == "active"


def test_a_double_submit_makes_one_subscription(sandbox, stripe, catalog):
    session = create(stripe, customer_email="ana@example.com")
    client, path = page(sandbox, session)
    answers = []

    def submit():
        answers.append(
            Client(sandbox.wsgi_app()).post(path, data={"card": "pm_card_visa"})
        )

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert pay(client, path).status_code == 303  # and a third, later
    assert count(sandbox, "subscription") == 1 and count(sandbox, "customer") == 1
    response = client.get(path)
    assert response.status_code == 409 and "cannot be paid again" in text(response)


def test_the_promotion_code_box(sandbox, stripe, catalog):
    code = stripe.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": COUPON}, "code": "FRIEND20"}
    )
    off = stripe.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": COUPON},
            "code": "OLD",
            "active": False,
        }
    )
    session = create(stripe, allow_promotion_codes=True)
    client, path = page(sandbox, session)
    shown = text(client.get(path))
    assert "Total due today $12.00" in shown and "Promotion code" in shown
    for typed in ("NOPE", off.code):
        refused = client.post(path + "/promotion_code", data={"code": typed})
        assert refused.status_code == 400
        assert "This promotion code (OLD) is inactive." in text(refused) or (
            "This code is invalid." in text(refused)
        )
    applied = client.post(path + "/promotion_code", data={"code": "friend20"})
    assert applied.status_code == 303 and applied.headers["Location"] == path
    shown = text(client.get(path))
    assert "Total due today $9.60" in shown and "FRIEND20" in shown
    again = stripe.v1.checkout.sessions.retrieve(session.id)
    assert again.amount_total == 960 and again.discounts[0].promotion_code == code.id
    removed = client.post(path + "/promotion_code", data={"remove": "1"})
    assert removed.status_code == 303
    assert "Total due today $12.00" in text(client.get(path))
    client.post(path + "/promotion_code", data={"code": "FRIEND20"})
    assert pay(client, path).status_code == 303
    done = stripe.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription"]}
    )
    assert done.amount_total == 960
    assert stripe.v1.promotion_codes.retrieve(code.id).times_redeemed == 1


def test_a_promotion_code_given_at_creation(sandbox, stripe, catalog):
    code = stripe.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": COUPON}}
    )
    session = create(stripe, discounts=[{"promotion_code": code.id}])
    assert session.amount_total == 960
    client, path = page(sandbox, session)
    assert pay(client, path).status_code == 303
    sub = stripe.v1.subscriptions.retrieve(
        stripe.v1.checkout.sessions.retrieve(session.id).subscription,
        params={"expand": ["discounts"]},
    )
    assert sub.discounts[0].promotion_code == code.id


def test_escapes_what_it_shows(sandbox, stripe, catalog):
    product = stripe.v1.products.create(params={"name": "<script>alert(1)</script>"})
    evil = stripe.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 500,
            "recurring": {"interval": "month"},
        }
    )
    session = stripe.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": evil.id}],
            "success_url": SUCCESS,
            "customer_email": '"><b>x</b>@example.com',
        }
    )
    client, path = page(sandbox, session)
    shown = client.get(path).get_data(as_text=True)
    assert "<script>alert" not in shown and "&lt;script&gt;" in shown
    assert "<b>x</b>" not in shown


def test_an_unknown_session_is_a_404_page(sandbox):
    response = Client(sandbox.wsgi_app()).get("/pay/cs_test_nothing")
    assert response.status_code == 404 and "Page not found" in text(response)


def test_pages_work_under_a_prefix(tmp_path, stripe, catalog):
    from moonly.stripe_sandbox import Sandbox

    base = "http://127.0.0.1:5000/_stripe-sandbox"
    mounted = Sandbox(f"sqlite:///{tmp_path / 'mounted.sqlite3'}", public_url=base)
    try:
        client_sdk = stripe_sdk.StripeClient(
            "sk_test_x", http_client=mounted.http_client(), max_network_retries=0
        )
        product = client_sdk.v1.products.create(params={"name": "Starter"})
        plan = client_sdk.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1200,
                "recurring": {"interval": "month"},
            }
        )
        session = client_sdk.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": plan.id}],
                "success_url": SUCCESS,
            }
        )
        assert session.url == f"{base}/pay/{session.id}"

        def app(environ, start_response):
            return Response("the app")(environ, start_response)

        client = Client(
            DispatcherMiddleware(app, {"/_stripe-sandbox": mounted.wsgi_app()})
        )
        path = urlsplit(session.url).path
        shown = client.get(path).get_data(as_text=True)
        assert f'action="/_stripe-sandbox/pay/{session.id}"' in shown
        assert client.post(path, data={}).status_code == 303
        assert client_sdk.v1.checkout.sessions.retrieve(session.id).status == "complete"
    finally:
        mounted.dispose()


def test_a_trial_session_is_due_nothing_today_and_starts_a_trial(stripe, catalog):
    session = create(stripe, subscription_data={"trial_period_days": 14})
    assert session.amount_total == 0
