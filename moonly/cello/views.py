"""GET /cello/token: the signed-in user's token for the Referral component."""

from flask import abort, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..extensions import limiter
from . import bp, component


def _user_key() -> str:
    user = current_user
    return "token:" + (user.public_id if user.is_authenticated else "anonymous")


@bp.get("/token")
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN"], key_func=_user_key)
def token() -> ResponseReturnValue:
    """Return a fresh Referral component token for the signed-in user."""
    if not component.enabled():
        abort(404)
    if not current_user.is_authenticated:
        return jsonify(error="Log in first."), 401
    return jsonify(token=component.user_token(current_user))
