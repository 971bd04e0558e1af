"""The offline sandbox answers the real SDK as today's Stripe API does."""

import pytest
import stripe as stripe_sdk
from conftest import recorded


def test_coupon_on_a_customer_is_refused_as_stripe_refuses_it(stripe):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.customers.create(
            params={"email": "a@example.com", "coupon": "moonly-new-user"}
        )  # type: ignore[typeddict-unknown-key]
    error = caught.value
    assert error.http_status == 400
    assert error.code == "parameter_unknown"
    assert error.param == "coupon"
    assert error.user_message == "Received unknown parameter: coupon"
    assert stripe.v1.customers.list().data == []


def test_unknown_nested_parameter_is_refused(stripe):
    product = stripe.v1.products.create(params={"name": "P"})
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 100,
                "recurring": {"interval": "month", "colour": "blue"},
            }  # type: ignore[typeddict-unknown-key]
        )
    assert caught.value.param == "recurring[colour]"


def test_missing_required_parameter(stripe):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.prices.create(params={"unit_amount": 100})  # type: ignore[typeddict-item]
    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "currency"


def test_bad_enum_value_is_refused(stripe):
    product = stripe.v1.products.create(params={"name": "P"})
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1,
                "recurring": {"interval": "fortnight"},
            }  # type: ignore[typeddict-item]
        )
    assert caught.value.param == "recurring[interval]"


def test_parameter_the_sandbox_does_not_implement_is_refused_clearly(stripe):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.customers.create(
            params={"tax_id_data": [{"type": "eu_vat", "value": "x"}]}
        )
    assert caught.value.code == "sandbox_unsupported_parameter"
    assert "use Stripe test mode" in caught.value.user_message


def test_unknown_object_is_a_404_in_stripes_shape(stripe):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.customers.retrieve("cus_missing")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.user_message == "No such customer: 'cus_missing'"


