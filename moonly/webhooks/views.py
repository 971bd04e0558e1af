"""POST /webhooks/stripe: the one route without CSRF; the signature protects it."""

from flask import jsonify, request

from ..extensions import csrf
from . import bp
from .receiver import WebhookRejected, receive


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    """Receive a Stripe event: verified, stored and processed once, acknowledged."""
    try:
        receipt = receive(request.get_data(), request.headers.get("Stripe-Signature"))
    except WebhookRejected as rejected:
        return jsonify(error=rejected.message), rejected.status
    return jsonify(received=True, id=receipt.event_id, duplicate=receipt.duplicate)
