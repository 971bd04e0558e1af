"""Bearer tokens: login, logout (revocation), expiry, and what ends them."""

import hashlib
import logging
from datetime import timedelta

import pytest
from api_client import ApiClient, error_of
from helpers import STRONG_PASSWORD, AuthActions, csrf_token
from sqlalchemy import select

from moonly.api import tokens
from moonly.api.models import ApiToken
from moonly.extensions import db
from moonly.timeutil import as_utc, utcnow


@pytest.fixture
def api(client):
    return ApiClient(client)


def stored_tokens(app):
    with app.app_context():
        return db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def test_login_answers_a_new_token_that_works(app, api):
    signup = api.signup()
    response = ApiClient(app.test_client()).login(email="ANA@example.com")
    assert response.status_code == 200
    assert set(response.json) == {"token", "expires_at"}
    token = response.json["token"]
    assert token != signup.json["token"] and token.startswith("mly_")
    me = api.get("/me", token=token)
    assert me.status_code == 200 and me.json["user"] == signup.json["user"]


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@example.com", "not the password"), ("nobody@example.com", STRONG_PASSWORD)],
)
def test_a_wrong_password_or_an_unknown_email_says_the_same(api, email, password):
    api.signup()
    response = api.login(email=email, password=password)
    assert error_of(response) == (401, "invalid_credentials", None)
    assert response.json["error"]["message"] == "Email or password is incorrect."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": STRONG_PASSWORD}, "email"),
        ({"email": "ana@example.com"}, "password"),
        ({"email": "", "password": STRONG_PASSWORD}, "email"),
        ({"email": 5, "password": STRONG_PASSWORD}, "email"),
        ({"email": "ana@example.com", "password": ["x"]}, "password"),
        ({"email": "ana\x00@example.com", "password": STRONG_PASSWORD}, "email"),
    ],
)
def test_a_login_with_a_missing_or_invalid_field_is_a_422(api, body, field):
    api.signup()
    response = api.post("/sessions", json=body)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field


def test_tokens_are_stored_only_as_digests(app, api):
    token = api.signup().json["token"]
    (row,) = stored_tokens(app)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    with app.app_context(), db.engine.connect() as conn:
        dump = "\n".join(
            str(value)
            for table in db.metadata.sorted_tables
            for row in conn.execute(table.select())
            for value in row
        )
    assert token not in dump and token[4:] not in dump


def test_logout_revokes_only_the_token_it_is_called_with(app, api):
    first = api.signup().json["token"]
    second = ApiClient(app.test_client()).login().json["token"]
    assert api.delete("/sessions/current", token=first).status_code == 204
    assert error_of(api.get("/me", token=first)) == (401, "invalid_token", None)
    assert api.get("/me", token=second).status_code == 200
    # Revoked is revoked: logging out again, or anything else, is refused.
    assert error_of(api.delete("/sessions/current", token=first))[0] == 401
    assert error_of(api.get("/cello/token", token=first))[0] == 401
    revoked, live = stored_tokens(app)
    assert revoked.revoked_at is not None and live.revoked_at is None


def test_a_token_expires_after_30_days(app, api, monkeypatch):
    api.signup()
    (row,) = stored_tokens(app)
    lifetime = as_utc(row.expires_at) - as_utc(row.created_at)
    assert abs(lifetime - timedelta(days=30)) < timedelta(seconds=1)
    now = utcnow()
    monkeypatch.setattr(tokens, "utcnow", lambda: now + timedelta(days=29, hours=23))
    assert api.get("/me").status_code == 200
    monkeypatch.setattr(tokens, "utcnow", lambda: now + timedelta(days=30, seconds=1))
    response = api.get("/me")
    assert error_of(response) == (401, "invalid_token", None)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert api.login().status_code == 200  # a new login gives a fresh token
    assert api.get("/me").status_code == 200


def test_logging_out_on_the_web_ends_the_apps_tokens_too(app, api):
    """The web's logout ends every session of the user; a token is one."""
    api.signup()
    browser = app.test_client()
    AuthActions(browser).login()
    browser.post("/logout", data={"csrf_token": csrf_token(browser.get("/").text)})
    assert error_of(api.get("/me"))[:2] == (401, "invalid_token")
    assert api.login().status_code == 200 and api.get("/me").status_code == 200


