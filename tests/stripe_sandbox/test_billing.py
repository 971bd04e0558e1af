"""The sandbox's billing: cards, subscriptions, invoices, charges, refunds, renewals."""

import time

import pytest
import stripe as stripe_sdk
from conftest import CELLO_EVENTS, advance, count
from conftest import recorded as _recorded
from test_api import declared_fields

COUPON = "moonly-new-user"


def assert_shape(obj, resource):
    returned = set(obj if isinstance(obj, dict) else obj.to_dict())
    fields, always = declared_fields(resource)
    assert returned <= fields, (resource.__name__, returned - fields)
    assert always <= returned, (resource.__name__, always - returned)


def price(stripe, key="moonly_starter_monthly"):
    return stripe.v1.prices.list(params={"lookup_keys": [key]}).data[0].id


def customer_with(stripe, card="pm_card_visa"):
    customer = stripe.v1.customers.create(params={"email": "sub@example.com"})
    pm = stripe.v1.payment_methods.attach(card, params={"customer": customer.id})
    return customer, pm


def subscribe(
    stripe, card="pm_card_visa", coupon=True, key="moonly_starter_monthly", **extra
):
    customer, pm = customer_with(stripe, card)
    params = {
        "customer": customer.id,
        "items": [{"price": price(stripe, key)}],
        "default_payment_method": pm.id,
        **extra,
    }
    if coupon:
        params["discounts"] = [{"coupon": COUPON}]
    return stripe.v1.subscriptions.create(params=params)


def test_every_new_object_has_the_sdks_shape(stripe, catalog):
    sub = subscribe(
        stripe,
        expand=["latest_invoice.payments", "discounts", "default_payment_method"],
    )
    assert_shape(sub, stripe_sdk.Subscription)
    assert_shape(sub["items"].data[0], stripe_sdk.SubscriptionItem)
    invoice = sub.latest_invoice
    payment = invoice.payments.data[0]
    assert_shape(payment, stripe_sdk.InvoicePayment)
    assert_shape(sub.discounts[0], stripe_sdk.Discount)
    assert_shape(sub.default_payment_method, stripe_sdk.PaymentMethod)
    plain_invoice = stripe.v1.invoices.retrieve(invoice.id)
    assert_shape(plain_invoice, stripe_sdk.Invoice)
    assert "payments" not in plain_invoice.to_dict()  # only when expanded, like Stripe
    assert_shape(invoice.lines.data[0], stripe_sdk.InvoiceLineItem)
    intent = stripe.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert_shape(intent, stripe_sdk.PaymentIntent)
    charge = stripe.v1.charges.retrieve(intent.latest_charge)
    assert_shape(charge, stripe_sdk.Charge)
    refund = stripe.v1.refunds.create(params={"charge": charge.id, "amount": 100})
    assert_shape(refund, stripe_sdk.Refund)
    preview = stripe.v1.invoices.create_preview(
        params={"customer": sub.customer, "subscription": sub.id}
    )
    assert_shape(preview, stripe_sdk.Invoice)
    assert_shape(stripe.v1.subscriptions.retrieve(sub.id), stripe_sdk.Subscription)


def test_first_invoice_carries_the_new_user_discount(stripe, catalog):
    sub = subscribe(stripe, expand=["latest_invoice"])
    invoice = sub.latest_invoice
    assert sub.status == "active"
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (1200, 960, 960)
    assert invoice.status == "paid" and invoice.billing_reason == "subscription_create"
    (discount_id,) = sub.discounts
    assert discount_id.startswith("di_")
    assert [d.to_dict() for d in invoice.total_discount_amounts] == [
        {"amount": 240, "discount": discount_id}
    ]
    assert invoice.discounts == [discount_id]
    line = invoice.lines.data[0]
    assert (line.amount, line.discount_amounts[0].amount) == (1200, 240)
    assert invoice.parent.subscription_details.subscription == sub.id
    item = sub["items"].data[0]
    assert line.period.start == item.current_period_start
    assert line.period.end == item.current_period_end
    assert item.price.lookup_key == "moonly_starter_monthly"
    discount = stripe.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["discounts"]}
    ).discounts[0]
    assert discount.source.coupon == COUPON and discount.source.type == "coupon"
    assert discount.subscription == sub.id and discount.customer == sub.customer
    # 3 months after the start, on the same day of the month.
    assert discount.end - discount.start in range(89 * 86400, 93 * 86400)


