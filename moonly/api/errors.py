"""The API's errors: `{"error": {"code", "message", "field"?}}` with the HTTP status."""

from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.exceptions import MethodNotAllowed

from . import bp


class ApiError(Exception):
    """Refuse the request with this status and a JSON error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, field: str | None = None
) -> Response:
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    response = jsonify(error=error)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> Response:
    response = error_response(error.status, error.code, error.message, error.field)
    response.headers.update(error.headers)
    return response


# What the app's own error handlers answer under /api/ (unknown routes, 405, 413,
# 429, a database that refused a commit, anything unexpected).
HTTP_ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Send a valid token: Authorization: Bearer <token>."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not_found", "There is no such API endpoint."),
    405: ("method_not_allowed", "This endpoint does not accept that method."),
    413: ("too_large", "The request body is larger than Moonly accepts."),
    429: ("rate_limited", "Too many requests. Wait Retry-After seconds, then retry."),
    500: ("internal_error", "Something went wrong; nothing was charged. Try again."),
    503: (
        "unavailable",
        "Moonly could not save that just now, so nothing was changed. Try again.",
    ),
}


def http_error(status: int, message: str | None = None) -> Response:
    """The JSON answer for an HTTP error under /api/."""
    code, default = HTTP_ERRORS.get(status, ("error", "The request failed."))
    response = error_response(status, code, message or default)
    routing = request.routing_exception
    if status == 405 and isinstance(routing, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(sorted(routing.valid_methods or ()))
    return response
