"""POST /webhooks/stripe: the one route without CSRF; the signature protects it."""

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from ..extensions import csrf
from . import bp
from .receiver import WebhookRejected, receive


def _too_large(limit: int) -> ResponseReturnValue:
    return jsonify(error=f"The body is larger than {limit} bytes."), 413


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook() -> ResponseReturnValue:
    """Receive a Stripe event: verified, stored and processed once, acknowledged."""
    limit = current_app.config["WEBHOOK_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)  # refused from the header, before reading anything
    # Without Content-Length (chunked), read at most one byte past the limit.
    request.max_content_length = limit + 1
    payload = request.get_data(cache=False)
    if len(payload) > limit:
        return _too_large(limit)
    try:
        receipt = receive(payload, request.headers.get("Stripe-Signature"))
    except WebhookRejected as rejected:
        return jsonify(error=rejected.message), rejected.status
    return jsonify(received=True, id=receipt.event_id, duplicate=receipt.duplicate)
