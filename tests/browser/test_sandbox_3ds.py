"""The offline Stripe's 3-D Secure page in Chromium: a subscription created as Stripe's
docs create one, its PaymentIntent confirmed with the card that asks for 3-D Secure, the
customer completing (or failing) the challenge on the sandbox's page, and the redirect
back to the shop's return_url."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe as stripe_sdk
from werkzeug.serving import make_server

from moonly.stripe_sandbox import Sandbox

RETURN_URL = "https://shop.example/subscribed"


@pytest.fixture
def served_sandbox(tmp_path):
    """The sandbox over HTTP on loopback, and the SDK talking to it."""
    sandbox = Sandbox(f"sqlite:///{tmp_path / 'stripe-sandbox.sqlite3'}")
    server = make_server("127.0.0.1", 0, sandbox.wsgi_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    client = stripe_sdk.StripeClient(
        "sk_test_browser", base_addresses={"api": base}, max_network_retries=0
    )
    yield base, client
    server.shutdown()
    server.server_close()
    sandbox.dispose()


def _waiting_for_3ds(stripe):
    """An incomplete subscription whose PaymentIntent waits for 3-D Secure."""
    product = stripe.v1.products.create(params={"name": "Starter"})
    price = stripe.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1200,
            "recurring": {"interval": "month"},
        }
    )
    customer = stripe.v1.customers.create(params={"email": "3ds@example.com"})
    sub = stripe.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "payment_settings": {"save_default_payment_method": "on_subscription"},
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )
    secret = sub.latest_invoice.confirmation_secret.client_secret
    intent = stripe.v1.payment_intents.confirm(
        secret.split("_secret_")[0],
        params={
            "payment_method": "pm_card_authenticationRequired",
            "return_url": RETURN_URL,
        },
    )
    assert intent.status == "requires_action"
    return sub, intent


def _shop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.route(
        "https://shop.example/**",
        lambda route: route.fulfill(
            body="<!doctype html><h1>Thanks for subscribing</h1>",
            content_type="text/html",
        ),
    )
    return context


@pytest.mark.parametrize(
    ("button", "redirect_status", "intent_status", "sub_status"),
    [
        ("Complete authentication", "succeeded", "succeeded", "active"),
        ("Fail authentication", "failed", "requires_payment_method", "incomplete"),
    ],
)
def test_the_3ds_page_in_chromium(
    browser,
    served_sandbox,
    shots,
    button,
    redirect_status,
    intent_status,
    sub_status,
):
    base, stripe = served_sandbox
    sub, intent = _waiting_for_3ds(stripe)
    url = intent.next_action.redirect_to_url.url
    assert url.startswith(f"{base}/3ds/{intent.id}?")
    context = _shop(browser)
    try:
        page = context.new_page()
        page.goto(url)
        assert page.get_by_role("heading", name="Confirm your payment").is_visible()
        body = page.locator("body").inner_text()
        assert "$12.00" in body and "Visa ending in 3184" in body
        assert "Moonly" in body and "Test mode" in body
        shots.take(page, "challenge")
        page.get_by_role("button", name=button).click()
        page.wait_for_url(f"{RETURN_URL}?**")
        assert page.get_by_role("heading", name="Thanks for subscribing").is_visible()
        query = parse_qs(urlsplit(page.url).query)
        assert query == {
            "payment_intent": [intent.id],
            "payment_intent_client_secret": [intent.client_secret],
            "redirect_status": [redirect_status],
        }
    finally:
        context.close()
    assert stripe.v1.payment_intents.retrieve(intent.id).status == intent_status
    assert stripe.v1.subscriptions.retrieve(sub.id).status == sub_status
