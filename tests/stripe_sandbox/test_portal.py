"""The customer portal: configurations and sessions through the SDK, and its page."""

from urllib.parse import urlsplit

import pytest
import stripe as stripe_sdk
from conftest import recorded
from test_billing import assert_shape, price, subscribe
from test_checkout_sessions import text
from werkzeug.test import Client

RETURN = "https://moonly.example/account"


def product_of(stripe, key):
    return stripe.v1.prices.retrieve(price(stripe, key)).product


def configure(stripe, proration="none", mode="at_period_end", **extra):
    monthly = ("moonly_starter_monthly", "moonly_pro_monthly")
    return stripe.v1.billing_portal.configurations.create(
        params={
            "business_profile": {"headline": "Moonly: manage your plan"},
            "default_return_url": RETURN,
            "features": {
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "products": [
                        {
                            "product": product_of(stripe, key),
                            "prices": [price(stripe, key)],
                        }
                        for key in monthly
                    ],
                    "proration_behavior": proration,
                },
                "subscription_cancel": {"enabled": True, "mode": mode},
                "payment_method_update": {"enabled": True},
                "invoice_history": {"enabled": True},
            },
            **extra,
        }
    )


def test_configuration_crud(stripe, catalog):
    config = configure(stripe, proration="always_invoice")
    assert_shape(config, stripe_sdk.billing_portal.Configuration)
    assert config.id.startswith("bpc_") and config.is_default and config.active
    update = config.features.subscription_update
    assert update.proration_behavior == "always_invoice"
    assert [p.prices for p in update.products] == [
        [price(stripe, "moonly_starter_monthly")],
        [price(stripe, "moonly_pro_monthly")],
    ]
    assert config.business_profile.headline == "Moonly: manage your plan"
    second = configure(stripe)
    assert second.is_default is False
    changed = stripe.v1.billing_portal.configurations.update(
        second.id,
        params={
            "features": {"subscription_cancel": {"mode": "immediately"}},
            "metadata": {"team": "billing"},
        },
    )
    assert changed.features.subscription_cancel.mode == "immediately"
    assert changed.features.invoice_history.enabled  # the rest stays
    got = stripe.v1.billing_portal.configurations.retrieve(second.id)
    assert got.metadata.to_dict() == {"team": "billing"}
    defaults = stripe.v1.billing_portal.configurations.list(params={"is_default": True})
    assert [c.id for c in defaults] == [config.id]
    assert [e.type for e in recorded(stripe)] == [
        "billing_portal.configuration.created",
        "billing_portal.configuration.created",
        "billing_portal.configuration.updated",
    ]


@pytest.mark.parametrize(
    "features",
    [
        {"subscription_pause": {"enabled": True}},
        {"customer_update": {"enabled": True, "allowed_updates": ["email"]}},
        {
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["quantity"],
            }
        },
        {
            "subscription_cancel": {
                "enabled": True,
                "proration_behavior": "create_prorations",
            }
        },
    ],
)
def test_unimplemented_features_are_refused(stripe, catalog, features):
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        stripe.v1.billing_portal.configurations.create(params={"features": features})
    assert error.value.code == "sandbox_unsupported_parameter"


def portal(stripe, sandbox, customer, **extra):
    session = stripe.v1.billing_portal.sessions.create(
        params={"customer": customer, **extra}
    )
    return session, Client(sandbox.wsgi_app()), urlsplit(session.url).path


def test_a_session_opens_the_portal_page(sandbox, stripe, catalog):
    config = configure(stripe)
    sub = subscribe(stripe)
    session, client, path = portal(stripe, sandbox, sub.customer)
    assert_shape(session, stripe_sdk.billing_portal.Session)
    assert session.id.startswith("bps_") and session.configuration == config.id
    assert session.return_url == RETURN and session.url.endswith(
        f"/portal/{session.id}"
    )
    response = client.get(path)
    assert response.status_code == 200
    shown = text(response)
    assert "Moonly: manage your plan" in shown
    assert "Starter $12.00 per month Active" in shown
    assert "Switch to Pro" in shown
    invoice = stripe.v1.invoices.retrieve(sub.latest_invoice)
    assert f"{invoice.number} $9.60 Paid" in shown
    assert "Visa ending in 4242" in shown
    assert f'href="{RETURN}"' in response.get_data(as_text=True)
    assert "billing_portal.session.created" in [e.type for e in recorded(stripe)]


