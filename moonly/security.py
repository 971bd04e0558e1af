"""Response headers: a Content-Security-Policy that names exactly the Cello hosts in
use; no-store for signed-in pages; NUL bytes refused."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from markupsafe import Markup

from . import caching
from .cello.hosts import api_host, assets_host
from .cello.page import CELLO_ATTRIBUTION_STUB

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

bp = Blueprint("security", __name__)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


STUB_HASH = _sha256(CELLO_ATTRIBUTION_STUB)
# Stylesheets are inlined so that nothing blocks the first render; the CSP allows
# exactly
# these by hash. Each is read once per process.
INLINE_STYLES = ("css/moonly.css", "css/demo.css")


@caching.memoize(None)
def _inline_style(static_folder: str, name: str) -> tuple[str, str]:
    text = (Path(static_folder) / name).read_text()
    return text, _sha256(text)


def inline_style(name: str) -> Markup:
    text, _ = _inline_style(current_app.static_folder or "", name)
    return Markup(text)  # noqa: S704 - the project's own stylesheet


def content_security_policy() -> str:
    """Self, plus Cello's asset and API hosts for the configured CELLO_ENV only."""
    assets, api = assets_host(), api_host()
    folder = current_app.static_folder or ""
    styles = " ".join(f"'{_inline_style(folder, name)[1]}'" for name in INLINE_STYLES)
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' '{STUB_HASH}' {assets}",
        "connect-src": f"'self' {assets} {api}",
        "img-src": f"'self' data: {assets}",
        "style-src": f"'self' {styles} {assets}",
        "font-src": f"'self' {assets}",
        "frame-src": assets,
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@bp.app_context_processor
def page_context() -> dict[str, Callable[[str], Markup]]:
    return {"inline_style": inline_style}


@bp.after_app_request
def no_store_for_signed_in_users(response: Response) -> Response:
    """A page made for a signed-in user (/account, /cello/token, checkout, any page
    naming them) is never kept by a browser or a shared cache."""
    user = g.get("_login_user")  # Flask-Login's user for this request, if loaded
    if user is not None and user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@bp.before_app_request
def refuse_nul_bytes() -> None:
    """No text field anywhere may hold NUL: PostgreSQL refuses it, so refuse it
    first."""
    query = request.environ.get("QUERY_STRING", "")  # the raw string: no parsing
    if "%00" in query or "\x00" in query:
        abort(400)
    # Only form bodies are parsed here; any other body is left to its view (the
    # webhook reads its own, with its own size limit).
    if request.method == "POST" and request.mimetype in FORM_TYPES:
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def response_headers() -> list[tuple[str, str]]:
    """The same headers on every response; they depend on configuration only."""
    headers = [
        ("Content-Security-Policy", content_security_policy()),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.append(
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        )
    return headers


class SecurityHeaders:
    """WSGI middleware adding the fixed headers to every response, error pages and
    static files included, unless the app set one itself. Doing it at the edge costs
    a tenth of doing it through Flask's response object on every request."""

    def __init__(
        self, wsgi_app: WSGIApplication, headers: list[tuple[str, str]]
    ) -> None:
        self.wsgi_app = wsgi_app
        self.headers = headers

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        def start(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: OptExcInfo | None = None,
        ) -> Callable[[bytes], object]:
            present = {name.lower() for name, _ in headers}
            headers.extend(h for h in self.headers if h[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def install_headers(app: Flask) -> None:
    with app.app_context():
        headers = response_headers()
    app.wsgi_app = SecurityHeaders(app.wsgi_app, headers)  # type: ignore[method-assign]
