"""CSRF everywhere but the webhook and the app's API, rate limits, the demo password,
no secrets in logs."""

import base64
import json
import logging

import pytest
import stripe as stripe_sdk
from helpers import AuthActions, csrf_token

from moonly import create_app
from moonly.extensions import csrf, db

CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def changing_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(set(CHANGING) & rule.methods):
            if "<" not in rule.rule:
                yield rule.rule, method


def test_every_changing_route_but_the_webhook_and_the_api_needs_the_csrf_token(
    app, client, auth
):
    assert {bp.name for bp in csrf._exempt_blueprints} == {"api"}
    assert csrf._exempt_views == {"moonly.webhooks.views.stripe_webhook"}
    routes = sorted(changing_routes(app))
    assert {
        ("/webhooks/stripe", "POST"),
        ("/signup", "POST"),
        ("/demo/reset", "POST"),
        ("/api/v1/signups", "POST"),
        ("/api/v1/sessions/current", "DELETE"),
    } <= set(routes)
    auth.signup()  # a browser session: a cross-site form would carry its cookie
    for route, method in routes:
        response = client.open(route, method=method, data={"anything": "x"})
        text = response.get_data(as_text=True)
        if route == "/webhooks/stripe":
            assert response.status_code == 400 and "Stripe-Signature" in text
        elif route.startswith("/api/v1/"):
            # No CSRF token, and no cookie either: a form is not JSON, and without a
            # bearer token nothing is done.
            assert response.status_code in (400, 401), route
            assert response.json["error"]["code"] in (
                "unsupported_content_type",
                "missing_token",
            ), route
        else:
            assert response.status_code == 400, route
            assert "This form expired" in text, route
    assert client.post("/checkout/moonly_starter_monthly").status_code == 400


@pytest.fixture
def limited(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_SIGNUP="3 per minute",
        RATELIMIT_LOGIN="20 per minute",
        RATELIMIT_LOGIN_PER_EMAIL="2 per minute",
    )


def test_signup_is_rate_limited_with_a_clear_page(limited):
    client = limited.test_client()
    auth = AuthActions(client)
    for n in range(3):
        assert auth.signup(email=f"s{n}@example.com").status_code == 302
    blocked = auth.signup(email="s3@example.com")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0
    assert client.get("/signup").status_code == 200  # reading the page is not limited


def test_login_is_limited_per_email_and_says_so(limited):
    client = limited.test_client()
    auth = AuthActions(client)
    auth.signup()
    client.post(
        "/logout",
        data={"csrf_token": csrf_token(client.get("/signup").get_data(as_text=True))},
    )
    assert auth.login(password="wrong password 1").status_code == 400
    assert auth.login(password="wrong password 2").status_code == 400
    assert auth.login(password="wrong password 3").status_code == 429
    # Another account from the same address is not locked out by those guesses.
    assert auth.login(email="other@example.com", password="x" * 12).status_code == 400


def test_defaults_let_an_office_sign_up_from_one_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True)  # the shipped defaults
    auth = AuthActions(app.test_client())
    statuses = [
        auth.signup(email=f"colleague{n}@example.com").status_code for n in range(25)
    ]
    assert statuses == [302] * 25


def test_limits_key_on_the_client_address_behind_a_proxy(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_SIGNUP="1 per minute", TRUST_PROXY_HOPS=1
    )
    first = AuthActions(app.test_client())
    second = AuthActions(app.test_client())
    first.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.1"
    second.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.2"
    assert first.signup(email="a@example.com").status_code == 302
    assert second.signup(email="b@example.com").status_code == 302
    assert first.signup(email="c@example.com").status_code == 429


def test_token_endpoint_is_rate_limited(make_app):
    secret = "s" * 64
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_TOKEN="2 per minute",
        CELLO_PRODUCT_ID="p",
        CELLO_PRODUCT_SECRET=secret,
    )
    client = app.test_client()
    AuthActions(client).signup()
    assert [client.get("/cello/token").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/cello/token").json["error"]


def basic(password):
    return {
        "Authorization": "Basic "
        + base64.b64encode(f"demo:{password}".encode()).decode()
    }


def test_demo_console_asks_for_its_password(make_app):
    client = make_app(MOONLY_DEMO_PASSWORD="open sesame").test_client()
    for path in ("/demo/", "/demo/api/journeys"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert client.get(path, headers=basic("wrong")).status_code == 401
        assert client.get(path, headers=basic("open sesame")).status_code == 200


def test_production_hides_the_demo_and_secures_cookies(monkeypatch, database_uri):
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("STRIPE_SANDBOX", "1")
    monkeypatch.setenv("MOONLY_ALLOWED_HOSTS", "localhost")
    monkeypatch.delenv("MOONLY_DEMO", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri}, env="production")
    client = app.test_client()
    try:
        assert client.get("/demo/").status_code == 404
        response = client.get("/?ucc=test")
        assert "Secure" in response.headers["Set-Cookie"]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:  # close its connections, as the make_app fixture does for its apps
        with app.app_context():
            db.engine.dispose()
        sandbox = app.extensions.get("moonly.stripe_sandbox")
        if sandbox is not None:
            sandbox.dispose()


def test_no_secrets_in_logs(make_app, httpserver, caplog, catalog):
    from cello_standin import CelloStandIn
    from test_checkout import checkout

    from moonly.cello import outbox

    cello = CelloStandIn(key_id="key_visible_id", secret="cello-secret-value-123")
    app = make_app(
        MOONLY_REFERRAL_FLOW="customer_at_purchase",
        CELLO_ACCESS_KEY_ID=cello.key_id,
        CELLO_SECRET_ACCESS_KEY=cello.secret,
        CELLO_API_BASE=cello.attach(httpserver),
        CELLO_PRODUCT_ID="p",
        CELLO_PRODUCT_SECRET="product-secret-value-" + "x" * 50,
    )
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stripe")  # the SDK logs each request here
    client = app.test_client()
    app.test_cli_runner().invoke(args=["stripe", "bootstrap"])
    AuthActions(client).signup(ucc="test", password="a very private passphrase")
    with app.app_context():
        outbox.deliver_due()
    checkout(client)
    token = client.get("/cello/token").json["token"]
    body = json.dumps({"id": "evt_log", "type": "x", "data": {"object": {"id": "x"}}})
    signature = stripe_sdk.WebhookSignature.generate_signature_header(
        body, app.config["STRIPE_WEBHOOK_SECRET"]
    )
    client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": signature})
    logged = caplog.text
    assert logged  # something was logged, so the check below means something
    for secret in (
        "a very private passphrase",
        cello.secret,
        app.config["CELLO_PRODUCT_SECRET"],
        app.config["STRIPE_WEBHOOK_SECRET"],
        signature.split("v1=")[1],
        token,
        *cello.access_tokens,
        "sk_test_moonly_offline_sandbox",
    ):
        assert secret not in logged
