"""Moonly: a Flask storefront attributing referrals with Cello, payments on Stripe."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import hosts, security
from .config import INSTANCE_DIR, ConfigError, load_settings
from .extensions import csrf, db, limiter, login_manager, migrate
from .sessions import CookieSessionInterface

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def create_app(
    config: Mapping[str, object] | None = None, env: str | None = None
) -> Flask:
    """Build the app: settings from the environment (or `config`), then each feature."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.session_interface = CookieSessionInterface()
    app.config.from_mapping(load_settings(env))
    app.config.from_mapping(config or {})
    check_settings(app)
    configure_logging(app)
    register_extensions(app)
    register_template_globals(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    start_background_workers(app)
    hosts.install(app)
    security.install_headers(app)
    mount_sandbox_pages(app)
    return app


def check_settings(app: Flask) -> None:
    """Refuse at start-up what would fail later (ConfigError names the fix)."""
    if not app.config["STRIPE_SECRET_KEY"]:
        from sqlalchemy.engine import make_url

        from .billing.stripe_api import sandbox_database_url

        app_url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        sandbox_url = make_url(sandbox_database_url(app.config))
        if app_url.get_backend_name() == "sqlite" and sandbox_url == app_url:
            # A request that holds the app's write lock while it calls Stripe would
            # wait on itself: SQLite has one lock per file.
            raise ConfigError(
                "STRIPE_SANDBOX_DATABASE_URL names the app's own SQLite file; give "
                "the sandbox a file of its own (or leave it unset)."
            )


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
        )
    # The SDK logs every request at INFO; keep its warnings only.
    logging.getLogger("stripe").setLevel(logging.WARNING)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(
    dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    """SQLite: wait for locks instead of failing; readers work beside a writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_extensions(app: Flask) -> None:
    from .accounts.models import User

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    hops = app.config["TRUST_PROXY_HOPS"]
    if hops:  # the router's X-Forwarded-For is the client address rate limits use
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(login_id: str) -> User | None:
        from .accounts.service import load_session_user

        return load_session_user(login_id)


def register_template_globals(app: Flask) -> None:
    """Copy that follows the settings: "Start free" only when there is a free trial."""
    days = app.config["MOONLY_TRIAL_DAYS"]
    app.jinja_env.globals["start_label"] = (
        f"Start your {days}-day free trial" if days else "Create your account"
    )
    app.jinja_env.globals["start_label_short"] = (
        "Start free trial" if days else "Sign up"
    )


def register_blueprints(app: Flask) -> None:
    from . import api, auth, cello, checkout, health, landing, security, webhooks
    from .api import models as _api_tables  # noqa: F401 - in migrations
    from .billing import models as _billing_tables  # noqa: F401 - in migrations
    from .cello import models as _cello_tables  # noqa: F401 - in migrations

    app.register_blueprint(landing.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(checkout.bp)
    app.register_blueprint(cello.bp)
    app.register_blueprint(security.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    if app.config["MOONLY_DEMO"]:
        from . import demo

        app.register_blueprint(demo.bp)


def _wants_json() -> bool:
    return request.path.startswith(("/demo/api/", "/webhooks/", "/cello/"))


def register_errorhandlers(app: Flask) -> None:
    messages = {
        400: ("Bad request", "We could not understand that request."),
        403: ("Forbidden", "You cannot open this page."),
        404: ("Page not found", "There is nothing at this address."),
        405: ("Method not allowed", "This page does not accept that kind of request."),
        413: ("Too large", "That request is larger than Moonly accepts."),
        429: (
            "Too many attempts",
            "Too many attempts from your address. Wait a minute, then try again.",
        ),
        503: (
            "Temporarily unavailable",
            "Moonly could not save that just now, so nothing was changed. "
            "Try again in a moment.",
        ),
        500: (
            "Something went wrong",
            "We could not finish that. Nothing was charged; try again.",
        ),
    }

    def render_error(code: int, message: str | None = None) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            from .api.errors import http_error

            return http_error(code, message)  # {"error": {"code", "message"}}
        title, default = messages.get(code, ("Error", "Something went wrong."))
        if _wants_json():
            return jsonify(error=message or default), code
        return render_template(
            "errors/error.html", code=code, title=title, message=message or default
        ), code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_error(
            400, "This form expired. Go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if error.code is not None and error.code < 400:
            return error  # routing redirects, such as a missing trailing slash
        if isinstance(error, RateLimitExceeded) and error.limit.error_message:
            return render_error(429, error.description)
        return render_error(error.code or 500)

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> ResponseReturnValue:
        # The driver's first line says why ("database is locked", …); it names no
        # password, and the statement and its parameters are left out.
        reason = str(error.orig).splitlines()[0][:200] if error.orig else ""
        app.logger.warning(
            "Database refused the request: %s: %s", type(error.orig).__name__, reason
        )
        db.session.rollback()
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ResponseReturnValue:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)


def register_commands(app: Flask) -> None:
    from .billing.commands import stripe_cli
    from .cello.commands import cello_cli
    from .serve import serve_command
    from .webhooks.commands import reprocess_failed_command

    # Stored webhook events are the webhooks feature's; the command sits with Stripe's.
    stripe_cli.add_command(reprocess_failed_command)
    app.cli.add_command(stripe_cli)
    app.cli.add_command(cello_cli)
    app.cli.add_command(serve_command)


def mount_sandbox_pages(app: Flask) -> None:
    """Offline, in-process: serve the Stripe sandbox's own pages (hosted Checkout, the
    customer portal, 3-D Secure) under SANDBOX_PAGES, as Stripe serves them on its own
    origin. Only its pages: the sandbox's API stays reachable through the SDK alone."""
    if app.config["STRIPE_SECRET_KEY"]:
        return
    from werkzeug.exceptions import NotFound
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from .billing.stripe_api import SANDBOX_PAGES, in_process_sandbox

    def pages(
        environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/v1/"):
            return NotFound()(environ, start_response)
        sandbox = in_process_sandbox(app)
        assert sandbox is not None
        return sandbox.wsgi_app()(environ, start_response)

    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {SANDBOX_PAGES: pages}
    )


