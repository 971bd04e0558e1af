"""The sandbox served over HTTP: Stripe's API at `/v1/…`, as api.stripe.com serves it,
and the pages a customer visits (hosted Checkout, the customer portal, 3-D Secure at
`/3ds/<pi_…>`; see pages.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from . import api, checkout_page, pages, portal_page, three_d_secure
from .ids import new_id

if TYPE_CHECKING:  # typeshed's names for WSGI, which exist for type checkers alone
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

MAX_BODY = 1024 * 1024  # far above any Stripe API request


def _error(status: int, message: str) -> Response:
    request_id = new_id("req", 14)
    body = {"error": {"type": "invalid_request_error", "message": message}}
    return Response(
        json.dumps(body),
        status,
        {"Content-Type": "application/json", "Request-Id": request_id},
    )


def _page(site: pages.Site, request: Request) -> Response:
    """Answer a page request: 3-D Secure, hosted Checkout or the customer portal."""
    _, kind, rest = request.path.split("/", 2)
    if kind == "3ds":
        return three_d_secure.respond(site, request)
    object_id, _, action = rest.partition("/")
    if request.method not in ("GET", "HEAD", "POST"):
        return pages.notice("Method not allowed", "This page takes GET and POST.", 405)
    respond = checkout_page.respond if kind == "pay" else portal_page.respond
    return respond(site, request, object_id, action)


def _api(site: pages.Site, request: Request) -> Response:
    """Answer a Stripe API request."""
    if (request.content_length or 0) > MAX_BODY:
        return _error(413, "The request body is too large.")
    body = request.get_data(cache=False)[: MAX_BODY + 1]
    if len(body) > MAX_BODY:
        return _error(413, "The request body is too large.")
    answer = api.handle(
        site.engine,
        request.method.lower(),
        request.path,
        request.query_string.decode("latin-1"),
        body.decode("utf-8", "replace"),
        dict(request.headers),
        pages.public_url(site, request),
    )
    return Response(answer.body, answer.status, answer.headers)


def make_wsgi_app(site: pages.Site) -> WSGIApplication:
    """A WSGI app answering Stripe API requests, and serving the pages, from `site`."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(pages.PREFIXES):
            response = _page(site, request)
        elif not request.path.startswith("/v1/"):
            response = _error(
                404, f"Unrecognized request URL ({request.method}: {request.path})."
            )
        else:
            response = _api(site, request)
        return response(environ, start_response)

    return app
