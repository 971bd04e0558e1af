"""`expand[]` on retrieves, creates, updates and lists, as Stripe's docs show it."""

import pytest
import stripe as stripe_sdk
from test_billing import customer_with, subscribe


def refused(call):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        call()
    assert caught.value.http_status == 400
    assert caught.value.param == "expand"
    return caught.value


def test_retrieve_expands_ids_into_objects(stripe, catalog):
    sub = subscribe(stripe)
    plain = stripe.v1.subscriptions.retrieve(sub.id)
    assert isinstance(plain.customer, str) and isinstance(plain.latest_invoice, str)
    found = stripe.v1.subscriptions.retrieve(
        sub.id,
        params={"expand": ["customer", "latest_invoice", "items.data.price.product"]},
    )
    assert found.customer.object == "customer" and found.customer.id == sub.customer
    assert found.latest_invoice.id == sub.latest_invoice
    assert found.latest_invoice.customer == sub.customer  # not expanded below
    product = found["items"].data[0].price.product
    assert (product.object, product.name) == ("product", "Starter")


def test_nested_expansion_up_to_four_levels(stripe, catalog):
    sub = subscribe(stripe)
    invoice = stripe.v1.invoices.retrieve(
        sub.latest_invoice,
        params={"expand": ["payments.data.payment.payment_intent"]},
    )
    intent = invoice.payments.data[0].payment.payment_intent
    assert intent.object == "payment_intent" and intent.status == "succeeded"
    charge = stripe.v1.charges.retrieve(
        intent.latest_charge,
        params={"expand": ["payment_intent.customer", "customer"]},
    )
    assert charge.payment_intent.customer.id == sub.customer
    assert charge.customer.email == "sub@example.com"


def test_create_and_update_take_expand(stripe, catalog):
    customer, pm = customer_with(stripe)
    created = stripe.v1.customers.update(
        customer.id,
        params={
            "invoice_settings": {"default_payment_method": pm.id},
            "expand": ["invoice_settings.default_payment_method"],
        },
    )
    assert created.invoice_settings.default_payment_method.card.last4 == "4242"
    product = stripe.v1.products.create(params={"name": "P"})
    price = stripe.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 100,
            "expand": ["product"],
        }
    )
    assert price.product.name == "P"
    updated = stripe.v1.prices.update(
        price.id, params={"nickname": "n", "expand": ["product"]}
    )
    assert (updated.nickname, updated.product.id) == ("n", product.id)
    # What is stored keeps the id: only the response is expanded.
    assert stripe.v1.prices.retrieve(price.id).product == product.id


def test_lists_expand_through_data(stripe, catalog):
    one = subscribe(stripe)
    two = subscribe(stripe, coupon=False)
    page = stripe.v1.subscriptions.list(
        params={"expand": ["data.customer", "data.discounts"]}
    )
    assert [s.customer.id for s in page.data] == [two.customer, one.customer]
    assert page.data[1].discounts[0].source.coupon == "moonly-new-user"
    assert page.data[0].discounts == []
    charges = stripe.v1.charges.list(
        params={"expand": ["data.payment_intent.customer"]}
    ).data
    assert {c.payment_intent.customer.id for c in charges} == {
        one.customer,
        two.customer,
    }
    error = refused(
        lambda: stripe.v1.subscriptions.list(params={"expand": ["customer"]})
    )
    assert error.user_message == "This property cannot be expanded (customer)."


def test_four_levels_is_the_limit(stripe, catalog):
    subscribe(stripe)
    deepest = stripe.v1.charges.list(
        params={"expand": ["data.payment_intent.customer.default_source"]}
    )
    assert deepest.data[0].payment_intent.customer.default_source is None
    error = refused(
        lambda: stripe.v1.subscriptions.list(
            params={"expand": ["data.items.data.price.product"]}
        )
    )
    assert error.user_message == (
        "You cannot expand more than 4 levels of a property. "
        "Property: data.items.data.price.product"
    )


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("email", "email"),
        ("nope", "nope"),
        ("invoice_settings", "invoice_settings"),
        ("invoice_settings.footer", "footer"),
        ("metadata.k", "metadata"),
    ],
)
def test_unexpandable_paths_get_stripes_error(stripe, path, named):
    customer = stripe.v1.customers.create(
        params={"email": "e@example.com", "metadata": {"k": "v"}}
    )
    error = refused(
        lambda: stripe.v1.customers.retrieve(customer.id, params={"expand": [path]})
    )
    assert error.user_message == f"This property cannot be expanded ({named})."


def test_a_refused_expand_on_create_leaves_nothing(sandbox, stripe):
    refused(
        lambda: stripe.v1.customers.create(
            params={"email": "x@example.com", "expand": ["email"]}
        )
    )
    assert stripe.v1.customers.list().data == []


def test_null_fields_and_empty_lists_expand_quietly(stripe):
    customer = stripe.v1.customers.create(params={"email": "n@example.com"})
    found = stripe.v1.customers.retrieve(
        customer.id, params={"expand": ["invoice_settings.default_payment_method"]}
    )
    assert found.invoice_settings.default_payment_method is None
    assert stripe.v1.invoices.list(params={"expand": ["data.customer"]}).data == []
    refused(lambda: stripe.v1.invoices.list(params={"expand": ["data.nope"]}))


def test_a_deleted_customer_expands_to_its_stub(stripe, catalog):
    sub = subscribe(stripe)
    stripe.v1.customers.delete(sub.customer)
    found = stripe.v1.subscriptions.retrieve(sub.id, params={"expand": ["customer"]})
    assert found.customer.to_dict() == {
        "id": sub.customer,
        "object": "customer",
        "deleted": True,
    }


def test_objects_the_sandbox_does_not_keep_are_refused_clearly(stripe, catalog):
    sub = subscribe(stripe)
    (charge,) = stripe.v1.charges.list(params={"customer": sub.customer}).data
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.charges.retrieve(
            charge.id, params={"expand": ["balance_transaction"]}
        )
    assert caught.value.code == "sandbox_unsupported_parameter"
    assert "balance_transaction" in caught.value.user_message


def test_includable_fields_appear_only_when_expanded(stripe, catalog):
    sub = subscribe(stripe, coupon=False)
    (charge,) = stripe.v1.charges.list(params={"customer": sub.customer}).data
    refund = stripe.v1.refunds.create(params={"charge": charge.id, "amount": 100})
    assert "refunds" not in stripe.v1.charges.retrieve(charge.id).to_dict()
    listed = stripe.v1.charges.list(params={"expand": ["data.refunds"]}).data
    assert [r.id for r in listed[0].refunds.data] == [refund.id]
    assert listed[0].refunds.url == f"/v1/charges/{charge.id}/refunds"
    invoice = stripe.v1.invoices.retrieve(sub.latest_invoice)
    assert "payments" not in invoice.to_dict()
    sub = stripe.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["latest_invoice.payments"]}
    )
    assert sub.latest_invoice.payments.data[0].status == "paid"