def test_a_password_change_ends_the_apps_tokens(app, api):
    api.signup()
    browser = app.test_client()
    AuthActions(browser).login()
    page = browser.get("/account/password").text
    changed = browser.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current_password": STRONG_PASSWORD,
            "new_password": "a brand new passphrase",
        },
    )
    assert changed.status_code == 302
    assert error_of(api.get("/me"))[0] == 401
    assert error_of(api.login())[0] == 401
    assert api.login(password="a brand new passphrase").status_code == 200


def test_a_deleted_accounts_tokens_stop_working(app, api):
    api.signup()
    browser = app.test_client()
    AuthActions(browser).login()
    page = browser.get("/account").text
    deleted = browser.post(
        "/account/delete",
        data={"csrf_token": csrf_token(page), "password": STRONG_PASSWORD},
    )
    assert deleted.status_code == 303
    assert error_of(api.get("/me"))[0] == 401


def test_deleting_a_user_deletes_their_tokens(app, api):
    """The demo's reset deletes users: their tokens go with them (ON DELETE CASCADE)."""
    api.signup()
    from moonly.accounts.models import User

    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()
    assert stored_tokens(app) == []


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_token"),
        ("", "invalid_token"),
        ("Bearer", "invalid_token"),
        ("Bearer ", "invalid_token"),
        ("Basic YW5hOnNlY3JldA==", "invalid_token"),
        ("Bearer mly_not-a-token", "invalid_token"),
        ("Bearer " + "x" * 5000, "invalid_token"),
        ("Token {token}", "invalid_token"),
        ("Bearer {token}x", "invalid_token"),
    ],
)
def test_no_or_a_bad_token_is_a_401(api, header, code):
    token = api.signup().json["token"]
    headers = {} if header is None else {"Authorization": header.format(token=token)}
    for method, path in (
        ("GET", "/me"),
        ("GET", "/cello/token"),
        ("DELETE", "/sessions/current"),
    ):
        response = api.request(method, path, token=None, headers=headers)
        assert error_of(response) == (401, code, None), (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["bearer {token}", "BEARER  {token} "])
def test_the_scheme_is_case_insensitive(api, header):
    token = api.signup().json["token"]
    headers = {"Authorization": header.format(token=token)}
    assert api.get("/me", token=None, headers=headers).status_code == 200


def test_the_api_ignores_the_session_cookie_and_sets_none(app, client, auth):
    """A browser logged in on the web is nobody to the API, and no API answer sets a
    cookie (ApiClient checks every answer)."""
    auth.signup(email="web@example.com")
    assert client.get("/account").status_code == 200  # the browser is logged in
    api = ApiClient(client)  # the same cookie jar
    assert error_of(api.get("/me"))[:2] == (401, "missing_token")
    assert error_of(api.delete("/sessions/current"))[:2] == (401, "missing_token")
    api.signup(email="app@example.com")
    assert api.get("/me").json["user"]["email"] == "app@example.com"
    assert client.get("/account").status_code == 200  # the web session is untouched
    assert "web@example.com" in client.get("/account").text


def test_unknown_routes_and_methods_answer_json(api):
    assert error_of(api.get("/nope")) == (404, "not_found", None)
    assert error_of(api.get("/")) == (404, "not_found", None)
    assert error_of(api.request("GET", "/../api/v2/me"))[0] == 404
    wrong = api.request("PUT", "/me")
    assert error_of(wrong) == (405, "method_not_allowed", None)
    assert "GET" in wrong.headers["Allow"]
    assert error_of(api.get("/signups"))[0] == 405
    assert error_of(api.request("GET", "/me?x=%00"))[:2] == (400, "bad_request")


def test_no_token_password_or_jwt_in_the_logs(make_app, caplog):
    app = make_app(CELLO_PRODUCT_ID="p", CELLO_PRODUCT_SECRET="s" * 64)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stripe")  # the SDK logs each request here
    api = ApiClient(app.test_client())
    signup = api.signup(password="a very private passphrase", referral_ucc="A1B2C")
    login = api.login(password="a very private passphrase")
    jwt = api.get("/cello/token").json["token"]
    api.delete("/sessions/current")
    api.get("/me", token=signup.json["token"] + "x")  # a bad one is not logged either
    logged = caplog.text
    assert logged  # something was logged, so the check below means something
    for secret in (
        "a very private passphrase",
        signup.json["token"],
        login.json["token"],
        jwt,
        "s" * 64,
    ):
        assert secret not in logged
