"""Promotion codes: the API, and redeeming them on subscriptions, as Stripe does."""

import time

import pytest
import stripe as stripe_sdk
from conftest import COUPON, recorded
from test_billing import assert_shape, customer_with, price, subscribe


def promo(stripe, **extra):
    return stripe.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": COUPON}, **extra}
    )


def test_create_retrieve_list_update(stripe, catalog):
    code = promo(
        stripe,
        code="WELCOME20",
        max_redemptions=5,
        metadata={"campaign": "launch"},
        restrictions={"first_time_transaction": True},
    )
    assert_shape(code, stripe_sdk.PromotionCode)
    assert code.id.startswith("promo_") and code.code == "WELCOME20"
    assert code.promotion.coupon == COUPON and code.promotion.type == "coupon"
    assert code.restrictions.first_time_transaction is True
    assert (code.active, code.times_redeemed, code.max_redemptions) == (True, 0, 5)
    assert stripe.v1.promotion_codes.retrieve(code.id).code == "WELCOME20"
    other = promo(stripe)
    assert len(other.code) == 8  # made up when not given
    listed = stripe.v1.promotion_codes.list(params={"code": "welcome20"}).data
    assert [c.id for c in listed] == [code.id]
    assert {
        c.id for c in stripe.v1.promotion_codes.list(params={"coupon": COUPON})
    } == {
        code.id,
        other.id,
    }
    off = stripe.v1.promotion_codes.update(
        code.id, params={"active": False, "metadata": {"campaign": ""}}
    )
    assert off.active is False and off.metadata.to_dict() == {}
    active = stripe.v1.promotion_codes.list(params={"active": True}).data
    assert [c.id for c in active] == [other.id]
    types = [e.type for e in recorded(stripe)]
    assert types == [
        "promotion_code.created",
        "promotion_code.created",
        "promotion_code.updated",
    ]


def test_codes_are_unique_among_active_ones_whatever_the_case(stripe, catalog):
    promo(stripe, code="SPRING")
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        promo(stripe, code="spring")
    assert error.value.code == "resource_already_exists"
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        promo(stripe, code="no spaces!")
    assert error.value.param == "code"


def test_a_subscription_redeems_a_code(stripe, catalog):
    code = promo(stripe, code="FRIEND")
    sub = subscribe(
        stripe,
        coupon=False,
        discounts=[{"promotion_code": code.id}],
        expand=["latest_invoice", "discounts"],
    )
    assert sub.latest_invoice.total == 960
    discount = sub.discounts[0]
    assert discount.promotion_code == code.id and discount.source.coupon == COUPON
    assert stripe.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert stripe.v1.coupons.retrieve(COUPON).times_redeemed == 1


def _refused(stripe, code_id, customer=None, card="pm_card_visa"):
    if customer is None:
        customer, pm = customer_with(stripe, card)
    else:
        pm = stripe.v1.payment_methods.attach(card, params={"customer": customer.id})
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        stripe.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price(stripe)}],
                "default_payment_method": pm.id,
                "discounts": [{"promotion_code": code_id}],
            }
        )
    assert error.value.param == "discounts[0][promotion_code]"
    return error.value.user_message


def test_refused_when_inactive_expired_or_used_up(sandbox, stripe, catalog):
    inactive = promo(stripe, active=False)
    assert "is inactive" in _refused(stripe, inactive.id)
    soon = promo(stripe, expires_at=int(time.time()) + 1)
    time.sleep(2.1)
    assert "has expired" in _refused(stripe, soon.id)
    once = promo(stripe, max_redemptions=1)
    subscribe(stripe, coupon=False, discounts=[{"promotion_code": once.id}])
    assert "maximum number of redemptions" in _refused(stripe, once.id)
    assert stripe.v1.promotion_codes.retrieve(once.id).times_redeemed == 1


def test_first_time_only_codes_refuse_a_customer_who_paid(stripe, catalog):
    code = promo(stripe, restrictions={"first_time_transaction": True})
    sub = subscribe(stripe, coupon=False)
    customer = stripe.v1.customers.retrieve(sub.customer)
    message = _refused(stripe, code.id, customer)
    assert message == (
        "This promotion code cannot be redeemed because the associated customer has "
        "prior transactions."
    )
    # A new customer may use it.
    fresh = subscribe(stripe, coupon=False, discounts=[{"promotion_code": code.id}])
    assert fresh.status == "active"


def test_a_code_for_one_customer_refuses_the_others(stripe, catalog):
    owner, _ = customer_with(stripe)
    code = promo(stripe, customer=owner.id)
    assert "cannot be redeemed by this customer" in _refused(stripe, code.id)


def test_unsupported_restrictions_are_refused(stripe, catalog):
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        promo(stripe, restrictions={"minimum_amount": 1000})
    assert error.value.code == "sandbox_unsupported_parameter"
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        stripe.v1.subscriptions.create(
            params={
                "customer": customer_with(stripe)[0].id,
                "items": [{"price": price(stripe)}],
                "discounts": [{"coupon": COUPON, "promotion_code": "promo_x"}],
            }
        )
    assert "only specify one" in error.value.user_message
