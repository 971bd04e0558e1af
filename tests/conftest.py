"""Fixtures: a fresh database per test (SQLite by default, PostgreSQL with
DATABASE_URL), migrated by the project's own Alembic migrations, and the real SDK
against the sandbox."""

from __future__ import annotations

import os
import shutil

import pytest
from cello_standin import CelloStandIn
from helpers import WEBHOOK_URL, AuthActions, migrate_database, register_endpoint
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from moonly import caching, create_app
from moonly.config import database_url
from moonly.extensions import db

PG_URL = os.environ.get("DATABASE_URL", "").strip()
TABLES = (
    "api_tokens",
    "users",
    "invite_visits",
    "organizations",
    "cello_events",
    "stripe_events",
    "subscriptions",
    "invoices",
    "charges",
    "local_webhook_endpoints",
)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """Run the migrations once: into a template SQLite file, or a clean PostgreSQL
    schema."""
    if PG_URL:
        url = database_url(PG_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate_database(url)
        return url
    template = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate_database(f"sqlite:///{template}")
    return str(template)


@pytest.fixture
def database_uri(migrated_database, tmp_path) -> str:
    if PG_URL:
        engine = create_engine(migrated_database)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            # The Stripe sandbox's own tables, in their schema (made on first use).
            sandbox_tables = conn.scalars(
                text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = 'stripe_sandbox'"
                )
            ).all()
            if sandbox_tables:
                names = ", ".join(f"stripe_sandbox.{t}" for t in sandbox_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        engine.dispose()
        return migrated_database
    path = tmp_path / "moonly.sqlite3"
    shutil.copy(migrated_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(database_uri):
    """Build an app on this test's database, with settings overridden as needed."""
    apps = []

    def factory(**overrides):
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": database_uri, **overrides}, env="testing"
        )
        apps.append(app)
        # The sandbox delivers events to the endpoints registered with it, as Stripe
        # does; tests hand deliveries to the test client (helpers.deliver_webhooks).
        try:
            register_endpoint(app, WEBHOOK_URL)
        except OperationalError:
            pass  # a test of a database that cannot be opened
        return app

    yield factory
    for app in apps:
        # Background workers a test's requests started must not outlive it.
        for name in ("moonly.deliverer", "moonly.background"):
            worker = app.extensions.get(name)
            if worker is not None and hasattr(worker, "stop"):
                worker.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        sandbox = app.extensions.get("moonly.stripe_sandbox")
        if sandbox is not None:
            sandbox.dispose()
    caching.clear()  # the process's caches too: no test sees another's


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def stripe(app):
    """The app's own StripeClient (talking to the sandbox), inside an app context."""
    from moonly.billing import stripe_api

    with app.app_context():
        yield stripe_api.client()


@pytest.fixture
def sandbox(app):
    """The in-process Stripe sandbox: its fault switch, deliveries and database."""
    from moonly.billing import stripe_api

    return stripe_api.in_process_sandbox(app)


@pytest.fixture
def catalog(app, runner):
    result = runner.invoke(args=["stripe", "bootstrap"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """Hash with fewer rounds in tests; the algorithm and the checks stay the same."""
    import werkzeug.security

    real = werkzeug.security.generate_password_hash

    def quick(password, method="scrypt:1024:8:1", salt_length=16):
        return real(password, method=method, salt_length=salt_length)

    monkeypatch.setattr("moonly.accounts.service.generate_password_hash", quick)


@pytest.fixture
def cello(httpserver):
    standin = CelloStandIn()
    standin.base = standin.attach(httpserver)
    return standin


@pytest.fixture
def scenario_b(make_app, cello):
    """An app in scenario B whose Cello API is the stand-in."""
    return make_app(
        MOONLY_REFERRAL_FLOW="customer_at_purchase",
        CELLO_ACCESS_KEY_ID=cello.key_id,
        CELLO_SECRET_ACCESS_KEY=cello.secret,
        CELLO_API_BASE=cello.base,
        CELLO_API_TIMEOUT=0.5,
    )
