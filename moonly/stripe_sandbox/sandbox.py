"""`Sandbox`: one offline Stripe on one database, for any Stripe SDK.

In-process, give the SDK its HTTP client::

    sandbox = Sandbox("sqlite:///stripe-sandbox.sqlite3")
    client = stripe.StripeClient("sk_test_x", http_client=sandbox.http_client())

Over HTTP, serve `sandbox.wsgi_app()` (`python -m moonly.stripe_sandbox`) and point the
SDK's `base_addresses={"api": "http://127.0.0.1:12111"}` at it.

The same WSGI app serves the pages a browser visits: hosted Checkout at
`/pay/<cs_…>`, the customer portal at `/portal/<bps_…>` and 3-D Secure at
`/3ds/<pi_…>`. Mounted under a prefix of another app (werkzeug's
DispatcherMiddleware), pass that public address::

    Sandbox(url, public_url="http://127.0.0.1:5000/_stripe-sandbox")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from . import events
from .client import Faults, SandboxHTTPClient
from .database import open_engine
from .models import Base
from .server import make_wsgi_app
from .store import DEFAULT_PUBLIC_URL

if TYPE_CHECKING:  # typeshed's name for a WSGI app, for type checkers alone
    from _typeshed.wsgi import WSGIApplication


class Sandbox:
    def __init__(
        self,
        database_url: str,
        *,
        schema: str = "stripe_sandbox",
        public_url: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.engine: Engine = open_engine(database_url, schema)
        self.faults = Faults()
        # Where `wsgi_app()` is reachable by a browser, for the URLs of its pages;
        # None: the address each HTTP request came to (in-process: DEFAULT_PUBLIC_URL).
        self.public_url = None if public_url is None else public_url.rstrip("/")

    def http_client(self) -> SandboxHTTPClient:
        """An SDK HTTP client answering from this sandbox (sharing its fault switch)."""
        return SandboxHTTPClient(
            self.engine, self.faults, lambda: self.public_url or DEFAULT_PUBLIC_URL
        )

    def deliver_due(
        self, post: events.Poster = events.post_http
    ) -> events.DeliveryReport:
        """Send the webhook deliveries that are due now."""
        return events.deliver_due(self.engine, post)

    def deliverer(
        self, interval: float = 1.0, post: events.Poster = events.post_http
    ) -> events.Deliverer:
        """A background thread delivering events (call `.start()`)."""
        return events.Deliverer(self.engine, interval, post)

    def backlog(self) -> tuple[int, int | None]:
        """Deliveries waiting, and the epoch second since which the oldest is due."""
        return events.backlog(self.engine)

    def reset(self) -> None:
        """Forget every object, idempotent result, event and delivery."""
        with Session(self.engine) as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(delete(table))
            session.commit()

    def wsgi_app(self) -> WSGIApplication:
        """The sandbox as a WSGI application serving Stripe's API at `/v1/…`."""
        return make_wsgi_app(self)

    def dispose(self) -> None:
        self.engine.dispose()
