"""The Referral component for signed-in users, its token, and the CSP for Cello's
hosts."""

import base64
import hashlib
import re
import time

import jwt
import pytest
from sqlalchemy import select

from moonly.accounts.models import User
from moonly.extensions import db

SECRET = "product-secret-for-tests-only-" + "0123456789" * 4


@pytest.fixture
def component_app(make_app):
    return make_app(CELLO_PRODUCT_ID="moonly.example", CELLO_PRODUCT_SECRET=SECRET)


@pytest.fixture
def component_client(component_app):
    return component_app.test_client()


def signed_up(client):
    from helpers import AuthActions

    AuthActions(client).signup(name="Ana Lima", ucc="test")


def test_token_is_an_hs512_jwt_with_the_three_claims(component_app, component_client):
    signed_up(component_client)
    response = component_client.get("/cello/token")
    assert response.status_code == 200
    token = response.json["token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    claims = jwt.decode(token, SECRET, algorithms=["HS512"])
    with component_app.app_context():
        public_id = db.session.scalar(select(User.public_id))
    assert set(claims) == {"productId", "productUserId", "iat"}
    assert claims["productId"] == "moonly.example"
    assert claims["productUserId"] == public_id  # the same id as Stripe's new_user_id
    assert abs(claims["iat"] - time.time()) < 5
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-" + "x" * 60, algorithms=["HS512"])


def test_token_needs_login(component_client):
    response = component_client.get("/cello/token")
    assert response.status_code == 401
    assert response.json["error"]


def test_token_endpoint_is_absent_without_product_settings(client, auth):
    auth.signup()
    assert client.get("/cello/token").status_code == 404


def test_signed_in_pages_load_the_component(component_client):
    signed_up(component_client)
    html = component_client.get("/account").get_data(as_text=True)
    head = html.split("</head>", 1)[0]
    assert (
        '<script type="module" '
        'src="https://assets.sandbox.cello.so/app/latest/cello.js" async>' in head
    )
    assert 'data-product-id="moonly.example"' in head
    assert 'data-first-name="Ana"' in head and 'data-last-name="Lima"' in head
    assert 'data-email="ana@example.com"' in head
    assert SECRET not in html


def test_visitors_do_not_load_the_component(component_client):
    assert "cello.js" not in component_client.get("/").get_data(as_text=True)


def test_component_uses_the_production_host_in_production(make_app):
    app = make_app(
        CELLO_ENV="production", CELLO_PRODUCT_ID="p", CELLO_PRODUCT_SECRET=SECRET
    )
    client = app.test_client()
    signed_up(client)
    html = client.get("/account").get_data(as_text=True)
    assert "https://assets.cello.so/app/latest/cello.js" in html
    assert "sandbox" not in html


def csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def test_csp_allows_exactly_the_sandbox_hosts(client):
    policy = csp(client.get("/"))
    hosts = {v for values in policy.values() for v in values if "cello.so" in v}
    assert hosts == {"https://assets.sandbox.cello.so", "https://api.sandbox.cello.so"}
    assert "https://assets.sandbox.cello.so" in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_csp_allows_exactly_the_production_hosts(make_app):
    policy = csp(make_app(CELLO_ENV="production").test_client().get("/"))
    hosts = {v for values in policy.values() for v in values if "cello.so" in v}
    assert hosts == {"https://assets.cello.so", "https://api.cello.so"}


def test_csp_hash_matches_the_inline_stub(client):
    response = client.get("/")
    (inline,) = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True))
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp(response)["script-src"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_other_security_headers(client):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