def declared_fields(cls):
    """Fields the SDK declares for a resource, and those it declares always present."""
    annotations = {}
    for klass in reversed(cls.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    annotations.pop("OBJECT_NAME", None)
    fields = {k for k in annotations if not k.startswith("_") and k.islower()}
    always = {
        k
        for k in fields
        if not str(annotations[k]).startswith(("Optional", "typing.Optional"))
    }
    return fields, always


@pytest.mark.parametrize(
    ("resource", "make"),
    [
        (
            stripe_sdk.Customer,
            lambda s: s.v1.customers.create(params={"email": "a@example.com"}),
        ),
        (stripe_sdk.Product, lambda s: s.v1.products.create(params={"name": "P"})),
        (stripe_sdk.Coupon, lambda s: s.v1.coupons.create(params={"percent_off": 5})),
        (
            stripe_sdk.Price,
            lambda s: s.v1.prices.create(
                params={
                    "product": s.v1.products.create(params={"name": "P"}).id,
                    "currency": "usd",
                    "unit_amount": 5,
                }
            ),
        ),
    ],
)
def test_object_shapes_match_the_sdks_declared_fields(stripe, resource, make):
    returned = set(make(stripe).to_dict())
    fields, always = declared_fields(resource)
    assert returned <= fields, returned - fields
    assert always <= returned, always - returned


def test_customer_fields(stripe):
    customer = stripe.v1.customers.create(
        params={"email": "a@example.com", "name": "A", "metadata": {"k": "v"}}
    )
    assert customer.object == "customer"
    assert customer.id.startswith("cus_")
    assert customer.livemode is False
    assert customer.metadata.to_dict() == {"k": "v"}


def test_update_merges_and_unsets_metadata(stripe):
    customer = stripe.v1.customers.create(params={"metadata": {"a": "1", "b": "2"}})
    updated = stripe.v1.customers.update(
        customer.id, params={"metadata": {"a": "", "c": "3"}, "name": "N"}
    )
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    assert updated.name == "N"
    assert (
        stripe.v1.customers.update(
            customer.id, params={"metadata": ""}
        ).metadata.to_dict()
        == {}
    )


def test_deleted_customer_is_a_stub_and_leaves_lists(stripe):
    customer = stripe.v1.customers.create(params={"email": "gone@example.com"})
    deleted = stripe.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    assert stripe.v1.customers.retrieve(customer.id).to_dict() == {
        "id": customer.id,
        "object": "customer",
        "deleted": True,
    }
    assert stripe.v1.customers.list(params={"email": "gone@example.com"}).data == []


def test_list_by_email_newest_first_with_pagination(stripe):
    made = [
        stripe.v1.customers.create(params={"email": "same@example.com"}).id
        for _ in range(3)
    ]
    stripe.v1.customers.create(params={"email": "other@example.com"})
    page = stripe.v1.customers.list(params={"email": "same@example.com", "limit": 2})
    assert [c.id for c in page.data] == made[::-1][:2]
    assert page.has_more is True
    rest = stripe.v1.customers.list(
        params={
            "email": "same@example.com",
            "limit": 2,
            "starting_after": page.data[-1].id,
        }
    )
    assert [c.id for c in rest.data] == [made[0]]
    assert rest.has_more is False
    everything = list(stripe.v1.customers.list(params={"limit": 1}).auto_paging_iter())
    assert len(everything) == 4


def test_idempotency_key_replays_and_refuses_other_parameters(stripe):
    first = stripe.v1.customers.create(
        params={"email": "k@example.com"}, options={"idempotency_key": "k1"}
    )
    again = stripe.v1.customers.create(
        params={"email": "k@example.com"}, options={"idempotency_key": "k1"}
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe_sdk.IdempotencyError):
        stripe.v1.customers.create(
            params={"email": "other@example.com"}, options={"idempotency_key": "k1"}
        )
    assert len(stripe.v1.customers.list().data) == 1


def test_prices_by_lookup_key_and_transfer(stripe):
    product = stripe.v1.products.create(params={"name": "P"})
    base = {
        "product": product.id,
        "currency": "usd",
        "recurring": {"interval": "month"},
    }
    old = stripe.v1.prices.create(
        params={**base, "unit_amount": 100, "lookup_key": "plan"}
    )
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.prices.create(
            params={**base, "unit_amount": 200, "lookup_key": "plan"}
        )
    assert caught.value.param == "lookup_key"
    new = stripe.v1.prices.create(
        params={
            **base,
            "unit_amount": 200,
            "lookup_key": "plan",
            "transfer_lookup_key": True,
        }
    )
    found = stripe.v1.prices.list(params={"lookup_keys": ["plan"]}).data
    assert [p.id for p in found] == [new.id]
    assert stripe.v1.prices.retrieve(old.id).lookup_key is None
    assert (
        new.unit_amount == 200
        and new.recurring.interval == "month"
        and new.type == "recurring"
    )


def test_coupon_terms(stripe):
    coupon = stripe.v1.coupons.create(
        params={
            "id": "c1",
            "percent_off": 20,
            "duration": "repeating",
            "duration_in_months": 3,
        }
    )
    assert (coupon.percent_off, coupon.duration, coupon.duration_in_months) == (
        20.0,
        "repeating",
        3,
    )
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.coupons.create(params={"id": "c1", "percent_off": 10})
    assert caught.value.code == "resource_already_exists"
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.coupons.create(params={"percent_off": 10, "duration": "repeating"})
    assert caught.value.param == "duration_in_months"


def test_changes_record_events_with_previous_attributes(stripe):
    customer = stripe.v1.customers.create(
        params={"email": "e@example.com", "name": "Old"}
    )
    stripe.v1.customers.update(customer.id, params={"name": "New"})
    stripe.v1.customers.update(
        customer.id, params={"name": "New"}
    )  # no change, no event
    stripe.v1.customers.delete(customer.id)
    events = recorded(stripe)
    assert [e.type for e in events] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]
    updated = events[1].data
    assert updated["data"]["previous_attributes"] == {"name": "Old"}
    assert updated["data"]["object"]["name"] == "New"
    assert updated["api_version"] == "2026-10-28.endive"
    assert updated["request"]["idempotency_key"]


def test_live_keys_are_refused(sandbox):
    client = stripe_sdk.StripeClient("sk_live_nope", http_client=sandbox.http_client())
    with pytest.raises(stripe_sdk.AuthenticationError):
        client.v1.customers.list()