def test_without_a_discount_the_full_price_is_charged(stripe, catalog):
    sub = subscribe(stripe, coupon=False, expand=["latest_invoice.payments"])
    invoice = sub.latest_invoice
    assert (invoice.total, invoice.total_discount_amounts, sub.discounts) == (
        1200,
        [],
        [],
    )
    payment = invoice.payments.data[0]
    assert payment.payment.type == "payment_intent" and payment.status == "paid"
    again = stripe.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    assert [p.id for p in again.payments.data] == [payment.id]
    intent = stripe.v1.payment_intents.retrieve(payment.payment.payment_intent)
    charge = stripe.v1.charges.retrieve(intent.latest_charge)
    assert (intent.status, charge.status, charge.paid, charge.amount) == (
        "succeeded",
        "succeeded",
        True,
        1200,
    )
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.customer == sub.customer


def test_event_order_of_a_successful_subscription(sandbox, stripe, catalog):
    subscribe(stripe)
    types = [e.type for e in _recorded(stripe)]
    start = types.index("customer.subscription.created")
    assert types[: start + 1] == [
        "customer.created",
        "payment_method.attached",
        "customer.updated",  # the customer takes the subscription's currency
        "customer.subscription.created",
    ]
    assert types[start:] == [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    created, updated = _recorded(
        stripe, {"customer.subscription.created", "customer.subscription.updated"}
    )
    assert created.data["data"]["object"]["status"] == "incomplete"
    assert updated.data["data"]["previous_attributes"] == {"status": "incomplete"}


def test_renewals_keep_the_discount_for_three_months(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    totals = [stripe.v1.invoices.retrieve(sub.latest_invoice).total]
    period_end = sub["items"].data[0].current_period_end
    for _ in range(3):
        invoice = advance(stripe, sub.id)
        assert invoice["billing_reason"] == "subscription_cycle"
        assert invoice["status"] == "paid"
        assert invoice["created"] == period_end
        assert invoice["lines"]["data"][0]["period"]["start"] == period_end
        period_end = invoice["lines"]["data"][0]["period"]["end"]
        totals.append(invoice["total"])
    assert totals == [960, 960, 960, 1200]
    renewed = stripe.v1.subscriptions.retrieve(sub.id)
    assert renewed.status == "active" and renewed.discounts == []
    assert renewed["items"].data[0].current_period_end == period_end
    listed = stripe.v1.invoices.list(params={"subscription": sub.id}).data
    assert [i.total for i in listed] == [1200, 960, 960, 960]
    last_update = _recorded(stripe, {"customer.subscription.updated"})[-1].data
    assert last_update["created"] == listed[0].created
    previous = last_update["data"]["previous_attributes"]
    assert {"items", "latest_invoice", "discounts"} <= set(previous)
    assert previous["latest_invoice"] == listed[1].id
    types = [e.type for e in _recorded(stripe)]
    assert types[-8:] == [
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]


@pytest.mark.parametrize(
    ("card", "code", "decline_code", "message"),
    [
        (
            "pm_card_chargeDeclined",
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        ),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "expired_card",
            "expired_card",
            "Your card has expired.",
        ),
    ],
)
def test_declined_cards_cannot_be_attached(
    sandbox, stripe, card, code, decline_code, message
):
    customer = stripe.v1.customers.create(params={"email": "d@example.com"})
    with pytest.raises(stripe_sdk.CardError) as caught:
        stripe.v1.payment_methods.attach(card, params={"customer": customer.id})
    error = caught.value
    assert error.http_status == 402
    assert (error.code, error.error.decline_code, error.user_message) == (
        code,
        decline_code,
        message,
    )
    assert error.error.type == "card_error"
    assert count(sandbox, "payment_method") == 0
    assert [e.type for e in _recorded(stripe)] == ["customer.created"]


def test_test_ids_make_new_payment_methods(sandbox, stripe):
    customer = stripe.v1.customers.create(params={"email": "pm@example.com"})
    pm = stripe.v1.payment_methods.attach(
        "pm_card_mastercard", params={"customer": customer.id}
    )
    assert pm.id.startswith("pm_") and pm.id != "pm_card_mastercard"
    assert (pm.type, pm.card.brand, pm.card.last4, pm.customer) == (
        "card",
        "mastercard",
        "4444",
        customer.id,
    )
    assert stripe.v1.payment_methods.retrieve(pm.id).id == pm.id
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.payment_methods.attach(
            "pm_card_nope", params={"customer": customer.id}
        )
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")
    detached = stripe.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    assert [e.type for e in _recorded(stripe)][-2:] == [
        "payment_method.attached",
        "payment_method.detached",
    ]


def _nothing_persisted_since(sandbox, stripe, attach_events):
    for kind in ("subscription", "invoice", "charge", "payment_intent", "discount"):
        assert count(sandbox, kind) == 0, kind
    assert [e.type for e in _recorded(stripe)] == attach_events


def test_decline_with_error_if_incomplete_leaves_nothing(sandbox, stripe, catalog):
    with pytest.raises(stripe_sdk.CardError) as caught:
        subscribe(
            stripe,
            card="pm_card_chargeCustomerFail",
            payment_behavior="error_if_incomplete",
        )
    error = caught.value
    assert (error.http_status, error.code, error.error.decline_code) == (
        402,
        "card_declined",
        "generic_decline",
    )
    _nothing_persisted_since(
        sandbox, stripe, ["customer.created", "payment_method.attached"]
    )
    assert stripe.v1.coupons.retrieve(COUPON).times_redeemed == 0


def test_3ds_with_error_if_incomplete_leaves_nothing(sandbox, stripe, catalog):
    with pytest.raises(stripe_sdk.CardError) as caught:
        subscribe(
            stripe,
            card="pm_card_authenticationRequired",
            payment_behavior="error_if_incomplete",
        )
    error = caught.value
    assert error.http_status == 402 and error.error.type == "card_error"
    assert error.code == "subscription_payment_intent_requires_action"
    assert error.user_message.startswith(
        "Payment for this subscription requires additional"
    )
    assert error.user_message.endswith(
        "/billing/subscriptions/overview#requires-action"
    )
    _nothing_persisted_since(
        sandbox, stripe, ["customer.created", "payment_method.attached"]
    )


def test_decline_with_allow_incomplete_leaves_an_incomplete_subscription(
    sandbox, stripe, catalog
):
    sub = subscribe(
        stripe, card="pm_card_chargeCustomerFail", expand=["latest_invoice.payments"]
    )
    assert sub.status == "incomplete"
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == (
        "open",
        0,
        960,
    )
    intent = stripe.v1.payment_intents.retrieve(
        invoice.payments.data[0].payment.payment_intent
    )
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == "generic_decline"
    charge = stripe.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.failure_code) == (
        "failed",
        False,
        "card_declined",
    )
    types = [e.type for e in _recorded(stripe)]
    assert {"charge.failed", "invoice.payment_failed"} <= set(types)
    assert "invoice.paid" not in types and "customer.subscription.updated" not in types


