"""The mobile app's JSON API (`/api/v1`): signups, sessions by bearer token, the user,
and the Referral component's token. No cookies, so no CSRF token either."""

from flask import Blueprint

from ..extensions import csrf

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # bearer tokens, never cookies: a page elsewhere cannot make one up

from . import errors, views  # noqa: E402, F401 - routes and handlers on the blueprint
