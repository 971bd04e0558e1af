"""The sandbox's own pages in Chromium: hosted Checkout and the customer portal, reached
from sessions created over HTTP with the plain SDK against a served sandbox."""

import threading

import pytest
import stripe as stripe_sdk
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from moonly.stripe_sandbox import Sandbox

SIZES = {"desktop": (1280, 800), "laptop": (1024, 768), "phone": (390, 844)}


class Served:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@Request.application
def shop(request):
    """The merchant's site: where Checkout and the portal send the customer back."""
    body = f"<h1>Moonly shop</h1><p id='where'>{request.path}</p>"
    return Response(f"<!doctype html><title>Shop</title>{body}", mimetype="text/html")


@pytest.fixture
def world(tmp_path):
    sandbox = Sandbox(f"sqlite:///{tmp_path / 'pages.sqlite3'}")
    api, site = Served(sandbox.wsgi_app()), Served(shop)
    client = stripe_sdk.StripeClient(
        "sk_test_browser", base_addresses={"api": api.base}, max_network_retries=0
    )
    prices = {}
    for name, cents in (("Starter", 1200), ("Pro", 2900)):
        product = client.v1.products.create(params={"name": name})
        prices[name] = client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": cents,
                "recurring": {"interval": "month"},
            }
        )
    client.v1.coupons.create(
        params={
            "id": "moonly-new-user",
            "name": "New user: 20 % off for 3 months",
            "percent_off": 20,
            "duration": "repeating",
            "duration_in_months": 3,
        }
    )
    yield client, prices, api, site
    api.close()
    site.close()
    sandbox.dispose()


@pytest.fixture
def new_page(browser):
    """A page in a fresh browser context of the given viewport size."""
    contexts = []

    def make(width, height):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def checkout_session(client, prices, site, **extra):
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": prices["Starter"].id, "quantity": 1}],
            "success_url": site.base + "/welcome?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": site.base + "/pricing",
            "customer_email": "ana@example.com",
            **extra,
        }
    )


def test_checkout_then_portal(world, new_page, shots):
    client, prices, api, site = world
    session = checkout_session(
        client, prices, site, discounts=[{"coupon": "moonly-new-user"}]
    )
    assert session.url.startswith(api.base + "/pay/")
    page = new_page(1280, 800)
    page.goto(session.url)
    assert page.get_by_role("heading", name="Starter").is_visible()
    assert page.locator("#due-today").inner_text() == "$9.60"
    assert page.get_by_label("Visa ending in 4242").is_checked()
    shots.take(page, "checkout")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(f"{site.base}/welcome?session_id={session.id}")
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")

    config = client.v1.billing_portal.configurations.create(
        params={
            "business_profile": {"headline": "Moonly: manage your plan"},
            "features": {
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "products": [
                        {"product": p.product, "prices": [p.id]}
                        for p in prices.values()
                    ],
                    "proration_behavior": "always_invoice",
                },
                "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
                "payment_method_update": {"enabled": True},
                "invoice_history": {"enabled": True},
            },
        }
    )
    portal = client.v1.billing_portal.sessions.create(
        params={
            "customer": done.customer,
            "configuration": config.id,
            "return_url": site.base + "/account",
        }
    )
    page.goto(portal.url)
    assert "Starter" in page.locator("#current-title + div").inner_text()
    shots.take(page, "portal")
    page.get_by_role("button", name="Switch to Pro").click()
    page.wait_for_url("**?done=switched")
    assert page.get_by_role("status").inner_text() == "Your plan was updated."
    assert "Pro" in page.locator("#current-title + div").inner_text()
    shots.take(page, "portal-switched")
    page.get_by_role("button", name="Cancel plan").click()
    page.wait_for_url("**?done=cancel_scheduled")
    assert page.get_by_role("button", name="Renew plan").is_visible()
    shots.take(page, "portal-canceling")
    sub = client.v1.subscriptions.retrieve(done.subscription)
    assert (
        sub.cancel_at_period_end and sub["items"].data[0].price.id == prices["Pro"].id
    )
    page.get_by_role("link", name="Return to the site").click()
    page.wait_for_url(site.base + "/account")


def test_a_declined_card_then_3d_secure(world, new_page, shots):
    client, prices, _, site = world
    session = checkout_session(client, prices, site, allow_promotion_codes=True)
    page = new_page(1024, 768)
    page.goto(session.url)
    page.get_by_label("Promotion code").fill("NOPE")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_role("alert").inner_text() == "This code is invalid."
    page.get_by_label("Visa ending in 0002").check()
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("alert").inner_text() == "Your card was declined."
    shots.take(page, "declined")
    page.get_by_label("Visa ending in 3184").check()
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", name="Confirm your payment").is_visible()
    shots.take(page, "3d-secure")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(f"{site.base}/welcome?session_id={session.id}")


@pytest.mark.parametrize("size", SIZES)
def test_pages_at_each_size(world, new_page, shots, size):
    client, prices, _, site = world
    code = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": "moonly-new-user"}}
    )
    session = checkout_session(client, prices, site, allow_promotion_codes=True)
    width, height = SIZES[size]
    page = new_page(width, height)
    page.goto(session.url)
    page.get_by_label("Promotion code").fill(code.code)
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#due-today").inner_text() == "$9.60"
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots.take(page, "checkout")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/welcome?**")
    done = client.v1.checkout.sessions.retrieve(session.id)
    client.v1.billing_portal.configurations.create(
        params={
            "default_return_url": site.base + "/account",
            "features": {
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "products": [
                        {"product": p.product, "prices": [p.id]}
                        for p in prices.values()
                    ],
                },
                "subscription_cancel": {"enabled": True},
                "payment_method_update": {"enabled": True},
                "invoice_history": {"enabled": True},
            },
        }
    )
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": done.customer}
    )
    page.goto(portal.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots.take(page, "portal")