def test_3ds_with_default_incomplete_waits_for_the_customer(sandbox, stripe, catalog):
    sub = subscribe(
        stripe,
        card="pm_card_authenticationRequired",
        payment_behavior="allow_incomplete",
        expand=["latest_invoice.payments"],
    )
    assert sub.status == "incomplete" and sub.latest_invoice.status == "open"
    intent_id = sub.latest_invoice.payments.data[0].payment.payment_intent
    intent = stripe.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "requires_action" and intent.latest_charge is None
    assert count(sandbox, "charge") == 0
    quiet = subscribe(stripe, payment_behavior="default_incomplete")
    assert quiet.status == "incomplete"
    assert stripe.v1.invoices.retrieve(quiet.latest_invoice).status == "open"


def test_a_free_first_invoice_is_paid_without_a_charge(sandbox, stripe, catalog):
    stripe.v1.coupons.create(
        params={"id": "free", "percent_off": 100, "duration": "once"}
    )
    customer, pm = customer_with(stripe)
    sub = stripe.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price(stripe)}],
            "discounts": [{"coupon": "free"}],
            "default_payment_method": pm.id,
            "expand": ["latest_invoice"],
        }
    )
    assert (sub.status, sub.latest_invoice.status, sub.latest_invoice.total) == (
        "active",
        "paid",
        0,
    )
    assert count(sandbox, "charge") == 0 and count(sandbox, "payment_intent") == 0
    # A `once` coupon is over after the first invoice.
    assert advance(stripe, sub.id)["total"] == 1200


