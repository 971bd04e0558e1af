"""Trials: `trial_period_days`, `trial_end`, the $0 first invoice, trial_will_end three
days before the end, the first paid invoice (with the discount still running), what a
trial without a payment method ends in, and ending a trial early."""

import pytest
import stripe as stripe_sdk
from conftest import advance, advance_by, count, recorded
from test_billing import COUPON, customer_with, price

DAY = 86_400


def trialing(stripe, card="pm_card_visa", coupon=True, **extra):
    if card is None:
        customer, pm = stripe.v1.customers.create(), None
    else:
        customer, pm = customer_with(stripe, card)
    params = {
        "customer": customer.id,
        "items": [{"price": price(stripe)}],
        "trial_period_days": 14,
        "expand": ["latest_invoice"],
        **extra,
    }
    if pm is not None:
        params["default_payment_method"] = pm.id
    if coupon:
        params["discounts"] = [{"coupon": COUPON}]
    return stripe.v1.subscriptions.create(params=params)


def test_a_trial_starts_with_a_free_invoice_and_no_charge(sandbox, stripe, catalog):
    sub = trialing(stripe)
    assert sub.status == "trialing"
    assert (sub.trial_start, sub.trial_end) == (sub.created, sub.created + 14 * DAY)
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (
        sub.created,
        sub.trial_end,
    )
    assert sub.billing_cycle_anchor == sub.trial_end
    assert sub.trial_settings.end_behavior.missing_payment_method == "create_invoice"
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.total, invoice.amount_paid) == ("paid", 0, 0)
    assert invoice.billing_reason == "subscription_create"
    (line,) = invoice.lines.data
    assert (line.amount, line.description) == (0, "Trial period for Starter")
    assert (line.period.start, line.period.end) == (sub.created, sub.trial_end)
    assert count(sandbox, "payment_intent") == 0 and count(sandbox, "charge") == 0
    assert [e.type for e in recorded(stripe)] == [
        "customer.created",
        "payment_method.attached",
        "customer.updated",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    created = recorded(stripe, {"customer.subscription.created"})[0]
    assert created.data["data"]["object"]["status"] == "trialing"


def test_trial_will_end_three_days_before_then_the_first_paid_invoice(
    sandbox, stripe, catalog
):
    sub = trialing(stripe)
    # A minute either side: real time runs on between requests.
    advance_by(stripe, sub.id, 11 * DAY - 60)
    assert recorded(stripe, {"customer.subscription.trial_will_end"}) == []
    advance_by(stripe, sub.id, 120)
    (warning,) = recorded(stripe, {"customer.subscription.trial_will_end"})
    assert warning.data["created"] == sub.trial_end - 3 * DAY
    assert warning.data["data"]["object"]["status"] == "trialing"
    before = len(recorded(stripe))

    invoice = advance(stripe, sub.id)

    assert invoice["billing_reason"] == "subscription_cycle"
    assert (invoice["status"], invoice["subtotal"], invoice["total"]) == (
        "paid",
        1200,
        960,
    )
    assert invoice["created"] == sub.trial_end
    line = invoice["lines"]["data"][0]
    assert line["period"]["start"] == sub.trial_end
    after = stripe.v1.subscriptions.retrieve(sub.id)
    assert after.status == "active"
    assert after["items"].data[0].current_period_start == sub.trial_end
    assert after["items"].data[0].current_period_end == line["period"]["end"]
    events = recorded(stripe)[before:]
    assert [e.type for e in events] == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    previous = events[0].data["data"]["previous_attributes"]
    assert previous["status"] == "trialing"
    assert {"items", "latest_invoice"} <= set(previous)
    # The 3 months of the coupon count from the discount's start, not the trial's end.
    totals = [advance(stripe, sub.id)["total"] for _ in range(3)]
    assert totals == [960, 960, 1200]


def test_trial_end_as_a_timestamp_and_a_short_trial_warns_at_once(
    sandbox, stripe, catalog
):
    customer, pm = customer_with(stripe)
    base = {
        "customer": customer.id,
        "items": [{"price": price(stripe)}],
        "default_payment_method": pm.id,
    }
    long = stripe.v1.subscriptions.create(params=base)
    stripe.v1.subscriptions.cancel(long.id)
    end = long.created + 5 * DAY
    sub = stripe.v1.subscriptions.create(params={**base, "trial_end": end})
    assert (sub.status, sub.trial_end) == ("trialing", end)
    assert recorded(stripe, {"customer.subscription.trial_will_end"}) == []
    short = stripe.v1.subscriptions.create(
        params={**base, "trial_end": sub.created + 2 * DAY}
    )
    (warning,) = recorded(stripe, {"customer.subscription.trial_will_end"})
    assert warning.data["data"]["object"]["id"] == short.id
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(params={**base, "trial_end": 1000})
    assert caught.value.param == "trial_end"
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.create(
            params={**base, "trial_end": end, "trial_period_days": 3}
        )
    assert caught.value.http_status == 400


def test_trial_end_now_on_create_means_no_trial(sandbox, stripe, catalog):
    customer, pm = customer_with(stripe)
    sub = stripe.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price(stripe)}],
            "default_payment_method": pm.id,
            "trial_end": "now",
        }
    )
    assert (sub.status, sub.trial_end) == ("active", None)


