"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import re

from flask_migrate import upgrade

from moonly import create_app
from moonly.extensions import db

STRONG_PASSWORD = "correct horse battery staple"
WEBHOOK_URL = "http://127.0.0.1/webhooks/stripe"


def register_endpoint(app, url: str = WEBHOOK_URL) -> None:
    """Register the app's webhook endpoint with its in-process Stripe sandbox."""
    from moonly.billing import local_webhooks

    if app.config.get("STRIPE_SECRET_KEY"):
        return  # not the in-process sandbox: never call Stripe from a fixture
    with app.app_context():
        local_webhooks.ensure_endpoint(url)


def poster_for(client, calls=None):
    """A sandbox webhook poster that hands each delivery to the Flask test client."""

    def post(url, body, headers):
        if calls is not None:
            calls.append(json.loads(body)["id"])
        return client.post("/webhooks/stripe", data=body, headers=headers).status_code

    return post


def deliver_webhooks(app, client, calls=None):
    """Deliver the sandbox's due events to the app, through the test client."""
    from moonly.billing import stripe_api

    return stripe_api.in_process_sandbox(app).deliver_due(poster_for(client, calls))


def sandbox_session(app):
    """A session on the Stripe sandbox's own database, to look at its state directly."""
    from sqlalchemy.orm import Session

    from moonly.billing import stripe_api

    return Session(stripe_api.in_process_sandbox(app).engine)


def sandbox_objects(app, kind: str) -> list[dict]:
    """The sandbox's live objects of one kind (`customer`, `subscription`, …)."""
    from sqlalchemy import select

    from moonly.stripe_sandbox.models import SandboxObject

    with sandbox_session(app) as session:
        rows = session.scalars(
            select(SandboxObject)
            .where(SandboxObject.object == kind, SandboxObject.deleted.is_(False))
            .order_by(SandboxObject.created_ns)
        )
        return [row.data for row in rows]


def sandbox_events(app, event_type=None) -> list[dict]:
    """The sandbox's events, oldest first, as `GET /v1/events/{id}` returns them."""
    from sqlalchemy import select

    from moonly.stripe_sandbox.models import SandboxEvent

    with sandbox_session(app) as session:
        query = select(SandboxEvent).order_by(SandboxEvent.created_ns)
        if event_type:
            query = query.where(SandboxEvent.type == event_type)
        return [e.data for e in session.scalars(query)]


def migrate_database(url: str) -> None:
    """Run the project's migrations on an empty database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, env="testing")
    with app.app_context():
        upgrade()
        db.engine.dispose()


def hidden_value(html: str, name: str) -> str:
    """The value of a form's hidden input, however its attributes are ordered."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and 'type="hidden"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            if found:
                return found.group(1)
    raise AssertionError(f"no hidden {name!r} input on the page")


def csrf_token(html: str) -> str:
    return hidden_value(html, "csrf_token")


class AuthActions:
    def __init__(self, client):
        self.client = client

    def signup(
        self,
        email="ana@example.com",
        *,
        name="Ana Lima",
        password=STRONG_PASSWORD,
        organization="",
        ucc="",
        follow=False,
    ):
        page = self.client.get("/signup")
        return self.client.post(
            "/signup",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "name": name,
                "email": email,
                "password": password,
                "organization": organization,
                "ucc": ucc,
            },
            follow_redirects=follow,
        )

    def login(self, email="ana@example.com", password=STRONG_PASSWORD, next_url=None):
        page = self.client.get("/login")
        data = {
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": email,
            "password": password,
        }
        if next_url is not None:
            data["next"] = next_url
        return self.client.post("/login", data=data)
