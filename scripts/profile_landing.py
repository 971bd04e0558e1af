"""Where one invite-landing request spends its time, in-process (no network).

    .venv/bin/python scripts/profile_landing.py [--requests 200]

Serves `GET /?ucc=…` (a new visitor: no cookies) through the app's whole WSGI stack,
as gunicorn would call it, and prints the mean time per request for: the bare Flask app
of `make bench`; Moonly as configured for production; Moonly with each per-request hook
taken out in turn (what that hook costs); and cProfile's top functions. Rate limits are
off as in `make bench`; `--limits on` shows Flask-Limiter's cost too.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LANDING = "/?ucc=bench123&productId=moonly.example&referrerName=Alice"


def environ(path: str) -> WSGIEnvironment:
    from werkzeug.test import EnvironBuilder

    env = EnvironBuilder(path=path, base_url="http://127.0.0.1:5000").get_environ()
    env["REMOTE_ADDR"] = "127.0.0.1"
    env["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    return env


def caller(wsgi_app: WSGIApplication, path: str) -> Callable[[], None]:
    """A function serving one request through `wsgi_app`, body consumed."""
    template = environ(path)

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        assert status.startswith("200"), status

    def once() -> None:
        body = wsgi_app(dict(template), start_response)
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()

    return once


def batch(once: Callable[[], None], n: int) -> float:
    """CPU seconds per request: steadier than wall time on a shared machine."""
    started = time.process_time()
    for _ in range(n):
        once()
    return (time.process_time() - started) / n


def compare(
    first: Callable[[], None], second: Callable[[], None], n: int, rounds: int = 15
) -> tuple[float, float]:
    """Median seconds per request of two callers, measured in alternating batches so
    that a busy moment of the (shared) machine falls on both alike."""
    for once in (first, second):
        batch(once, 100)
    a, b = [], []
    for _ in range(rounds):
        a.append(batch(first, n))
        b.append(batch(second, n))
    return statistics.median(a), statistics.median(b)


def moonly_app() -> Flask:
    from flask_migrate import upgrade

    from moonly import create_app
    from moonly.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        from moonly.billing import catalog

        catalog.bootstrap()
        db.session.remove()
    return app


def _name(func: object) -> str:
    func = getattr(func, "func", func)  # functools.partial
    return str(getattr(func, "__qualname__", ""))


def without(app: Flask, where: str, name: str) -> Callable[[], None]:
    """Take one hook out; return a function that puts it back."""
    funcs = getattr(app, where).get(None, [])
    index = next(i for i, f in enumerate(funcs) if _name(f).endswith(name))
    hook = funcs.pop(index)
    return lambda: funcs.insert(index, hook)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="per batch")
    parser.add_argument(
        "--limits",
        choices=["on", "off"],
        default="off",
        help="rate limits (off, as `make bench` serves; production has them on)",
    )
    args = parser.parse_args()
    n = args.requests
    tmp = tempfile.mkdtemp()
    os.environ.update(
        MOONLY_ENV="production",
        SECRET_KEY="profile-" + "x" * 56,
        STRIPE_SANDBOX="1",
        STRIPE_SANDBOX_DELIVER="0",
        CELLO_BACKGROUND_DELIVERY="0",
        MOONLY_DEMO="0",
        MOONLY_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{tmp}/profile.sqlite3",
        RATELIMIT_ENABLED="true" if args.limits == "on" else "false",
        FLASK_SKIP_DOTENV="1",
    )
    import bare_app

    app = moonly_app()
    landing = caller(app, LANDING)
    bare, full = compare(caller(bare_app.app.wsgi_app, "/"), landing, n)
    print(f"bare Flask GET /                 {bare * 1e6:7.1f} µs")
    print(
        f"Moonly invite landing            {full * 1e6:7.1f} µs  ({bare / full:.2f}×)"
    )
    print("\nWhat each hook costs (median with it, minus median without it):")
    hooks = [
        ("before_request_funcs", "csrf_protect", "Flask-WTF CSRF check"),
        ("before_request_funcs", "_check_request_limit", "Flask-Limiter check"),
        ("before_request_funcs", "refuse_nul_bytes", "NUL-byte guard"),
        ("after_request_funcs", "_update_remember_cookie", "Flask-Login remember"),
        ("after_request_funcs", "__inject_headers", "Flask-Limiter headers"),
        ("after_request_funcs", "keep_invite", "invite cookie"),
        ("after_request_funcs", "no_store_for_signed_in_users", "no-store check"),
        ("teardown_request_funcs", "__release_context", "Flask-Limiter teardown"),
        ("teardown_appcontext_funcs", "_teardown_session", "SQLAlchemy teardown"),
    ]
    for where, name, label in hooks:
        try:
            restore = without_any(app, where, name)
        except StopIteration:
            print(f"  {label:32} (not installed)")
            continue
        restore()
        with_it, _ = compare(landing, landing, 10, rounds=1)  # warm
        samples = []
        for _ in range(15):
            with_it = batch(landing, n)
            restore = without_any(app, where, name)
            without_it = batch(landing, n)
            restore()
            samples.append(with_it - without_it)
        print(f"  {label:32} {statistics.median(samples) * 1e6:7.1f} µs")
    for label, attr in (
        ("security headers middleware", "SecurityHeaders"),
        ("host check middleware", "AllowedHosts"),
        ("ProxyFix middleware", "ProxyFix"),
    ):
        with_it, without_it = compare(landing, caller(unwrapped(app, attr), LANDING), n)
        print(f"  {label:32} {(with_it - without_it) * 1e6:7.1f} µs")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(500):
        landing()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    print("\ncProfile, 500 requests, by own time:")
    print("\n".join(out.getvalue().splitlines()[:60]))
    return 0


def without_any(app: Flask, where: str, name: str) -> Callable[[], None]:
    if where == "teardown_appcontext_funcs":
        funcs = app.teardown_appcontext_funcs
        index = next(i for i, f in enumerate(funcs) if _name(f).endswith(name))
        hook = funcs.pop(index)
        return lambda: funcs.insert(index, hook)
    return without(app, where, name)


def unwrapped(app: Flask, class_name: str) -> WSGIApplication:
    """The app's WSGI stack with one middleware left out."""
    layers: list[Any] = []
    layer: Any = app.wsgi_app
    while hasattr(layer, "wsgi_app"):
        layers.append(layer)
        layer = layer.wsgi_app
    inner = layer
    stack = inner
    for mw in reversed(layers):
        if type(mw).__name__ == class_name:
            continue
        clone = object.__new__(type(mw))
        clone.__dict__.update(mw.__dict__)
        clone.wsgi_app = stack
        stack = clone
    saved = app.wsgi_app

    def call(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        app.wsgi_app = stack  # type: ignore[method-assign]
        try:
            return app(environ, start_response)
        finally:
            app.wsgi_app = saved  # type: ignore[method-assign]

    return call


if __name__ == "__main__":
    sys.exit(main())