def test_the_customers_default_card_is_used_and_one_is_required(
    sandbox, stripe, catalog
):
    customer, pm = customer_with(stripe)
    params = {"customer": customer.id, "items": [{"price": price(stripe)}]}
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(params=params)
    assert caught.value.user_message.startswith(
        "This customer has no attached payment source or default payment method."
    )
    stripe.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    sub = stripe.v1.subscriptions.create(params=params)
    assert (sub.status, sub.default_payment_method) == ("active", None)
    (charge,) = stripe.v1.charges.list(params={"customer": customer.id}).data
    assert charge.payment_method == pm.id
    other, _ = customer_with(stripe)
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(
            params={**params, "default_payment_method": pm.id, "customer": other.id}
        )
    assert caught.value.param == "default_payment_method"


def test_a_replayed_create_returns_the_same_subscription(sandbox, stripe, catalog):
    customer, pm = customer_with(stripe)
    params = {
        "customer": customer.id,
        "items": [{"price": price(stripe)}],
        "default_payment_method": pm.id,
        "discounts": [{"coupon": COUPON}],
    }
    first = stripe.v1.subscriptions.create(
        params=params, options={"idempotency_key": "sub-1"}
    )
    made = len(_recorded(stripe))
    again = stripe.v1.subscriptions.create(
        params=params, options={"idempotency_key": "sub-1"}
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert (
        count(sandbox, "subscription"),
        count(sandbox, "invoice"),
        count(sandbox, "charge"),
    ) == (1, 1, 1)
    assert len(_recorded(stripe)) == made


def test_a_failed_create_replays_its_402(sandbox, stripe, catalog):
    customer, pm = customer_with(stripe, "pm_card_chargeCustomerFail")
    params = {
        "customer": customer.id,
        "items": [{"price": price(stripe)}],
        "default_payment_method": pm.id,
        "payment_behavior": "error_if_incomplete",
    }
    for _ in range(2):
        with pytest.raises(stripe_sdk.CardError) as caught:
            stripe.v1.subscriptions.create(
                params=params, options={"idempotency_key": "sub-402"}
            )
    assert caught.value.headers["Idempotent-Replayed"] == "true"
    assert count(sandbox, "subscription") == 0


def test_cancel_at_period_end_then_advance_ends_it(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    updated = stripe.v1.subscriptions.update(
        sub.id, params={"cancel_at_period_end": True}
    )
    end = sub["items"].data[0].current_period_end
    assert (updated.cancel_at_period_end, updated.cancel_at, updated.status) == (
        True,
        end,
        "active",
    )
    change = _recorded(stripe, {"customer.subscription.updated"})[-1].data["data"]
    assert change["previous_attributes"]["cancel_at_period_end"] is False
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.invoices.create_preview(
            params={"customer": sub.customer, "subscription": sub.id}
        )
    assert caught.value.code == "invoice_upcoming_none"
    assert (
        caught.value.user_message
        == f"No upcoming invoices for customer: {sub.customer}"
    )
    ended = advance(stripe, sub.id)
    assert (ended["object"], ended["status"], ended["ended_at"]) == (
        "subscription",
        "canceled",
        end,
    )
    deleted = _recorded(stripe, {"customer.subscription.deleted"})
    assert [e.data["data"]["object"]["id"] for e in deleted] == [sub.id]
    assert count(sandbox, "invoice") == 1
    with pytest.raises(stripe_sdk.InvalidRequestError):
        advance(stripe, sub.id)


def test_delete_cancels_now(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    canceled = stripe.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled" and canceled.canceled_at and canceled.ended_at
    (event,) = _recorded(stripe, {"customer.subscription.deleted"})
    assert event.data["data"]["object"]["status"] == "canceled"
    assert stripe.v1.subscriptions.list(params={"customer": sub.customer}).data == []
    assert [
        s.id for s in stripe.v1.subscriptions.list(params={"status": "canceled"}).data
    ] == [sub.id]


def test_refunds_in_part_and_in_full(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    (charge,) = stripe.v1.charges.list(params={"customer": sub.customer}).data
    part = stripe.v1.refunds.create(
        params={"charge": charge.id, "amount": 200, "reason": "requested_by_customer"}
    )
    assert (part.amount, part.status, part.charge) == (200, "succeeded", charge.id)
    after = stripe.v1.charges.retrieve(charge.id)
    assert (after.amount_refunded, after.refunded) == (200, False)
    rest = stripe.v1.refunds.create(params={"payment_intent": charge.payment_intent})
    assert rest.amount == 1000
    after = stripe.v1.charges.retrieve(charge.id)
    assert (after.amount_refunded, after.refunded) == (1200, True)
    assert "refunds" not in after.to_dict()  # included only when expanded
    after = stripe.v1.charges.retrieve(charge.id, params={"expand": ["refunds"]})
    assert [r.id for r in after.refunds.data] == [rest.id, part.id]
    assert stripe.v1.refunds.retrieve(part.id).amount == 200
    refunded = _recorded(stripe, {"charge.refunded"})
    assert [e.data["data"]["object"]["amount_refunded"] for e in refunded] == [
        200,
        1200,
    ]
    assert refunded[0].data["data"]["previous_attributes"]["amount_refunded"] == 0
    assert len(_recorded(stripe, {"refund.created"})) == 2
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.refunds.create(params={"charge": charge.id})
    assert caught.value.code == "charge_already_refunded"


def test_charge_update_sends_charge_updated(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    (charge,) = stripe.v1.charges.list(params={"customer": sub.customer}).data
    updated = stripe.v1.charges.update(
        charge.id, params={"description": "Moonly Starter", "metadata": {"k": "v"}}
    )
    assert updated.description == "Moonly Starter" and updated.metadata.to_dict() == {
        "k": "v"
    }
    (event,) = _recorded(stripe, {"charge.updated"})
    assert (
        event.data["data"]["previous_attributes"]["description"]
        == "Subscription creation"
    )


def test_preview_before_and_after_the_discount_ends(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    invoices_before = count(sandbox, "invoice")
    totals = []
    for _ in range(4):
        preview = stripe.v1.invoices.create_preview(
            params={"customer": sub.customer, "subscription": sub.id}
        )
        assert (
            preview.id.startswith("upcoming_in")
            and preview.billing_reason == "upcoming"
        )
        totals.append(preview.total)
        invoice = advance(stripe, sub.id)
        assert invoice["total"] == preview.total
        assert (
            invoice["lines"]["data"][0]["period"]
            == preview.lines.data[0].period.to_dict()
        )
    assert totals == [960, 960, 1200, 1200]
    assert count(sandbox, "invoice") == invoices_before + 4  # previews are not stored


def test_a_failed_renewal_makes_the_subscription_past_due(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    failing = stripe.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": sub.customer}
    )
    stripe.v1.subscriptions.update(
        sub.id, params={"default_payment_method": failing.id}
    )
    invoice = advance(stripe, sub.id)
    assert (
        invoice["status"],
        invoice["attempt_count"],
        invoice["amount_remaining"],
    ) == ("open", 1, 960)
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "past_due"
    types = [e.type for e in _recorded(stripe)]
    assert types[-3:] == [
        "charge.failed",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    previous = _recorded(stripe, {"customer.subscription.updated"})[-1].data["data"][
        "previous_attributes"
    ]
    assert previous["status"] == "active"


def test_list_filters(sandbox, stripe, catalog):
    one = subscribe(stripe)
    two = subscribe(stripe, coupon=False, key="moonly_pro_monthly")
    stripe.v1.subscriptions.cancel(two.id)
    listed = stripe.v1.subscriptions.list(params={"customer": one.customer}).data
    assert [s.id for s in listed] == [one.id]
    everything = stripe.v1.subscriptions.list(params={"status": "all"}).data
    assert [s.id for s in everything] == [two.id, one.id]
    assert [
        s.id for s in stripe.v1.subscriptions.list(params={"status": "active"}).data
    ] == [one.id]
    by_sub = stripe.v1.invoices.list(params={"subscription": two.id}).data
    assert [i.total for i in by_sub] == [2900]
    assert len(stripe.v1.invoices.list(params={"status": "paid"}).data) == 2
    assert stripe.v1.invoices.list(params={"status": "open"}).data == []
    assert len(stripe.v1.invoices.list(params={"customer": one.customer}).data) == 1
    charges = stripe.v1.charges.list(params={"customer": two.customer}).data
    assert [c.amount for c in charges] == [2900]
    cards = stripe.v1.payment_methods.list(
        params={"customer": one.customer, "type": "card"}
    ).data
    assert [c.id for c in cards] == [one.default_payment_method]
    own = stripe.v1.customers.payment_methods.list(one.customer).data
    assert [c.id for c in own] == [one.default_payment_method]


def test_parameters_this_version_removed_or_the_sandbox_lacks_are_refused(
    sandbox, stripe, catalog
):
    customer, pm = customer_with(stripe)
    base = {
        "customer": customer.id,
        "items": [{"price": price(stripe)}],
        "default_payment_method": pm.id,
    }
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(params={**base, "coupon": COUPON})  # type: ignore[typeddict-unknown-key]
    assert (caught.value.code, caught.value.param) == ("parameter_unknown", "coupon")
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(
            params={**base, "add_invoice_items": [{"price": "price_x"}]}
        )
    assert caught.value.code == "sandbox_unsupported_parameter"
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(params={**base, "expand": ["status"]})
    assert (caught.value.param, caught.value.user_message) == (
        "expand",
        "This property cannot be expanded (status).",
    )
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(
            params={**base, "discounts": [{"coupon": "nope"}]}
        )
    assert (caught.value.http_status, caught.value.param) == (
        400,
        "discounts[0][coupon]",
    )
    assert count(sandbox, "subscription") == 0


def test_every_event_cello_needs_is_produced(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    (charge,) = stripe.v1.charges.list(params={"customer": sub.customer}).data
    stripe.v1.charges.update(charge.id, params={"metadata": {"order": "1"}})
    stripe.v1.refunds.create(params={"charge": charge.id})
    stripe.v1.subscriptions.update(sub.id, params={"metadata": {"plan": "starter"}})
    stripe.v1.subscriptions.cancel(sub.id)
    stripe.v1.customers.update(sub.customer, params={"name": "Ana"})
    stripe.v1.customers.delete(sub.customer)
    assert set(CELLO_EVENTS) <= {e.type for e in _recorded(stripe)}
    for event in _recorded(stripe, CELLO_EVENTS):
        assert event.data["data"]["object"]["object"] in (
            "charge",
            "customer",
            "subscription",
            "invoice",
        )


def test_after_a_renewal_the_subscription_runs_on_its_own_clock(
    sandbox, stripe, catalog
):
    stripe.v1.webhook_endpoints.create(
        params={"url": "https://hooks.example/stripe", "enabled_events": ["*"]}
    )
    sub = subscribe(stripe)
    invoice = advance(stripe, sub.id)
    assert invoice["created"] > time.time() + 27 * 86400
    canceled = stripe.v1.subscriptions.cancel(sub.id)
    assert canceled.canceled_at >= invoice["created"]
    (deleted,) = _recorded(stripe, {"customer.subscription.deleted"})
    assert deleted.data["created"] >= invoice["created"]
    # The events are still due now: delivery runs on the real clock.
    report = sandbox.deliver_due(lambda url, body, headers: 200)
    assert report.delivered == len(_recorded(stripe)) and report.failed == 0
    # Other objects keep the real clock.
    assert stripe.v1.customers.create().created <= time.time()


def test_deleting_a_customer_cancels_its_subscriptions_first(sandbox, stripe, catalog):
    sub = subscribe(stripe)
    stripe.v1.customers.delete(sub.customer)
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "canceled"
    types = [e.type for e in _recorded(stripe)]
    assert types[-2:] == ["customer.subscription.deleted", "customer.deleted"]
