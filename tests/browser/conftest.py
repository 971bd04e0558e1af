"""Real-browser fixtures: Debian's Chromium driven by Playwright, against the app
served on loopback, with Cello's hosts routed to a test double or blocked like an ad
blocker."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from helpers import register_endpoint
from werkzeug.serving import make_server

from moonly.extensions import db

HERE = Path(__file__).parent
ARTIFACTS = HERE.parent.parent / "test-artifacts" / "screenshots"
CELLO_HOSTS = re.compile(r"^https://assets\.(sandbox\.)?cello\.so/")
INSTALL = "apt-get install -y chromium"


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing; CI must install it ({INSTALL}).")
        pytest.skip(
            f"Chromium not found: install it with `{INSTALL}` to run the browser tests."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}"
        app.config["STRIPE_SANDBOX_WEBHOOK_URL"] = self.url + "/webhooks/stripe"
        # The sandbox delivers to the endpoints registered with it: this server's.
        register_endpoint(app, self.url + "/webhooks/stripe")
        # Its pages (hosted Checkout, the portal) are served by this server too.
        from moonly.billing import stripe_api

        stripe_api.in_process_sandbox(app).public_url = (
            self.url + stripe_api.SANDBOX_PAGES
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def journey(self, email: str) -> dict:
        with self.app.test_client() as client:
            return client.get(f"/demo/api/journey?email={email}").get_json()


@pytest.fixture
def live_server(make_app):
    app = make_app(STRIPE_SANDBOX_DELIVER=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["stripe", "bootstrap"]).exit_code == 0
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()
    deliverer = app.extensions.get("moonly.deliverer")
    if deliverer is not None:
        deliverer.stop()
    with app.app_context():
        db.session.remove()


class Shots:
    """Saves a screenshot of each page a test visits (test-artifacts/, git-ignored)."""

    def __init__(self, name: str):
        self.name = re.sub(r"[^A-Za-z0-9_-]+", "-", name)
        self.count = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(self, page, label: str) -> None:
        self.count += 1
        page.screenshot(
            path=ARTIFACTS / f"{self.name}-{self.count:02d}-{label}.png", full_page=True
        )


@pytest.fixture
def shots(request):
    return Shots(request.node.name)


def _attribution_double(route):
    route.fulfill(
        body=(HERE / "cello_attribution_double.js").read_text(),
        content_type="text/javascript",
    )


@pytest.fixture
def new_context(browser):
    """Make a browser context; `cello` is "double" (the test double) or "blocked"."""
    contexts = []

    def make(cello: str = "double", **options):
        context = browser.new_context(
            viewport={"width": 1280, "height": 720}, **options
        )
        if cello == "double":
            context.route(CELLO_HOSTS, _attribution_double)
        else:
            context.route(CELLO_HOSTS, lambda route: route.abort("blockedbyclient"))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
