"""Offline: register the app's webhook endpoint with the Stripe sandbox like any other.

Stripe (and the sandbox) sends each event to every enabled endpoint that listens for
it, signed with that endpoint's own secret. With real Stripe you create the endpoint in
the dashboard, or run `stripe listen`, and set STRIPE_WEBHOOK_SECRET. Offline, the app
creates its endpoint itself through the API, keeps the secret Stripe shows once, and
moves the endpoint when the app is served on another address (`flask run --port 5188`).
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import current_app, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import stripe_api
from .models import LocalWebhookEndpoint

log = logging.getLogger(__name__)

PATH = "/webhooks/stripe"
MARK = {"moonly_endpoint": "local"}


def configured_url() -> str:
    """STRIPE_SANDBOX_WEBHOOK_URL, else the address HOST and PORT name."""
    config = current_app.config
    url: str = (
        config.get("STRIPE_SANDBOX_WEBHOOK_URL") or config["SERVER_ADDRESS"] + PATH
    )
    return url


def secrets() -> list[str]:
    """Signing secrets of the endpoints this app registered (newest first)."""
    return list(
        db.session.scalars(
            select(LocalWebhookEndpoint.secret).order_by(
                LocalWebhookEndpoint.created_at.desc()
            )
        )
    )


def ensure_endpoint(url: str) -> str:
    """Make sure the sandbox delivers every event to `url`; say what was done."""
    stored = db.session.scalar(select(LocalWebhookEndpoint))
    if stored is not None:
        endpoint = stripe_api.retrieve_webhook_endpoint(stored.id)
        if endpoint is not None:
            if endpoint.url != url or endpoint.status != "enabled":
                stripe_api.move_webhook_endpoint(stored.id, url)
                stored.url = url
                db.session.commit()
                return f"webhook endpoint {stored.id} moved to {url}"
            return f"webhook endpoint {stored.id} delivers to {url}"
        # The sandbox was reset: the endpoint and its secret are gone.
        db.session.execute(delete(LocalWebhookEndpoint))
        db.session.commit()
    # One key per URL and ten minutes: processes starting together make one endpoint.
    bucket = f"{url} {int(time.time()) // 600}"
    key = "moonly-local-endpoint-" + hashlib.sha256(bucket.encode()).hexdigest()[:32]
    endpoint = stripe_api.create_webhook_endpoint(
        url,
        ["*"],
        description="Moonly's own webhook receiver (offline)",
        metadata=MARK,
        idempotency_key=key,
    )
    try:
        db.session.merge(
            LocalWebhookEndpoint(id=endpoint.id, url=url, secret=endpoint.secret)
        )
        db.session.commit()
    except IntegrityError:
        # Another process starting at the same moment stored the same endpoint.
        db.session.rollback()
    return f"webhook endpoint {endpoint.id} created for {url}"


def forget() -> None:
    """After a sandbox reset: the endpoint is gone, so is its secret."""
    db.session.execute(delete(LocalWebhookEndpoint))
    db.session.commit()


def served_address() -> str:
    """The address this server listens on, as the WSGI server reports it (never the Host
    header, which a client chooses)."""
    environ = request.environ
    host = environ.get("SERVER_NAME") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104 - reading an address, not binding one
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    scheme = environ.get("wsgi.url_scheme", "http")
    return f"{scheme}://{host}:{environ.get('SERVER_PORT', '80')}"


def served_url() -> str:
    """STRIPE_SANDBOX_WEBHOOK_URL, else this app's receiver at the address served."""
    configured = current_app.config.get("STRIPE_SANDBOX_WEBHOOK_URL")
    return configured or served_address() + PATH


def register_on_start() -> None:
    """On the first request: point the endpoint at the address actually served, or
    say loudly why events will not arrive; in-process, serve the sandbox's pages there
    too."""
    sandbox = stripe_api.in_process_sandbox()
    if sandbox is not None:
        sandbox.public_url = served_address() + stripe_api.SANDBOX_PAGES
    url = served_url()
    try:
        message = ensure_endpoint(url)
    except stripe_api.StripeError as error:
        db.session.rollback()
        log.error(
            "Webhooks will NOT reach this app: the Stripe sandbox refused to register "
            "%s (%s). Is the sandbox running (make sandbox)?",
            url,
            error.user_message or type(error).__name__,
        )
        return
    log.info("Stripe sandbox: %s", message)
