"""GET /api/v1/cello/token: the Referral component's JWT for the app's user, the same
claims as the web's /cello/token, so the app can boot Cello's mobile SDK."""

import time

import jwt
import pytest
from api_client import ApiClient, error_of
from helpers import AuthActions

SECRET = "product-secret-for-tests-only-" + "0123456789" * 4


@pytest.fixture
def component_app(make_app):
    return make_app(CELLO_PRODUCT_ID="moonly.example", CELLO_PRODUCT_SECRET=SECRET)


def test_the_token_is_an_hs512_jwt_with_the_webs_three_claims(component_app):
    api = ApiClient(component_app.test_client())
    user = api.signup(referral_ucc="A1B2C").json["user"]
    response = api.get("/cello/token")
    assert response.status_code == 200 and set(response.json) == {"token"}
    token = response.json["token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    claims = jwt.decode(token, SECRET, algorithms=["HS512"])
    assert set(claims) == {"productId", "productUserId", "iat"}
    assert claims["productId"] == "moonly.example"
    assert claims["productUserId"] == user["id"]  # Stripe's new_user_id too
    assert abs(claims["iat"] - time.time()) < 5
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-" + "x" * 60, algorithms=["HS512"])


def test_the_app_and_the_web_get_the_same_claims_for_one_user(component_app):
    api = ApiClient(component_app.test_client())
    api.signup()
    browser = component_app.test_client()
    AuthActions(browser).login()
    from_app = jwt.decode(
        api.get("/cello/token").json["token"], SECRET, algorithms=["HS512"]
    )
    from_web = jwt.decode(
        browser.get("/cello/token").json["token"], SECRET, algorithms=["HS512"]
    )
    assert {k: v for k, v in from_app.items() if k != "iat"} == {
        k: v for k, v in from_web.items() if k != "iat"
    }


def test_the_token_needs_a_bearer_token(component_app):
    api = ApiClient(component_app.test_client())
    assert error_of(api.get("/cello/token")) == (401, "missing_token", None)


def test_without_product_settings_it_says_so(client):
    api = ApiClient(client)
    api.signup()
    assert error_of(api.get("/cello/token")) == (404, "cello_not_configured", None)
