"""The API's rate limits: the pages' policy (`moonly.accounts.limits`), counted with
the pages'. The app has no device cookie, so the account-wide limit on failed logins
applies to every app login; a token the app already holds keeps working meanwhile."""

from __future__ import annotations

from typing import Protocol, TypeVar

from flask import Response
from flask.typing import RouteCallable
from flask_limiter import RouteLimit
from werkzeug.exceptions import HTTPException

from ..accounts import limits as policy
from ..accounts.service import normalize_email
from ..extensions import limiter
from . import inputs, tokens
from .errors import ApiError

View = TypeVar("View", bound=RouteCallable)


class ViewDecorator(Protocol):
    """The login limits: the view comes back as it was, limited."""

    def __call__(self, view: View, /) -> View: ...


def login_email() -> str:
    try:
        value = inputs.json_object().get("email")
    except (ApiError, HTTPException):  # the view answers for the body
        return ""
    if not isinstance(value, str) or not inputs.storable(value):
        return ""
    return normalize_email(value)[:254]


def _failed(response: Response) -> bool:
    return response.status_code != 200


def _token_user() -> str:
    row = tokens.current()
    return "api-cello-token:" + (row.user.public_id if row else "anonymous")


ACCOUNT_MESSAGE = (
    "Too many failed logins for this account. Wait an hour and try again; "
    "an app already logged in stays logged in."
)

login: ViewDecorator = policy.login_limits(
    email=login_email,
    failed=_failed,
    known_client=None,
    account_message=ACCOUNT_MESSAGE,
)
signup: RouteLimit = policy.signup_per_address
cello_token: RouteLimit = limiter.limit(
    policy.setting("RATELIMIT_TOKEN"), key_func=_token_user
)
