"""MOONLY_ALLOWED_HOSTS: any other Host is a 400 before the app does anything."""

import pytest

from moonly import create_app
from moonly.config import ConfigError, load_settings
from moonly.hosts import hostname, parse_hosts


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("Moonly.Example", "moonly.example"),
        ("moonly.example:443", "moonly.example"),
        ("moonly.example.", "moonly.example"),
        ("[::1]:5000", "[::1]"),
        ("127.0.0.1:5000", "127.0.0.1"),
        ("evil.example:abc", "evil.example:abc"),
    ],
)
def test_hostname(host, name):
    assert hostname(host) == name


def test_parse_hosts():
    assert parse_hosts(" A.example, .b.example ,,") == ["a.example", ".b.example"]


@pytest.mark.parametrize(
    "path", ["/", "/demo/api/journeys", "/login", "/signup", "/nowhere"]
)
def test_an_unknown_host_is_refused_everywhere(client, path):
    response = client.get(path, headers={"Host": "rebind.evil.example"})
    assert response.status_code == 400
    assert b"Unknown host" in response.data
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_rebinding_page_cannot_post_either(client):
    response = client.post(
        "/demo/advance", data={"x": "y"}, headers={"Host": "rebind.evil.example:5000"}
    )
    assert response.status_code == 400
    assert b"Unknown host" in response.data


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:5000", "[::1]:80"]
)
def test_development_hosts_are_allowed_by_default(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_whatever_the_host(client, path):
    assert client.get(path, headers={"Host": "10.1.2.3:8080"}).status_code == 200


def test_listed_hosts_and_subdomains(make_app):
    app = make_app(MOONLY_ALLOWED_HOSTS=["moonly.example", ".shop.example"])
    client = app.test_client()
    for host in ("moonly.example", "shop.example", "eu.shop.example:443"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("localhost", "evil.example", "notshop.example", "moonly.example.evil"):
        assert client.get("/", headers={"Host": host}).status_code == 400, host


def test_redirects_carry_only_allowed_hosts(client):
    response = client.get("/account", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_the_configured_host_is_a_default(monkeypatch):
    monkeypatch.delenv("MOONLY_ALLOWED_HOSTS", raising=False)
    monkeypatch.setenv("HOST", "moonly.local")
    assert load_settings("testing")["MOONLY_ALLOWED_HOSTS"][0] == "moonly.local"


def test_production_requires_the_list(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.delenv("MOONLY_ALLOWED_HOSTS", raising=False)
    with pytest.raises(ConfigError, match="MOONLY_ALLOWED_HOSTS"):
        create_app(env="production")
    monkeypatch.setenv("MOONLY_ALLOWED_HOSTS", "moonly.example")
    assert load_settings("production")["MOONLY_ALLOWED_HOSTS"] == ["moonly.example"]


def test_offline_the_sandbox_webhook_host_is_allowed(make_app):
    app = make_app(
        MOONLY_ALLOWED_HOSTS=["moonly.example"],
        STRIPE_SANDBOX_WEBHOOK_URL="http://127.0.0.9:5123/webhooks/stripe",
    )
    client = app.test_client()
    response = client.post("/webhooks/stripe", headers={"Host": "127.0.0.9:5123"})
    assert response.status_code == 400 and b"Stripe-Signature" in response.data
    assert client.get("/", headers={"Host": "127.0.0.1"}).status_code == 400
