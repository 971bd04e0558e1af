"""Limits and shapes Stripe enforces: metadata, previous_attributes, card errors,
messages."""

import pytest
import stripe as stripe_sdk
from conftest import recorded
from test_billing import customer_with, price, subscribe

MAKERS = {
    "customer": lambda s, m: s.v1.customers.create(params={"metadata": m}),
    "product": lambda s, m: s.v1.products.create(params={"name": "P", "metadata": m}),
    "coupon": lambda s, m: s.v1.coupons.create(
        params={"percent_off": 5, "metadata": m}
    ),
    "webhook_endpoint": lambda s, m: s.v1.webhook_endpoints.create(
        params={
            "url": "https://hooks.example/stripe",
            "enabled_events": ["*"],
            "metadata": m,
        }
    ),
}


def refused(call):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        call()
    assert caught.value.http_status == 400
    return caught.value


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_metadata_limits_on_every_object(stripe, kind):
    make = MAKERS[kind]
    at_limit = {f"k{i:02}": "v" * 500 for i in range(49)} | {"k" * 40: "v"}
    assert len(make(stripe, at_limit).metadata.to_dict()) == 50
    error = refused(lambda: make(stripe, {f"k{i}": "v" for i in range(51)}))
    assert error.param == "metadata"
    assert error.user_message == "Metadata can have up to 50 keys, but you've set 51."
    error = refused(lambda: make(stripe, {"k" * 41: "v"}))
    assert error.user_message == (
        f"Invalid key: {'k' * 41} must be a string under 40 characters"
    )
    error = refused(lambda: make(stripe, {"k": "v" * 501}))
    assert error.user_message == (
        f"Invalid val: {'v' * 501} must be a string under 500 characters"
    )


def test_metadata_limit_counts_what_an_update_leaves(stripe):
    full = {f"k{i}": "v" for i in range(50)}
    customer = stripe.v1.customers.create(params={"metadata": full})
    error = refused(
        lambda: stripe.v1.customers.update(
            customer.id, params={"metadata": {"one_more": "v"}}
        )
    )
    assert error.user_message.endswith("but you've set 51.")
    swapped = stripe.v1.customers.update(
        customer.id, params={"metadata": {"k0": "", "one_more": "v"}}
    )
    assert len(swapped.metadata.to_dict()) == 50
    assert "k0" not in swapped.metadata.to_dict()


def test_subscription_item_metadata_names_its_parameter(stripe, catalog):
    customer, pm = customer_with(stripe)
    error = refused(
        lambda: stripe.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "default_payment_method": pm.id,
                "items": [{"price": price(stripe), "metadata": {"k" * 41: "v"}}],
            }
        )
    )
    assert error.param == "items[0][metadata]"


def test_previous_attributes_hold_only_the_changed_sub_keys(stripe):
    customer = stripe.v1.customers.create(
        params={"metadata": {"a": "1", "b": "2", "same": "s"}}
    )
    stripe.v1.customers.update(
        customer.id, params={"metadata": {"a": "x", "b": "", "c": "3"}}
    )
    (event,) = recorded(stripe, {"customer.updated"})
    assert event.data["data"]["previous_attributes"] == {
        "metadata": {"a": "1", "b": "2", "c": None}
    }
    assert event.data["data"]["object"]["metadata"] == {
        "a": "x",
        "c": "3",
        "same": "s",
    }


def test_previous_attributes_of_a_nested_object(stripe):
    customer, pm = customer_with(stripe)
    stripe.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    event = recorded(stripe, {"customer.updated"})[-1]
    assert event.data["data"]["previous_attributes"] == {
        "invoice_settings": {"default_payment_method": None}
    }


def test_a_declined_card_error_carries_its_payment_intent(stripe, catalog):
    customer, pm = customer_with(stripe, "pm_card_chargeCustomerFail")
    with pytest.raises(stripe_sdk.CardError) as caught:
        stripe.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price(stripe)}],
                "default_payment_method": pm.id,
                "payment_behavior": "error_if_incomplete",
            }
        )
    error = caught.value.error
    assert caught.value.http_status == 402
    assert (error.code, error.decline_code) == ("card_declined", "generic_decline")
    intent = error.payment_intent
    assert isinstance(intent, stripe_sdk.PaymentIntent)
    assert (intent.object, intent.status, intent.amount) == (
        "payment_intent",
        "requires_payment_method",
        1200,
    )
    assert intent.last_payment_error.decline_code == "generic_decline"
    assert error.charge.startswith("ch_") and error.charge == intent.latest_charge
    assert error.payment_method.id == pm.id


def test_a_3ds_error_carries_its_payment_intent(stripe, catalog):
    with pytest.raises(stripe_sdk.CardError) as caught:
        subscribe(
            stripe,
            card="pm_card_authenticationRequired",
            payment_behavior="error_if_incomplete",
        )
    intent = caught.value.error.payment_intent
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"


def test_messages_name_paths_as_stripes_docs_do(stripe, catalog):
    sub = subscribe(stripe)
    error = refused(
        lambda: stripe.v1.subscriptions.update(sub.id, params={"pause_collection": ""})
    )
    assert error.code == "sandbox_unsupported_parameter"
    assert "POST /v1/subscriptions/:id" in error.user_message
    assert "(?P" not in error.user_message and "[^/]" not in error.user_message
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.raw_request("get", "/v1/nothing/here")
    assert caught.value.http_status == 404
    assert "(?P" not in caught.value.user_message


def test_nested_parameters_the_sandbox_lacks_are_refused_not_ignored(stripe):
    product = stripe.v1.products.create(params={"name": "P"})
    error = refused(
        lambda: stripe.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1,
                "recurring": {"interval": "month", "meter": "mtr_1"},
            }
        )
    )
    assert (error.code, error.param) == (
        "sandbox_unsupported_parameter",
        "recurring[meter]",
    )
    assert stripe.v1.prices.list().data == []
