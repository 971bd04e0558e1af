"""GET /demo/api/journey?email=…"""

from flask import jsonify, request

from . import bp
from .journey import find_user, journey


@bp.get("/api/journey")
def journey_api():
    """Return one signup's journey: the user, their Stripe customer, events."""
    email = request.args.get("email", "").strip()
    if not email:
        return jsonify(error="Pass the user's email: /demo/api/journey?email=…"), 400
    user = find_user(email)
    if user is None:
        return jsonify(error="No user with that email."), 404
    return jsonify(journey(user))
