"""Plan changes with Stripe's proration arithmetic, their preview, `cancel_at`, and
canceling with `invoice_now` and `prorate`.

Amounts are computed from exact seconds: `proration_date` halfway through the period
makes Starter ($12) → Pro ($29) a credit of -$6.00 and a charge of $14.50."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
import stripe as stripe_sdk
from conftest import advance, advance_by, count, recorded
from test_billing import assert_shape, customer_with, price, subscribe

DAY = 86_400


def prorated(amount, left, length):
    """Stripe's share of an amount for the time left, rounded half away from zero."""
    exact = Decimal(abs(amount)) * left / length
    cents = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return -cents if amount < 0 else cents


def midway(sub):
    item = sub["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    return item, start + (end - start) // 2


def switch(stripe, sub, key="moonly_pro_monthly", **params):
    item, at = midway(sub)
    return stripe.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item.id, "price": price(stripe, key)}],
            "proration_date": at,
            "expand": ["latest_invoice"],
            **params,
        },
    )


def test_always_invoice_bills_the_prorations_at_once(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    first_invoice = stripe.v1.invoices.retrieve(sub.latest_invoice)
    before = len(recorded(stripe))

    switched = switch(stripe, sub, proration_behavior="always_invoice")

    item = switched["items"].data[0]
    assert item.id == sub["items"].data[0].id
    assert item.price.lookup_key == "moonly_pro_monthly"
    assert item.current_period_end == sub["items"].data[0].current_period_end
    invoice = switched.latest_invoice
    assert invoice.id != first_invoice.id
    assert invoice.billing_reason == "subscription_update"
    assert (invoice.status, invoice.total, invoice.amount_paid) == ("paid", 850, 850)
    credit, charge = invoice.lines.data
    assert (credit.amount, charge.amount) == (-600, 1450)
    _, at = midway(sub)
    day = invoice.lines.data[0].description.rsplit("after ", 1)[1]
    assert credit.description == f"Unused time on Starter after {day}"
    assert charge.description == f"Remaining time on Pro after {day}"
    for line in (credit, charge):
        details = line.parent.subscription_item_details
        assert line.parent.type == "subscription_item_details"
        assert details.proration is True and details.invoice_item.startswith("ii_")
        assert details.subscription_item == item.id
        assert (line.period.start, line.period.end) == (at, item.current_period_end)
        assert line.discountable is False
        assert_shape(line, stripe_sdk.InvoiceLineItem)
    assert credit.pricing.price_details.price == price(stripe)
    assert charge.pricing.price_details.price == price(stripe, "moonly_pro_monthly")
    credited = credit.parent.subscription_item_details.proration_details.credited_items
    assert credited.invoice == first_invoice.id
    assert credited.invoice_line_items == [first_invoice.lines.data[0].id]
    paid = stripe.v1.charges.list(params={"customer": sub.customer}).data[0]
    assert (paid.amount, paid.status) == (850, "succeeded")
    events = recorded(stripe)[before:]
    assert [e.type for e in events] == [
        "invoiceitem.created",
        "invoiceitem.created",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    ii = events[0].data["data"]["object"]
    assert_shape(ii, stripe_sdk.InvoiceItem)
    assert (ii["amount"], ii["proration"], ii["discountable"]) == (-600, True, False)
    previous = events[2].data["data"]["previous_attributes"]
    assert previous["latest_invoice"] == first_invoice.id
    assert previous["items"]["data"][0]["price"]["lookup_key"] == (
        "moonly_starter_monthly"
    )
    # The next period is simply Pro.
    assert advance(stripe, sub.id)["total"] == 2900


def test_create_prorations_go_on_the_next_invoice(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    switched = switch(stripe, sub)  # create_prorations is the default
    assert switched.latest_invoice.id == sub.latest_invoice
    assert count(sandbox, "invoice") == 1 and count(sandbox, "invoiceitem") == 2
    preview = stripe.v1.invoices.create_preview(params={"subscription": sub.id})
    assert [line.amount for line in preview.lines.data] == [-600, 1450, 2900]
    assert preview.total == 3750
    renewal = advance(stripe, sub.id)
    assert [line["amount"] for line in renewal["lines"]["data"]] == [-600, 1450, 2900]
    assert (renewal["total"], renewal["status"]) == (3750, "paid")
    prorations = renewal["lines"]["data"][:2]
    assert all(
        line["parent"]["subscription_item_details"]["proration"] for line in prorations
    )
    assert not renewal["lines"]["data"][2]["parent"]["subscription_item_details"][
        "proration"
    ]
    # Invoiced once: the period after has no prorations left.
    assert advance(stripe, sub.id)["total"] == 2900


def test_no_prorations(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    switched = switch(stripe, sub, proration_behavior="none")
    assert switched["items"].data[0].price.lookup_key == "moonly_pro_monthly"
    assert count(sandbox, "invoiceitem") == 0
    assert advance(stripe, sub.id)["total"] == 2900


def test_a_percent_off_discount_applies_to_the_prorations(sandbox, stripe, catalog):
    sub = subscribe(stripe)  # 20 % off for 3 months: the first invoice was $9.60
    switched = switch(stripe, sub, proration_behavior="always_invoice")
    invoice = switched.latest_invoice
    # The credit is half of what was paid; the charge is half of Pro, less 20 %.
    assert [line.amount for line in invoice.lines.data] == [-480, 1160]
    assert invoice.total == 680 and invoice.total_discount_amounts == []
    (charge_item,) = [
        e.data["data"]["object"]
        for e in recorded(stripe, {"invoiceitem.created"})
        if e.data["data"]["object"]["amount"] > 0
    ]
    assert charge_item["proration_details"]["discount_amounts"] == [
        {"amount": 290, "discount": sub.discounts[0]}
    ]
    # The discount keeps running on the next period, on Pro.
    assert advance(stripe, sub.id)["total"] == 2320


def test_a_downgrade_credit_goes_to_the_balance_then_the_next_invoice(
    sandbox, stripe, catalog
):
    sub = subscribe(stripe, coupon=False, key="moonly_pro_monthly")
    switched = switch(
        stripe, sub, key="moonly_starter_monthly", proration_behavior="always_invoice"
    )
    invoice = switched.latest_invoice
    assert [line.amount for line in invoice.lines.data] == [-1450, 600]
    assert (invoice.total, invoice.amount_due, invoice.status) == (-850, 0, "paid")
    assert (invoice.starting_balance, invoice.ending_balance) == (0, -850)
    assert stripe.v1.customers.retrieve(sub.customer).balance == -850
    charges = stripe.v1.charges.list(params={"customer": sub.customer}).data
    assert [c.amount for c in charges] == [2900]
    renewal = advance(stripe, sub.id)
    assert (renewal["total"], renewal["amount_due"], renewal["amount_paid"]) == (
        1200,
        350,
        350,
    )
    assert (renewal["starting_balance"], renewal["ending_balance"]) == (-850, 0)
    assert stripe.v1.customers.retrieve(sub.customer).balance == 0
    charges = stripe.v1.charges.list(params={"customer": sub.customer}).data
    assert [c.amount for c in charges] == [350, 2900]


def test_proration_arithmetic_by_the_second(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    item = sub["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    at = start + 7 * DAY + 3 * 3600 + 17
    switched = stripe.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item.id, "price": price(stripe, "moonly_pro_monthly")}],
            "proration_date": at,
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    amounts = [line.amount for line in switched.latest_invoice.lines.data]
    assert amounts == [
        -prorated(1200, end - at, end - start),
        prorated(2900, end - at, end - start),
    ]


def test_previewing_a_change_makes_nothing(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    item, at = midway(sub)
    change = {
        "items": [{"id": item.id, "price": price(stripe, "moonly_pro_monthly")}],
        "proration_date": at,
    }
    now = stripe.v1.invoices.create_preview(
        params={
            "subscription": sub.id,
            "subscription_details": {**change, "proration_behavior": "always_invoice"},
        }
    )
    assert [line.amount for line in now.lines.data] == [-600, 1450]
    assert (now.total, now.id[:11]) == (850, "upcoming_in")
    assert_shape(now, stripe_sdk.Invoice)
    later = stripe.v1.invoices.create_preview(
        params={"subscription": sub.id, "subscription_details": change}
    )
    assert [line.amount for line in later.lines.data] == [-600, 1450, 2900]
    unchanged = stripe.v1.invoices.create_preview(
        params={
            "subscription": sub.id,
            "subscription_details": {**change, "proration_behavior": "none"},
        }
    )
    assert [line.amount for line in unchanged.lines.data] == [2900]
    assert count(sandbox, "invoiceitem") == 0 and count(sandbox, "invoice") == 1
    assert stripe.v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == (
        price(stripe)
    )
    done = stripe.v1.subscriptions.update(
        sub.id,
        params={
            **change,
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    assert done.latest_invoice.total == now.total
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.invoices.create_preview(
            params={
                "subscription": sub.id,
                "subscription_details": {"cancel_now": True},
            }
        )
    assert caught.value.code == "sandbox_unsupported_parameter"


def test_quantity_changes_and_added_items_prorate(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    item, at = midway(sub)
    switched = stripe.v1.subscriptions.update(
        sub.id,
        params={
            "items": [
                {"id": item.id, "quantity": 3},
                {"price": price(stripe, "moonly_pro_monthly")},
            ],
            "proration_date": at,
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    assert [i.quantity for i in switched["items"].data] == [3, 1]
    lines = switched.latest_invoice.lines.data
    assert [line.amount for line in lines] == [-600, 1800, 1450]
    assert lines[1].description.startswith("Remaining time on 3 × Starter after ")
    removed = stripe.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": switched["items"].data[1].id, "deleted": True}],
            "proration_date": at,
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    assert [i.id for i in removed["items"].data] == [item.id]
    assert [line.amount for line in removed.latest_invoice.lines.data] == [-1450]
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.update(
            sub.id,
            params={
                "items": [{"id": item.id, "price": price(stripe, "moonly_pro_yearly")}]
            },
        )
    assert caught.value.code == "sandbox_unsupported_parameter"


def test_a_declined_always_invoice_leaves_the_subscription_past_due(
    sandbox, stripe, catalog
):
    sub = subscribe(stripe, coupon=False)
    failing = stripe.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": sub.customer}
    )
    stripe.v1.subscriptions.update(
        sub.id, params={"default_payment_method": failing.id}
    )
    with pytest.raises(stripe_sdk.CardError):
        switch(
            stripe,
            sub,
            proration_behavior="always_invoice",
            payment_behavior="error_if_incomplete",
        )
    unchanged = stripe.v1.subscriptions.retrieve(sub.id)
    assert unchanged["items"].data[0].price.id == price(stripe)
    assert count(sandbox, "invoiceitem") == 0
    switched = switch(stripe, sub, proration_behavior="always_invoice")
    assert switched.status == "past_due"
    assert switched.latest_invoice.status == "open"


def test_cancel_at_ends_the_subscription_when_the_clock_passes_it(
    sandbox, stripe, catalog
):
    sub = subscribe(stripe, coupon=False)
    cancel_at = sub.created + 10 * DAY
    updated = stripe.v1.subscriptions.update(sub.id, params={"cancel_at": cancel_at})
    assert (updated.cancel_at, updated.cancel_at_period_end, updated.status) == (
        cancel_at,
        False,
        "active",
    )
    # A minute either side: real time runs on between requests.
    assert advance_by(stripe, sub.id, 10 * DAY - 60)["status"] == "active"
    ended = advance_by(stripe, sub.id, 120)
    assert (ended["status"], ended["ended_at"]) == ("canceled", cancel_at)
    (deleted,) = recorded(stripe, {"customer.subscription.deleted"})
    assert deleted.data["created"] == cancel_at
    assert count(sandbox, "invoice") == 1


def test_cancel_at_on_create_after_a_renewal_and_cleared(sandbox, stripe, catalog):
    customer, pm = customer_with(stripe)
    created = stripe.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price(stripe)}],
            "default_payment_method": pm.id,
        }
    )
    cancel_at = created.created + 40 * DAY
    sub = stripe.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price(stripe)}],
            "default_payment_method": pm.id,
            "cancel_at": cancel_at,
        }
    )
    assert sub.cancel_at == cancel_at
    assert advance(stripe, sub.id)["billing_reason"] == "subscription_cycle"
    ended = advance(stripe, sub.id)
    assert (ended["object"], ended["ended_at"]) == ("subscription", cancel_at)
    kept = stripe.v1.subscriptions.update(created.id, params={"cancel_at": cancel_at})
    assert kept.cancel_at == cancel_at
    cleared = stripe.v1.subscriptions.update(created.id, params={"cancel_at": ""})
    assert (cleared.cancel_at, cleared.canceled_at) == (None, None)
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.update(created.id, params={"cancel_at": 1000})
    assert caught.value.param == "cancel_at"


def test_cancel_with_invoice_now_and_prorate_credits_the_unused_time(
    sandbox, stripe, catalog
):
    sub = subscribe(stripe, coupon=False)
    item = sub["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    advance_by(stripe, sub.id, 12 * DAY)
    before = len(recorded(stripe))
    canceled = stripe.v1.subscriptions.cancel(
        sub.id,
        params={
            "invoice_now": True,
            "prorate": True,
            "cancellation_details": {"comment": "Too expensive"},
        },
    )
    at = canceled.canceled_at
    assert canceled.status == "canceled" and at - start in range(12 * DAY, 12 * DAY + 5)
    assert canceled.cancellation_details.comment == "Too expensive"
    final = stripe.v1.invoices.retrieve(canceled.latest_invoice)
    credit = -prorated(1200, end - at, end - start)
    assert [line.amount for line in final.lines.data] == [credit]
    assert final.lines.data[0].description.startswith("Unused time on Starter after ")
    assert (final.total, final.amount_due, final.status) == (credit, 0, "paid")
    assert stripe.v1.customers.retrieve(sub.customer).balance == credit
    assert [e.type for e in recorded(stripe)[before:]] == [
        "invoiceitem.created",
        "customer.subscription.deleted",
        "invoice.created",
        "customer.updated",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_cancel_without_invoice_now_keeps_no_invoice(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    stripe.v1.subscriptions.cancel(sub.id, params={"prorate": True})
    assert count(sandbox, "invoice") == 1 and count(sandbox, "invoiceitem") == 1


def test_what_the_sandbox_still_refuses(sandbox, stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    item = sub["items"].data[0]
    refused = [
        lambda: stripe.v1.subscriptions.update(
            sub.id, params={"add_invoice_items": [{"price": price(stripe)}]}
        ),
        lambda: stripe.v1.subscriptions.update(
            sub.id, params={"payment_behavior": "pending_if_incomplete"}
        ),
        lambda: stripe.v1.subscriptions.update(
            sub.id, params={"items": [{"id": item.id, "discounts": [{"coupon": "x"}]}]}
        ),
        lambda: stripe.v1.subscriptions.update(
            sub.id,
            params={"payment_settings": {"payment_method_types": ["card"]}},
        ),
        lambda: stripe.v1.subscriptions.update(
            sub.id, params={"trial_end": sub.created + 5 * DAY}
        ),
        lambda: stripe.v1.payment_intents.confirm(
            stripe.v1.charges.list().data[0].payment_intent,
            params={"off_session": True},
        ),
        lambda: stripe.v1.invoices.pay(
            sub.latest_invoice, params={"paid_out_of_band": True}
        ),
        lambda: stripe.v1.setup_intents.create(
            params={"allowed_payment_method_types": ["sepa_debit"]}
        ),
    ]
    for i, call in enumerate(refused):
        with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
            call()
        assert caught.value.code == "sandbox_unsupported_parameter", (i, caught.value)
