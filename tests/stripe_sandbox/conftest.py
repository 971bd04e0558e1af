"""Fixtures for the Stripe sandbox's own tests: a fresh sandbox on its own database for
each test, driven only through the stripe SDK, in-process and over HTTP alike.

Nothing here imports the Moonly app: the sandbox is a library of its own.
"""

from __future__ import annotations

import json
import os
import threading

import pytest
import stripe as stripe_sdk
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from moonly.stripe_sandbox import Sandbox

PG_URL = os.environ.get("DATABASE_URL", "").strip()
SCHEMA = "stripe_sandbox_tests"
COUPON = "moonly-new-user"
# The catalog Moonly's `flask stripe bootstrap` makes: (lookup key, cents, interval).
PRICES = (
    ("moonly_starter_monthly", 1200, "month"),
    ("moonly_starter_yearly", 12000, "year"),
    ("moonly_pro_monthly", 2900, "month"),
    ("moonly_pro_yearly", 29000, "year"),
)


def _pg_url() -> str:
    url = PG_URL
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@pytest.fixture
def sandbox(tmp_path):
    """A sandbox on a fresh database: a SQLite file, or its own PostgreSQL schema."""
    if PG_URL:
        url = _pg_url()
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()
        found = Sandbox(url, schema=SCHEMA)
    else:
        found = Sandbox(f"sqlite:///{tmp_path / 'stripe-sandbox.sqlite3'}")
    yield found
    found.dispose()


class Served:
    """The sandbox served over HTTP on a loopback port, as `python -m` serves it."""

    def __init__(self, sandbox: Sandbox):
        self.server = make_server("127.0.0.1", 0, sandbox.wsgi_app(), threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(sandbox):
    server = Served(sandbox)
    yield server
    server.close()


@pytest.fixture(params=["in-process", "http"])
def transport(request):
    return request.param


@pytest.fixture
def stripe(request, sandbox, transport):
    """The plain SDK talking to the sandbox, in-process or over HTTP."""
    if transport == "http":
        server = request.getfixturevalue("served")
        return stripe_sdk.StripeClient(
            "sk_test_sandbox_tests",
            base_addresses={"api": server.base},
            max_network_retries=0,
        )
    return stripe_sdk.StripeClient(
        "sk_test_sandbox_tests",
        http_client=sandbox.http_client(),
        max_network_retries=0,
    )


@pytest.fixture
def catalog(stripe):
    """Moonly's plans and new-user coupon, made through the API."""
    products = {}
    for key, cents, interval in PRICES:
        plan = key.split("_")[1]
        if plan not in products:
            products[plan] = stripe.v1.products.create(
                params={"name": plan.title(), "metadata": {"moonly_plan": plan}}
            )
        stripe.v1.prices.create(
            params={
                "product": products[plan].id,
                "currency": "usd",
                "unit_amount": cents,
                "recurring": {"interval": interval},
                "lookup_key": key,
            }
        )
    stripe.v1.coupons.create(
        params={
            "id": COUPON,
            "name": "New user: 20 % off for 3 months",
            "percent_off": 20,
            "duration": "repeating",
            "duration_in_months": 3,
        }
    )


def advance(stripe, subscription_id: str) -> dict:
    """The sandbox's test helper: move a subscription to its next period."""
    response = stripe.raw_request(
        "post", f"/v1/test_helpers/sandbox/subscriptions/{subscription_id}/advance"
    )
    return json.loads(response.body)


def advance_by(stripe, subscription_id: str, seconds: int) -> dict:
    """The test helper with `seconds`: move the subscription's clock on by that long,
    doing what falls due on the way; returns the subscription."""
    response = stripe.raw_request(
        "post",
        f"/v1/test_helpers/sandbox/subscriptions/{subscription_id}/advance",
        seconds=seconds,
    )
    return json.loads(response.body)


CATALOG_EVENTS = ("product.", "price.", "coupon.")


def events(stripe, types=None) -> list:
    """Every event, oldest first (`GET /v1/events`), without the catalog's."""
    found = list(stripe.v1.events.list(params={"limit": 100}).auto_paging_iter())
    found.reverse()
    if types is None:
        return [e for e in found if not e.type.startswith(CATALOG_EVENTS)]
    return [e for e in found if e.type in types]


class Recorded:
    """An event as the tests read it: its type, and the whole event as a dict."""

    def __init__(self, event):
        self.type = event.type
        self.data = event.to_dict()


def recorded(stripe, types=None) -> list[Recorded]:
    """`events()` as `Recorded` rows, oldest first."""
    return [Recorded(e) for e in events(stripe, types)]


def count(sandbox, kind: str) -> int:
    """How many live objects of one kind the sandbox holds (read from its database)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from moonly.stripe_sandbox.models import SandboxObject

    with Session(sandbox.engine) as session:
        return session.scalar(
            select(func.count())
            .select_from(SandboxObject)
            .where(SandboxObject.object == kind, SandboxObject.deleted.is_(False))
        )


# The ten events Cello's Stripe webhook needs (Cello's guide).
CELLO_EVENTS = (
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.updated",
    "invoice.paid",
)
