"""The app's real-Stripe code path, proven offline: STRIPE_SECRET_KEY and
STRIPE_API_BASE point the SDK at the Stripe sandbox served over HTTP, as `make sandbox`
serves it.

Nothing is in-process here: the SDK calls the sandbox over HTTP, the sandbox delivers
webhooks over HTTP to the app served on a loopback port, signed with the secret of the
endpoint `flask stripe bootstrap` registered.
"""

from __future__ import annotations

import threading
import time

import pytest
import stripe as stripe_sdk
from helpers import AuthActions
from sqlalchemy import select
from test_checkout import checkout
from werkzeug.serving import make_server

from moonly.accounts.models import User
from moonly.billing.events import StripeEvent
from moonly.extensions import db
from moonly.stripe_sandbox import Sandbox


class Serving:
    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def over_http(make_app, tmp_path):
    sandbox = Sandbox(f"sqlite:///{tmp_path / 'served-sandbox.sqlite3'}")
    api = Serving(sandbox.wsgi_app())
    deliverer = sandbox.deliverer(interval=0.05)
    deliverer.start()
    app = make_app(
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_API_BASE=api.base,
        STRIPE_WEBHOOK_SECRET=None,
    )
    served = Serving(app)
    app.config["STRIPE_SANDBOX_WEBHOOK_URL"] = served.base + "/webhooks/stripe"
    result = app.test_cli_runner().invoke(args=["stripe", "bootstrap"])
    assert result.exit_code == 0, result.output
    assert f"created for {served.base}/webhooks/stripe" in result.output
    yield app, api
    deliverer.stop()
    served.close()
    api.close()
    sandbox.dispose()


def stored_types(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(StripeEvent.type)))


def wait_for(app, event_type: str, count: int = 1) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if stored_types(app).count(event_type) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{event_type} x{count} never arrived: {stored_types(app)}")


def test_signup_checkout_and_renewal_over_http(over_http):
    app, api = over_http
    client = app.test_client()
    AuthActions(client).signup(ucc="over-http")
    with app.app_context():
        user = db.session.scalar(select(User))
    assert user.stripe_customer_id

    # The customer, as any SDK sees it over HTTP.
    remote = stripe_sdk.StripeClient("sk_test_other", base_addresses={"api": api.base})
    customer = remote.v1.customers.retrieve(user.stripe_customer_id)
    assert customer.metadata.to_dict() == {
        "cello_ucc": "over-http",
        "new_user_id": user.public_id,
    }
    wait_for(app, "customer.created")

    assert checkout(client).status_code == 302
    wait_for(app, "invoice.paid")
    wait_for(app, "customer.subscription.created")
    (subscription,) = remote.v1.subscriptions.list(
        params={"customer": customer.id}
    ).data
    assert subscription.discounts  # the new-user coupon, as `discounts`

    # The sandbox's test helper, over HTTP too.
    with app.app_context():
        from moonly.billing import stripe_api

        invoice = stripe_api.advance_subscription(subscription.id)
    assert invoice["billing_reason"] == "subscription_cycle"
    wait_for(app, "invoice.paid", count=2)
    assert "$9.60" in client.get("/account").get_data(as_text=True)


def test_hosted_checkout_and_portal_over_http(over_http):
    """The same journey through Stripe's pages, here the sandbox's own origin."""
    import re
    from urllib.parse import urlsplit

    import requests
    from helpers import csrf_token, hidden_value

    app, api = over_http
    client = app.test_client()
    AuthActions(client).signup(ucc="over-http")
    page = client.get("/checkout/moonly_starter_monthly").get_data(as_text=True)
    opened = client.post(
        "/checkout/moonly_starter_monthly/hosted",
        data={"csrf_token": csrf_token(page), "attempt": hidden_value(page, "attempt")},
    )
    location = opened.headers["Location"]
    assert location.startswith(api.base + "/pay/cs_")  # Stripe's origin, not ours
    html = requests.get(location, timeout=10).text
    assert "$9.60" in html
    action = re.search(r'<form method="post" action="([^"]+)" id="pay-form"', html)
    paid = requests.post(
        api.base + action.group(1),
        data={"card": "pm_card_visa"},
        allow_redirects=False,
        timeout=10,
    )
    assert paid.status_code == 303
    success = urlsplit(paid.headers["Location"])
    done = client.get(f"{success.path}?{success.query}").get_data(as_text=True)
    assert "You are subscribed to Moonly Starter" in done
    wait_for(app, "checkout.session.completed")

    token = csrf_token(client.get("/account").get_data(as_text=True))
    portal = client.post("/account/billing", data={"csrf_token": token})
    portal_url = portal.headers["Location"]
    assert portal_url.startswith(api.base + "/portal/bps_")
    html = requests.get(portal_url, timeout=10).text
    form = next(
        f
        for f in re.findall(r"<form[^>]*>.*?</form>", html, re.S)
        if "Switch to Moonly Pro" in f
    )
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]+)"', form))
    assert requests.post(portal_url, data=fields, timeout=10).status_code == 200
    deadline = time.monotonic() + 10
    while "Moonly Pro" not in client.get("/account").get_data(as_text=True):
        assert time.monotonic() < deadline, "the switch never reached /account"
        time.sleep(0.1)
