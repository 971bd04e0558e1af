"""Routes of payment methods, subscriptions, invoices, charges and refunds.

Each is (method, path, the SDK's params class, handler, implemented parameters); api.py
turns them into routes beside the catalog's.
"""

from __future__ import annotations

from stripe import params as sp

from . import (
    charges,
    invoice_api,
    invoice_payments,
    payment_intent_api,
    payment_methods,
    setup_intents,
    subscriptions,
)
from .routing import PAGING, RouteSpec

BILLING_ROUTES: list[RouteSpec] = [
    (
        "post",
        "/v1/payment_methods/{id}/attach",
        sp.PaymentMethodAttachParams,
        payment_methods.attach,
        "customer",
    ),
    (
        "post",
        "/v1/payment_methods/{id}/detach",
        sp.PaymentMethodDetachParams,
        payment_methods.detach,
        "",
    ),
    (
        "get",
        "/v1/payment_methods/{id}",
        sp.PaymentMethodRetrieveParams,
        payment_methods.retrieve,
        "",
    ),
    (
        "get",
        "/v1/payment_methods",
        sp.PaymentMethodListParams,
        payment_methods.list_payment_methods,
        PAGING + " customer type",
    ),
    (
        "get",
        "/v1/customers/{id}/payment_methods",
        sp.CustomerPaymentMethodListParams,
        payment_methods.list_customer_payment_methods,
        PAGING + " type",
    ),
    (
        "post",
        "/v1/subscriptions",
        sp.SubscriptionCreateParams,
        subscriptions.create_subscription,
        "customer items default_payment_method metadata discounts payment_behavior "
        "expand cancel_at_period_end cancel_at payment_settings trial_period_days "
        "trial_end trial_settings",
    ),
    (
        "get",
        "/v1/subscriptions",
        sp.SubscriptionListParams,
        subscriptions.list_subscriptions,
        PAGING + " customer status created",
    ),
    (
        "get",
        "/v1/subscriptions/{id}",
        sp.SubscriptionRetrieveParams,
        subscriptions.retrieve_subscription,
        "expand",
    ),
    (
        "post",
        "/v1/subscriptions/{id}",
        sp.SubscriptionUpdateParams,
        subscriptions.update_subscription,
        "cancel_at_period_end metadata default_payment_method expand cancel_at items "
        "proration_behavior proration_date payment_behavior payment_settings "
        "trial_end trial_settings",
    ),
    (
        "delete",
        "/v1/subscriptions/{id}",
        sp.SubscriptionCancelParams,
        subscriptions.cancel_subscription,
        "invoice_now prorate cancellation_details expand",
    ),
    (
        "post",
        "/v1/invoices/create_preview",
        sp.InvoiceCreatePreviewParams,
        invoice_api.create_preview,
        "customer subscription subscription_details",
    ),
    (
        "get",
        "/v1/invoices",
        sp.InvoiceListParams,
        invoice_api.list_invoices,
        PAGING + " customer subscription status created",
    ),
    (
        "get",
        "/v1/invoices/{id}",
        sp.InvoiceRetrieveParams,
        invoice_api.retrieve_invoice,
        "expand",
    ),
    (
        "post",
        "/v1/invoices/{id}/pay",
        sp.InvoicePayParams,
        invoice_payments.pay_invoice,
        "payment_method",
    ),
    (
        "get",
        "/v1/charges",
        sp.ChargeListParams,
        charges.list_charges,
        PAGING + " customer payment_intent created",
    ),
    ("get", "/v1/charges/{id}", sp.ChargeRetrieveParams, charges.retrieve_charge, ""),
    (
        "post",
        "/v1/charges/{id}",
        sp.ChargeUpdateParams,
        charges.update_charge,
        "description metadata",
    ),
    (
        "post",
        "/v1/refunds",
        sp.RefundCreateParams,
        charges.create_refund,
        "charge payment_intent amount reason metadata",
    ),
    ("get", "/v1/refunds/{id}", sp.RefundRetrieveParams, charges.retrieve_refund, ""),
    (
        "post",
        "/v1/refunds/{id}",
        sp.RefundUpdateParams,
        charges.update_refund,
        "metadata",
    ),
    (
        "get",
        "/v1/payment_intents/{id}",
        sp.PaymentIntentRetrieveParams,
        charges.retrieve_payment_intent,
        "client_secret",
    ),
    (
        "post",
        "/v1/payment_intents/{id}",
        sp.PaymentIntentUpdateParams,
        charges.update_payment_intent,
        "description metadata",
    ),
    (
        "post",
        "/v1/payment_intents/{id}/confirm",
        sp.PaymentIntentConfirmParams,
        payment_intent_api.confirm_payment_intent,
        "payment_method return_url setup_future_usage",
    ),
    *setup_intents.SETUP_INTENT_ROUTES,
]
