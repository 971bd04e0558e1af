"""GET /cello/token: the signed-in user's token for the Referral component."""

from flask import abort, jsonify
from flask_login import current_user

from . import bp, component


@bp.get("/token")
def token():
    """Return a fresh Referral component token for the signed-in user."""
    if not component.enabled():
        abort(404)
    if not current_user.is_authenticated:
        return jsonify(error="Log in first."), 401
    return jsonify(token=component.user_token(current_user))
