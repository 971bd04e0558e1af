"""Lists Stripe has: refunds, invoice payments, PaymentIntents and `created` filters."""

import pytest
import stripe as stripe_sdk
from conftest import advance, recorded
from test_billing import subscribe


def ids(page):
    return [o.id for o in page.data]


def test_refunds_list_by_charge_and_payment_intent(stripe, catalog):
    one = subscribe(stripe, coupon=False)
    two = subscribe(stripe, coupon=False)
    (charge_one,) = stripe.v1.charges.list(params={"customer": one.customer}).data
    (charge_two,) = stripe.v1.charges.list(params={"customer": two.customer}).data
    first = stripe.v1.refunds.create(params={"charge": charge_one.id, "amount": 100})
    second = stripe.v1.refunds.create(params={"charge": charge_two.id, "amount": 200})
    third = stripe.v1.refunds.create(params={"charge": charge_one.id, "amount": 300})
    everything = stripe.v1.refunds.list()
    assert everything.url == "/v1/refunds"
    assert ids(everything) == [third.id, second.id, first.id]
    assert ids(stripe.v1.refunds.list(params={"charge": charge_one.id})) == [
        third.id,
        first.id,
    ]
    by_intent = stripe.v1.refunds.list(
        params={"payment_intent": charge_two.payment_intent}
    )
    assert ids(by_intent) == [second.id]
    page = stripe.v1.refunds.list(params={"limit": 2})
    assert page.has_more is True
    rest = stripe.v1.refunds.list(params={"starting_after": page.data[-1].id})
    assert ids(rest) == [first.id]
    expanded = stripe.v1.refunds.list(params={"expand": ["data.charge"]})
    assert expanded.data[0].charge.id == charge_one.id


def test_invoice_payments_list(stripe, catalog):
    good = subscribe(stripe)
    bad = subscribe(stripe, card="pm_card_chargeCustomerFail")
    everything = stripe.v1.invoice_payments.list()
    assert everything.url == "/v1/invoice_payments"
    assert [p.invoice for p in everything.data] == [
        bad.latest_invoice,
        good.latest_invoice,
    ]
    paid = stripe.v1.invoice_payments.list(params={"status": "paid"}).data
    assert [p.invoice for p in paid] == [good.latest_invoice]
    by_invoice = stripe.v1.invoice_payments.list(
        params={"invoice": bad.latest_invoice}
    ).data
    assert [p.status for p in by_invoice] == ["open"]
    intent = paid[0].payment.payment_intent
    by_payment = stripe.v1.invoice_payments.list(
        params={"payment": {"type": "payment_intent", "payment_intent": intent}}
    ).data
    assert [p.id for p in by_payment] == [paid[0].id]
    expanded = stripe.v1.invoice_payments.list(
        params={
            "invoice": good.latest_invoice,
            "expand": ["data.payment.payment_intent"],
        }
    )
    assert expanded.data[0].payment.payment_intent.status == "succeeded"


def test_payment_intents_list_by_customer_and_created(stripe, catalog):
    one = subscribe(stripe)
    two = subscribe(stripe)
    all_intents = stripe.v1.payment_intents.list()
    assert all_intents.url == "/v1/payment_intents"
    assert len(all_intents.data) == 2
    (mine,) = stripe.v1.payment_intents.list(params={"customer": one.customer}).data
    assert mine.customer == one.customer and mine.amount == 960
    renewal = advance(stripe, two.id)
    renewed = renewal["created"]
    later = stripe.v1.payment_intents.list(params={"created": {"gte": renewed}})
    assert [i.customer for i in later.data] == [two.customer]
    earlier = stripe.v1.payment_intents.list(params={"created": {"lt": renewed}})
    assert len(earlier.data) == 2
    exact = stripe.v1.payment_intents.list(params={"created": renewed})
    assert ids(exact) == ids(later)


def test_created_filters_on_every_list_stripe_has_them(stripe, catalog):
    sub = subscribe(stripe)
    renewal = advance(stripe, sub.id)
    at = renewal["created"]
    assert [i.id for i in stripe.v1.invoices.list(params={"created": at}).data] == [
        renewal["id"]
    ]
    assert len(stripe.v1.charges.list(params={"created": {"gt": at - 1}}).data) == 1
    assert stripe.v1.subscriptions.list(params={"created": {"gt": at}}).data == []
    now = stripe.v1.customers.retrieve(sub.customer).created
    assert stripe.v1.customers.list(params={"created": {"gt": now}}).data == []
    assert ids(stripe.v1.customers.list(params={"created": {"lte": now}})) == [
        sub.customer
    ]
    for lister in (
        stripe.v1.products.list,
        stripe.v1.prices.list,
        stripe.v1.coupons.list,
    ):
        assert lister(params={"created": {"gt": now + 60}}).data == []
        assert lister(params={"created": {"gte": now - 60}}).data


def test_catalog_list_filters(stripe, catalog):
    products = stripe.v1.products.list().data
    picked = stripe.v1.products.list(params={"ids": [products[0].id]})
    assert ids(picked) == [products[0].id]
    assert len(stripe.v1.prices.list(params={"currency": "usd"}).data) == 4
    assert stripe.v1.prices.list(params={"currency": "eur"}).data == []
    assert stripe.v1.prices.list(params={"type": "one_time"}).data == []


def test_list_filters_the_sandbox_lacks_are_refused(stripe):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.customers.list(params={"test_clock": "clock_1"})
    assert caught.value.code == "sandbox_unsupported_parameter"
    assert caught.value.param == "test_clock"


def test_invoice_payment_refund_and_intent_updates(stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    (payment,) = stripe.v1.invoice_payments.list().data
    assert stripe.v1.invoice_payments.retrieve(payment.id).id == payment.id
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.invoice_payments.retrieve("inpay_missing")
    assert caught.value.http_status == 404
    intent = stripe.v1.payment_intents.update(
        payment.payment.payment_intent,
        params={"description": "Moonly Starter", "metadata": {"order": "7"}},
    )
    assert (intent.description, intent.metadata.to_dict()) == (
        "Moonly Starter",
        {"order": "7"},
    )
    (charge,) = stripe.v1.charges.list(params={"customer": sub.customer}).data
    refund = stripe.v1.refunds.create(params={"charge": charge.id})
    updated = stripe.v1.refunds.update(refund.id, params={"metadata": {"why": "x"}})
    assert updated.metadata.to_dict() == {"why": "x"}
    (event,) = recorded(stripe, {"refund.updated"})
    assert event.data["data"]["previous_attributes"] == {"metadata": {"why": None}}