def test_a_session_needs_a_configuration_and_a_return_url(stripe, catalog):
    customer = stripe.v1.customers.create(params={})
    with pytest.raises(stripe_sdk.InvalidRequestError):
        stripe.v1.billing_portal.sessions.create(params={"customer": customer.id})
    stripe.v1.billing_portal.configurations.create(
        params={"features": {"invoice_history": {"enabled": True}}}
    )
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        stripe.v1.billing_portal.sessions.create(params={"customer": customer.id})
    assert error.value.param == "return_url"


def act(client, path, **form):
    return client.post(path, data=form)


def test_switching_plan_without_proration(sandbox, stripe, catalog):
    configure(stripe)
    sub = subscribe(stripe)
    _, client, path = portal(stripe, sandbox, sub.customer)
    before = len(recorded(stripe))
    pro = price(stripe, "moonly_pro_monthly")
    done = act(client, path, action="switch", subscription=sub.id, price=pro)
    assert done.status_code == 303 and done.headers["Location"].endswith(
        "?done=switched"
    )
    after = stripe.v1.subscriptions.retrieve(sub.id)
    assert after["items"].data[0].price.id == pro
    events = recorded(stripe)[before:]
    assert [e.type for e in events] == ["customer.subscription.updated"]
    previous = events[0].data["data"]["previous_attributes"]
    assert previous["items"]["data"][0]["price"]["id"] == price(stripe)
    shown = text(client.get(done.headers["Location"]))
    assert "Your plan was updated." in shown and "Pro $29.00 per month Active" in shown
    preview = stripe.v1.invoices.create_preview(params={"subscription": sub.id})
    assert preview.subtotal == 2900


def test_switching_plan_with_an_invoice_now(sandbox, stripe, catalog):
    configure(stripe, proration="always_invoice")
    sub = subscribe(stripe, coupon=False)
    _, client, path = portal(stripe, sandbox, sub.customer)
    before = len(recorded(stripe))
    pro = price(stripe, "moonly_pro_monthly")
    assert (
        act(client, path, action="switch", subscription=sub.id, price=pro).status_code
        == 303
    )
    after = stripe.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["latest_invoice"]}
    )
    invoice = after.latest_invoice
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    credit, charge = (line.amount for line in invoice.lines.data)
    # Switched seconds after the start: nearly the whole period is prorated.
    assert -1200 <= credit <= -1199 and 2899 <= charge <= 2900
    assert invoice.total == credit + charge
    assert all(
        line.parent.invoice_item_details.proration for line in invoice.lines.data
    )
    types = [e.type for e in recorded(stripe)[before:]]
    assert types[:2] == ["invoiceitem.created", "invoiceitem.created"]
    assert "charge.succeeded" in types and types[-1] == "customer.subscription.updated"
    renewal = stripe.v1.invoices.create_preview(params={"subscription": sub.id})
    assert renewal.total == 2900  # the prorations were invoiced already


def test_switching_plan_with_prorations_on_the_next_invoice(sandbox, stripe, catalog):
    configure(stripe, proration="create_prorations")
    sub = subscribe(stripe, coupon=False)
    _, client, path = portal(stripe, sandbox, sub.customer)
    pro = price(stripe, "moonly_pro_monthly")
    act(client, path, action="switch", subscription=sub.id, price=pro)
    preview = stripe.v1.invoices.create_preview(params={"subscription": sub.id})
    amounts = sorted(line.amount for line in preview.lines.data)
    assert amounts[1:] == [2900, 2900] or amounts[2] == 2900
    assert preview.total > 2900 + 1650  # 29.00 + about 29.00 - 12.00 of prorations
    from conftest import advance

    renewal = advance(stripe, sub.id)
    assert renewal["total"] == preview.total
    assert len(renewal["lines"]["data"]) == 3
    after = stripe.v1.invoices.create_preview(params={"subscription": sub.id})
    assert after.total == 2900  # each pending item is invoiced once


