"""Rate limits that slow guessing without locking the owner out, shared via Redis."""

import base64

import pytest
import redis
from helpers import AuthActions, csrf_token

from moonly import create_app
from moonly.config import ConfigError

REDIS_URL = "redis://127.0.0.1:6379/13"  # this suite's own Redis database


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def from_address(client, address):
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return AuthActions(client)


def test_rotating_addresses_cannot_lock_the_owner_out(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN_PER_ACCOUNT="20 per hour",
        TRUST_PROXY_HOPS=1,
    )
    owner = from_address(app.test_client(), "198.51.100.7")
    owner.signup()  # the owner's browser is now a known one
    for n in range(25):
        attacker = from_address(app.test_client(), f"203.0.113.{n}")
        assert attacker.login(password=f"guess number {n}").status_code in (400, 429)
    blocked = from_address(app.test_client(), "203.0.113.200")
    response = blocked.login()  # even the right password, from a new browser
    assert response.status_code == 429
    assert "from a browser you have used with Moonly before" in response.text
    assert int(response.headers["Retry-After"]) > 0
    # The owner's own browser gets in, from any address.
    owner.client.post(
        "/logout", data={"csrf_token": csrf_token(owner.client.get("/").text)}
    )
    owner.client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.99"
    assert owner.login().status_code == 302


def test_the_account_limit_counts_failures_only(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_PER_ACCOUNT="2 per hour")
    AuthActions(app.test_client()).signup()
    for _ in range(4):  # new browsers each time, right password: never limited
        assert AuthActions(app.test_client()).login().status_code == 302


def test_one_address_guessing_one_account_is_slowed(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_PER_EMAIL="3 per minute")
    auth = AuthActions(app.test_client())
    auth.signup()
    guesser = AuthActions(app.test_client())
    statuses = [guesser.login(password=f"wrong {n}").status_code for n in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    # The owner, from another address, is not affected by that address's guesses.
    owner = AuthActions(app.test_client())
    owner.client.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    assert owner.login().status_code == 302


def test_the_email_is_normalized_for_the_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_PER_EMAIL="2 per minute")
    AuthActions(app.test_client()).signup()
    guesser = AuthActions(app.test_client())
    spellings = ["ana@example.com", " ANA@example.com", "ａｎａ@example.com"]
    statuses = [
        guesser.login(email=e, password="nope nope").status_code for e in spellings
    ]
    assert statuses == [400, 400, 429]


def basic(password):
    token = base64.b64encode(f"demo:{password}".encode()).decode()
    return {"Authorization": "Basic " + token}


def test_wrong_demo_passwords_are_rate_limited(make_app):
    password = "a long demo password"
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_DEMO="3 per minute",
        MOONLY_DEMO_PASSWORD=password,
    )
    client = app.test_client()
    # The console polls its API: right answers are never counted.
    for _ in range(6):
        assert (
            client.get("/demo/api/journeys", headers=basic(password)).status_code == 200
        )
    statuses = [
        client.get("/demo/", headers=basic(f"guess {n}")).status_code for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    # Blocked before the password is even compared.
    assert client.get("/demo/", headers=basic(password)).status_code == 429


@pytest.mark.parametrize("password", [None, "", "short", "x" * 15])
def test_production_refuses_a_missing_or_short_demo_password(monkeypatch, password):
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("STRIPE_SANDBOX", "1")
    monkeypatch.setenv("MOONLY_ALLOWED_HOSTS", "moonly.example")
    monkeypatch.setenv("MOONLY_DEMO", "1")
    if password is None:
        monkeypatch.delenv("MOONLY_DEMO_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("MOONLY_DEMO_PASSWORD", password)
    with pytest.raises(ConfigError, match="MOONLY_DEMO_PASSWORD"):
        create_app(env="production")


def test_redis_storage_boots_and_counts(make_app, redis_db):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_SIGNUP="2 per minute",
        RATELIMIT_STORAGE_URI=REDIS_URL,
    )
    auth = AuthActions(app.test_client())
    statuses = [auth.signup(email=f"r{n}@example.com").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert any(b"moonly" in key for key in redis_db.keys("*"))


def test_two_apps_on_one_redis_share_the_count(make_app, redis_db):
    """Two app instances stand in for two processes here; see test_limits_across_workers
    for two gunicorn workers."""
    settings = dict(
        RATELIMIT_ENABLED=True,
        RATELIMIT_SIGNUP="3 per minute",
        RATELIMIT_STORAGE_URI=REDIS_URL,
    )
    first, second = make_app(**settings), make_app(**settings)
    statuses = []
    for n in range(6):
        app = (first, second)[n % 2]
        statuses.append(
            AuthActions(app.test_client()).signup(email=f"t{n}@example.com").status_code
        )
    assert statuses == [302, 302, 302, 429, 429, 429]


def test_redis_storage_from_redis_url(monkeypatch):
    from moonly.config import load_settings

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    assert (
        load_settings("testing")["RATELIMIT_STORAGE_URI"]
        == "redis://redis.internal:6379/0"
    )


def test_redis_down_falls_back_to_memory_not_500(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_SIGNUP="2 per minute",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",
    )
    auth = AuthActions(app.test_client())
    statuses = [auth.signup(email=f"d{n}@example.com").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
