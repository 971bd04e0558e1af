"""The API's rate limits are the pages' limits, counted together: JSON 429s with
Retry-After."""

import pytest
from api_client import ApiClient, error_of
from helpers import AuthActions
from test_api_cello_token import SECRET


def assert_limited(response):
    assert error_of(response) == (429, "rate_limited", None)
    assert int(response.headers["Retry-After"]) > 0


def test_signups_from_the_app_and_the_web_share_one_limit_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGNUP="3 per minute")
    web = AuthActions(app.test_client())
    assert web.signup(email="w1@example.com").status_code == 302
    assert web.signup(email="w2@example.com").status_code == 302
    api = ApiClient(app.test_client())
    assert api.signup(email="a1@example.com").status_code == 201
    limited = api.signup(email="a2@example.com")
    assert_limited(limited)
    assert "Wait" in limited.json["error"]["message"]
    assert web.signup(email="w3@example.com").status_code == 429
    # Reading is not limited; a signed-in app keeps working.
    assert api.get("/me").status_code == 200


def test_failed_logins_count_with_the_pages_per_account_and_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_PER_EMAIL="2 per minute")
    api = ApiClient(app.test_client())
    api.signup()
    assert (
        AuthActions(app.test_client()).login(password="wrong one!!").status_code == 400
    )
    assert api.login(password="wrong two!!").status_code == 401
    assert_limited(api.login())  # even the right password, now
    assert AuthActions(app.test_client()).login().status_code == 429
    # Another account from the same address is not slowed.
    other = ApiClient(app.test_client())
    assert other.signup(email="other@example.com").status_code == 201
    assert other.login(email="other@example.com").status_code == 200


def test_successful_logins_never_count(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_PER_EMAIL="2 per minute")
    api = ApiClient(app.test_client())
    api.signup()
    for _ in range(5):
        assert api.login().status_code == 200


def test_the_account_wide_limit_has_no_known_device_exemption_in_the_app(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN_PER_ACCOUNT="3 per hour",
        TRUST_PROXY_HOPS=1,
    )
    api = ApiClient(app.test_client())
    api.signup()
    for n in range(3):
        guesser = ApiClient(app.test_client())
        guesser.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        assert guesser.login(password=f"guess number {n}").status_code == 401
    blocked = api.login()
    assert_limited(blocked)
    assert (
        "an app already logged in stays logged in" in blocked.json["error"]["message"]
    )
    assert api.get("/me").status_code == 200  # its token still works


@pytest.mark.parametrize("path", ["/signups", "/sessions"])
def test_the_limit_holds_whatever_the_body(make_app, path):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_SIGNUP="2 per minute",
        RATELIMIT_LOGIN="2 per minute",
    )
    api = ApiClient(app.test_client())
    for _ in range(2):
        assert (
            api.post(path, data="{", content_type="application/json").status_code == 400
        )
    assert_limited(api.post(path, data="{", content_type="application/json"))


def test_cello_tokens_are_limited_per_user(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_TOKEN="2 per minute",
        CELLO_PRODUCT_ID="p",
        CELLO_PRODUCT_SECRET=SECRET,
    )
    ana, bo = ApiClient(app.test_client()), ApiClient(app.test_client())
    ana.signup()
    bo.signup(email="bo@example.com")
    for _ in range(2):
        assert ana.get("/cello/token").status_code == 200
    assert_limited(ana.get("/cello/token"))
    assert bo.get("/cello/token").status_code == 200