def test_cancel_at_period_end_then_renew(sandbox, stripe, catalog):
    configure(stripe)
    sub = subscribe(stripe)
    _, client, path = portal(stripe, sandbox, sub.customer)
    done = act(client, path, action="cancel", subscription=sub.id)
    assert done.headers["Location"].endswith("?done=cancel_scheduled")
    assert stripe.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is True
    shown = text(client.get(path))
    assert "Cancels" in shown and "Renew plan" in shown
    act(client, path, action="renew", subscription=sub.id)
    assert stripe.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is False
    updates = recorded(stripe, {"customer.subscription.updated"})
    assert (
        updates[-2].data["data"]["previous_attributes"]["cancel_at_period_end"] is False
    )
    assert (
        updates[-1].data["data"]["previous_attributes"]["cancel_at_period_end"] is True
    )


def test_cancel_immediately(sandbox, stripe, catalog):
    configure(stripe, mode="immediately")
    sub = subscribe(stripe)
    _, client, path = portal(stripe, sandbox, sub.customer)
    done = act(client, path, action="cancel", subscription=sub.id)
    assert done.headers["Location"].endswith("?done=canceled")
    assert stripe.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert recorded(stripe)[-1].type == "customer.subscription.deleted"
    assert "You have no active subscription." in text(client.get(path))


def test_changing_card(sandbox, stripe, catalog):
    configure(stripe)
    sub = subscribe(stripe)
    _, client, path = portal(stripe, sandbox, sub.customer)
    before = len(recorded(stripe))
    done = act(client, path, action="card", card="pm_card_mastercard")
    assert done.status_code == 303
    customer = stripe.v1.customers.retrieve(sub.customer)
    pm = stripe.v1.payment_methods.retrieve(
        customer.invoice_settings.default_payment_method
    )
    assert pm.card.last4 == "4444"
    assert stripe.v1.subscriptions.retrieve(sub.id).default_payment_method == pm.id
    assert [e.type for e in recorded(stripe)[before:]] == [
        "payment_method.attached",
        "customer.updated",
        "customer.subscription.updated",
    ]
    assert "Mastercard ending in 4444" in text(client.get(path))
    refused = act(client, path, action="card", card="pm_card_chargeDeclined")
    assert refused.status_code == 402 and "Your card was declined." in text(refused)


def test_another_customers_subscription_is_out_of_reach(sandbox, stripe, catalog):
    configure(stripe)
    mine = subscribe(stripe)
    theirs = subscribe(stripe)
    _, client, path = portal(stripe, sandbox, mine.customer)
    refused = act(client, path, action="cancel", subscription=theirs.id)
    assert refused.status_code == 404
    assert stripe.v1.subscriptions.retrieve(theirs.id).cancel_at_period_end is False
    assert client.get("/portal/bps_unknown").status_code == 404


def test_the_page_changes_nothing_on_get(sandbox, stripe, catalog):
    configure(stripe)
    sub = subscribe(stripe)
    _, client, path = portal(stripe, sandbox, sub.customer)
    before = len(recorded(stripe))
    client.get(path + "?action=cancel&subscription=" + sub.id)
    assert len(recorded(stripe)) == before


def test_return_urls_must_be_web_addresses(stripe, catalog):
    customer = stripe.v1.customers.create(params={})
    configure(stripe)
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        stripe.v1.billing_portal.sessions.create(
            params={"customer": customer.id, "return_url": "javascript:alert(1)"}
        )
    assert error.value.param == "return_url"
