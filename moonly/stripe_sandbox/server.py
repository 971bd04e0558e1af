"""The sandbox served over HTTP: Stripe's API at `/v1/…`, as api.stripe.com serves it,
and the pages a customer visits (hosted Checkout, the customer portal, 3-D Secure at
`/3ds/<pi_…>`; see pages.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from . import pages
from .ids import new_id

if TYPE_CHECKING:
    from .sandbox import Sandbox

MAX_BODY = 1024 * 1024  # far above any Stripe API request


def _error(status: int, message: str) -> Response:
    request_id = new_id("req", 14)
    body = {"error": {"type": "invalid_request_error", "message": message}}
    return Response(
        json.dumps(body),
        status,
        {"Content-Type": "application/json", "Request-Id": request_id},
    )


def make_wsgi_app(sandbox: Sandbox) -> Any:
    """A WSGI app answering Stripe API requests from the sandbox."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(pages.PREFIXES):
            response = pages.respond(sandbox, request)
        elif not request.path.startswith("/v1/"):
            response = _error(
                404, f"Unrecognized request URL ({request.method}: {request.path})."
            )
        elif (request.content_length or 0) > MAX_BODY:
            response = _error(413, "The request body is too large.")
        else:
            body = request.get_data(cache=False)[: MAX_BODY + 1]
            if len(body) > MAX_BODY:
                response = _error(413, "The request body is too large.")
            else:
                answer = sandbox.handle(
                    request.method.lower(),
                    request.path,
                    request.query_string.decode("latin-1"),
                    body.decode("utf-8", "replace"),
                    dict(request.headers),
                    public_url=request.host_url.rstrip("/") + request.script_root,
                )
                response = Response(answer.body, answer.status, answer.headers)
        return response(environ, start_response)

    return app