def test_without_a_card_a_trial_can_cancel(sandbox, stripe, catalog):
    sub = trialing(
        stripe,
        card=None,
        trial_settings={"end_behavior": {"missing_payment_method": "cancel"}},
    )
    assert sub.trial_settings.end_behavior.missing_payment_method == "cancel"
    ended = advance(stripe, sub.id)
    assert (ended["object"], ended["status"], ended["ended_at"]) == (
        "subscription",
        "canceled",
        sub.trial_end,
    )
    assert [e.type for e in recorded(stripe)][-2:] == [
        "customer.subscription.trial_will_end",
        "customer.subscription.deleted",
    ]
    assert count(sandbox, "invoice") == 1


def test_without_a_card_a_trial_can_pause(sandbox, stripe, catalog):
    sub = trialing(
        stripe,
        card=None,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    paused = advance(stripe, sub.id)
    assert paused["status"] == "paused"
    events = recorded(stripe)
    assert [e.type for e in events][-2:] == [
        "customer.subscription.updated",
        "customer.subscription.paused",
    ]
    assert events[-2].data["data"]["previous_attributes"] == {"status": "trialing"}
    assert count(sandbox, "invoice") == 1
    with pytest.raises(stripe_sdk.InvalidRequestError):
        advance(stripe, sub.id)


def test_without_a_card_a_trial_invoices_and_waits(sandbox, stripe, catalog):
    sub = trialing(stripe, card=None, coupon=False)
    invoice = advance(stripe, sub.id)
    assert (invoice["status"], invoice["amount_due"]) == ("open", 1200)
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "past_due"
    paid = stripe.v1.invoices.pay(
        invoice["id"], params={"payment_method": "pm_card_visa"}
    )
    assert paid.status == "paid"
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "active"


def test_ending_a_trial_now_bills_at_once(sandbox, stripe, catalog):
    sub = trialing(stripe)
    before = len(recorded(stripe))
    ended = stripe.v1.subscriptions.update(
        sub.id, params={"trial_end": "now", "expand": ["latest_invoice"]}
    )
    assert ended.status == "active"
    item = ended["items"].data[0]
    assert ended.trial_end == item.current_period_start == ended.billing_cycle_anchor
    assert ended.trial_end < sub.trial_end
    invoice = ended.latest_invoice
    assert (invoice.billing_reason, invoice.status, invoice.total) == (
        "subscription_update",
        "paid",
        960,
    )
    assert [e.type for e in recorded(stripe)[before:]] == [
        "customer.subscription.trial_will_end",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_moving_a_trials_end(sandbox, stripe, catalog):
    sub = trialing(stripe)
    later = sub.trial_end + 7 * DAY
    moved = stripe.v1.subscriptions.update(sub.id, params={"trial_end": later})
    assert (moved.status, moved.trial_end, moved.billing_cycle_anchor) == (
        "trialing",
        later,
        later,
    )
    assert moved["items"].data[0].current_period_end == later
    change = recorded(stripe, {"customer.subscription.updated"})[-1].data["data"]
    assert change["previous_attributes"]["trial_end"] == sub.trial_end
    assert advance(stripe, sub.id)["created"] == later


def test_a_trial_with_default_incomplete_saves_the_card_by_setup_intent(
    sandbox, stripe, catalog
):
    customer = stripe.v1.customers.create()
    sub = stripe.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price(stripe)}],
            "trial_period_days": 7,
            "payment_behavior": "default_incomplete",
            "payment_settings": {"save_default_payment_method": "on_subscription"},
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )
    assert sub.status == "trialing"
    assert (sub.latest_invoice.status, sub.latest_invoice.confirmation_secret) == (
        "paid",
        None,
    )
    # The card is collected with the subscription's pending SetupIntent instead.
    setup = stripe.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["pending_setup_intent"]}
    ).pending_setup_intent
    assert (setup.status, setup.customer, setup.usage) == (
        "requires_payment_method",
        customer.id,
        "off_session",
    )
    confirmed = stripe.v1.setup_intents.confirm(
        setup.id, params={"payment_method": "pm_card_visa"}
    )
    assert confirmed.status == "succeeded"
    after = stripe.v1.subscriptions.retrieve(sub.id)
    assert (after.pending_setup_intent, after.default_payment_method) == (
        None,
        confirmed.payment_method,
    )
    first = advance(stripe, sub.id)
    assert (first["status"], first["total"]) == ("paid", 1200)