class Worker(Protocol):
    def start(self) -> None: ...


def start_on_first_request(
    app: Flask, name: str, factory: Callable[[], Worker]
) -> None:
    """Start a background worker in the process that serves, not in CLI commands."""
    lock = threading.Lock()

    @app.before_request
    def start_worker() -> None:
        if name in app.extensions:
            return
        with lock:
            if name not in app.extensions:
                worker = factory()
                worker.start()
                app.extensions[name] = worker


def start_background_workers(app: Flask) -> None:
    """Offline, the sandbox's webhook deliverer and this app's endpoint there; the
    app's background runner (the Cello outbox)."""
    config = app.config
    offline = not config["STRIPE_SECRET_KEY"] or config["STRIPE_API_BASE"]
    if offline and not app.testing:
        from .billing import local_webhooks

        @app.before_request
        def register_webhook_endpoint() -> None:
            if "moonly.webhook_endpoint" in app.extensions:
                return
            with _registration_lock:
                if "moonly.webhook_endpoint" not in app.extensions:
                    app.extensions["moonly.webhook_endpoint"] = True
                    local_webhooks.register_on_start()

    if not config["STRIPE_SECRET_KEY"] and config["STRIPE_SANDBOX_DELIVER"]:
        from .billing.stripe_api import in_process_sandbox

        def deliverer() -> Any:
            sandbox = in_process_sandbox(app)
            assert sandbox is not None
            return sandbox.deliverer()

        start_on_first_request(app, "moonly.deliverer", deliverer)
    from . import background
    from .cello import outbox

    # The app's own outbox work: in a thread of the web process in development, in
    # the Procfile's `flask worker` in production (README, Deployment).
    background.install(
        app,
        {"cello outbox": outbox.deliver_due},
        thread=config["CELLO_BACKGROUND_DELIVERY"],
    )


_registration_lock = threading.Lock()
