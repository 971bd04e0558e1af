"""The invite landing page skips per-request work it does not need, and nothing else."""

from helpers import AuthActions

from moonly.referral import invites as referral


def test_a_plain_visit_sets_only_the_invite_cookie(client):
    response = client.get("/?ucc=fast1&referrerName=Alice")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Cookie"
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("moonly_invite=fast1.")
    assert "Max-Age=7776000" in cookies[0] and "HttpOnly" in cookies[0]


def test_the_cached_page_is_the_page(client):
    first = client.get("/?ucc=fast2&referrerName=Alice").data
    second = client.get("/?ucc=other&referrerName=Alice").data
    assert first == second and b"Alice invited you" in first


def test_a_signed_in_visitor_gets_their_own_page(client, auth):
    client.get("/?ucc=fast3&referrerName=Alice")
    auth.signup(name="Zed Example")
    page = client.get("/?ucc=fast3&referrerName=Alice")
    assert "Zed Example" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_two_invites_in_the_same_second_get_their_own_cookie(client):
    a = client.get("/?ucc=first1").headers["Set-Cookie"]
    b = client.get("/?ucc=second2").headers["Set-Cookie"]
    assert a.startswith("moonly_invite=first1.")
    assert b.startswith("moonly_invite=second2.")


def test_the_invite_cache_stays_bounded(client):
    for n in range(referral.INVITES_CACHED + 50):
        client.get(f"/?ucc=u{n}")
    assert len(referral._invite_for_query.cache) <= referral.INVITES_CACHED


def test_no_remember_me_cookie_is_ever_set(app, client):
    auth = AuthActions(client)
    responses = [auth.signup(), auth.login()]
    for response in responses:
        for cookie in response.headers.getlist("Set-Cookie"):
            assert not cookie.startswith("remember_token")
    hooks = [getattr(f, "__name__", "") for f in app.after_request_funcs[None]]
    assert "_update_remember_cookie" not in hooks


def test_rate_limits_skip_only_the_pages_without_limits(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGNUP="1 per minute")
    client = app.test_client()
    for _ in range(5):
        assert client.get("/?ucc=many").status_code == 200
        assert client.get("/healthz").status_code == 200
    auth = AuthActions(client)
    assert auth.signup(email="one@example.com").status_code == 302
    assert auth.signup(email="two@example.com").status_code == 429
