import pytest

from moonly import create_app
from moonly.config import ConfigError, database_url, load_settings


@pytest.fixture(autouse=True)
def _allowed_hosts(monkeypatch):
    """Production needs the list; the tests of that requirement remove it."""
    monkeypatch.setenv("MOONLY_ALLOWED_HOSTS", "moonly.example")


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app(env="production")


def test_production_refuses_the_sandbox_unless_asked(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("STRIPE_SANDBOX", raising=False)
    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY is not set"):
        load_settings("production")
    monkeypatch.setenv("STRIPE_SANDBOX", "1")
    settings = load_settings("production")
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["MOONLY_DEMO"] is False


def test_production_demo_needs_a_password(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("MOONLY_DEMO", "1")
    monkeypatch.delenv("MOONLY_DEMO_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="MOONLY_DEMO_PASSWORD"):
        load_settings("production")
    monkeypatch.setenv("MOONLY_DEMO_PASSWORD", "open sesame, sixteen+")
    assert load_settings("production")["MOONLY_DEMO"] is True


def test_development_turns_demo_on(monkeypatch):
    monkeypatch.delenv("MOONLY_DEMO", raising=False)
    monkeypatch.setenv("SECRET_KEY", "dev")
    assert load_settings("development")["MOONLY_DEMO"] is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MOONLY_REFERRAL_FLOW", "sometimes"),
        ("CELLO_ENV", "staging"),
        ("MOONLY_ENV", "prod"),
    ],
)
def test_bad_choices_are_refused_with_a_clear_message(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_gets_the_psycopg_driver(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url("sqlite://") == expected


def test_sandbox_webhook_url_follows_host_and_port(monkeypatch):
    monkeypatch.setenv("HOST", "127.0.0.2")
    monkeypatch.setenv("PORT", "5001")
    monkeypatch.delenv("STRIPE_SANDBOX_WEBHOOK_URL", raising=False)
    settings = load_settings("testing")
    assert settings["STRIPE_SANDBOX_WEBHOOK_URL"] is None
    assert settings["SERVER_ADDRESS"] == "http://127.0.0.2:5001"


@pytest.mark.parametrize(
    ("app_url", "sandbox_url"),
    [
        (
            "sqlite:////srv/moonly/instance/moonly.sqlite3",
            "sqlite:////srv/moonly/instance/moonly.stripe-sandbox.sqlite3",
        ),
        # PostgreSQL: the same database; the sandbox keeps to a schema of its own.
        (
            "postgresql+psycopg://u:p@db:5432/moonly",
            "postgresql+psycopg://u:p@db:5432/moonly",
        ),
    ],
)
def test_the_sandbox_database_is_derived_from_the_apps(app_url, sandbox_url):
    from moonly.billing.stripe_api import sandbox_database_url

    config = {"SQLALCHEMY_DATABASE_URI": app_url, "STRIPE_SANDBOX_DATABASE_URL": None}
    assert sandbox_database_url(config) == sandbox_url
    config["STRIPE_SANDBOX_DATABASE_URL"] = "sqlite:////tmp/elsewhere.sqlite3"
    assert sandbox_database_url(config) == "sqlite:////tmp/elsewhere.sqlite3"


def test_the_sandbox_may_not_share_the_apps_sqlite_file(tmp_path):
    app_db = f"sqlite:///{tmp_path / 'moonly.sqlite3'}"
    with pytest.raises(ConfigError, match="app's own SQLite file"):
        create_app(
            {"SQLALCHEMY_DATABASE_URI": app_db, "STRIPE_SANDBOX_DATABASE_URL": app_db},
            env="testing",
        )
