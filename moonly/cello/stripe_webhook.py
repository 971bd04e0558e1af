"""The Stripe events Cello's own webhook endpoint listens to (Attribution with
Stripe)."""

CELLO_EVENTS = (
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.updated",
    "invoice.paid",
)
