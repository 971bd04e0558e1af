"""Every event Cello listens to also keeps Moonly's records equal to Stripe's."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from helpers import sandbox_events
from sqlalchemy import select
from test_checkout import checkout
from test_webhooks import signed
from werkzeug.serving import make_server

from moonly.billing.events import StripeEvent
from moonly.billing.models import Charge, Invoice, Subscription
from moonly.billing.stripe_api import advance_subscription
from moonly.cello.stripe_webhook import CELLO_EVENTS
from moonly.extensions import db


def deliver(client, event):
    body, headers = signed(event)
    return client.post("/webhooks/stripe", data=body, headers=headers)


def local(app, model, object_id):
    with app.app_context():
        return db.session.get(model, object_id)


@pytest.fixture
def subscribed(app, client, auth, catalog, stripe):
    """A referred user with an active Starter plan; returns the Stripe subscription."""
    auth.signup(ucc="test")
    assert checkout(client).status_code == 302
    with app.app_context():
        # Start from an empty local record: only webhooks may fill it from here on.
        for model in (Subscription, Invoice, Charge):
            db.session.query(model).delete()
        db.session.commit()
    (subscription,) = stripe.v1.subscriptions.list(params={"status": "all"}).data
    return subscription


def test_each_of_the_ten_cello_events_is_processed(app, client, stripe, subscribed):
    charge = stripe.v1.charges.list().data[0]
    stripe.v1.charges.update(charge.id, params={"description": "Moonly Starter"})
    stripe.v1.refunds.create(params={"charge": charge.id, "amount": 100})
    customer = stripe.v1.customers.create(params={"email": "temp@example.com"})
    stripe.v1.customers.update(customer.id, params={"name": "Temp"})
    stripe.v1.customers.delete(customer.id)
    stripe.v1.subscriptions.update(subscribed.id, params={"cancel_at_period_end": True})
    stripe.v1.subscriptions.cancel(subscribed.id)

    events = sandbox_events(app)
    seen = {e["type"] for e in events}
    assert set(CELLO_EVENTS) <= seen
    for event in events:
        response = deliver(client, event)
        assert response.status_code == 200, (event["type"], response.json)

    with app.app_context():
        rows = {e.id: e for e in db.session.scalars(select(StripeEvent))}
    assert all(rows[e["id"]].processed_at and not rows[e["id"]].error for e in events)

    sub = local(app, Subscription, subscribed.id)
    assert sub.status == "canceled"
    invoice = local(app, Invoice, subscribed.latest_invoice)
    assert (invoice.status, invoice.total, invoice.total_discount) == ("paid", 960, 240)
    refunded = local(app, Charge, charge.id)
    assert (refunded.amount, refunded.amount_refunded, refunded.refunded) == (
        960,
        100,
        False,
    )


def test_unknown_event_type_is_stored_and_acknowledged(app, client):
    event = {
        "id": "evt_unknown",
        "object": "event",
        "type": "radar.early_fraud_warning.created",
        "data": {"object": {"id": "issfr_1", "object": "radar.early_fraud_warning"}},
    }
    response = deliver(client, event)
    assert response.status_code == 200
    row = local(app, StripeEvent, "evt_unknown")
    assert row.type == "radar.early_fraud_warning.created"
    assert row.processed_at is not None


def test_out_of_order_subscription_events_end_in_stripes_state(
    app, client, stripe, subscribed
):
    stripe.v1.subscriptions.update(subscribed.id, params={"cancel_at_period_end": True})
    stripe.v1.subscriptions.update(
        subscribed.id, params={"metadata": {"note": "later"}}
    )
    events = [
        e for e in sandbox_events(app) if e["type"].startswith("customer.subscription.")
    ]
    assert [e["type"] for e in events][0] == "customer.subscription.created"
    for event in reversed(events):  # newest first, the created event last
        assert deliver(client, event).status_code == 200
    current = stripe.v1.subscriptions.retrieve(subscribed.id)
    row = local(app, Subscription, subscribed.id)
    assert row.status == current.status == "active"
    assert row.cancel_at_period_end is True
    assert row.current_period_end == current["items"].data[0].current_period_end


def test_a_late_event_does_not_undo_a_cancellation(app, client, stripe, subscribed):
    stripe.v1.subscriptions.cancel(subscribed.id)
    (created,) = sandbox_events(app, "customer.subscription.created")
    (deleted,) = sandbox_events(app, "customer.subscription.deleted")
    deliver(client, deleted)
    deliver(client, created)  # arrives days late, with a snapshot from before
    assert created["data"]["object"]["status"] != "canceled"
    assert local(app, Subscription, subscribed.id).status == "canceled"


def test_renewal_events_update_the_invoices(app, client, stripe, subscribed):
    with app.app_context():
        renewal = advance_subscription(subscribed.id)
    for event in sandbox_events(app, "invoice.paid"):
        deliver(client, event)
    row = local(app, Invoice, renewal["id"])
    assert (row.status, row.total, row.billing_reason) == (
        "paid",
        960,
        "subscription_cycle",
    )


def test_handler_error_is_recorded_answered_500_and_reprocessed(
    app, client, stripe, sandbox, runner, subscribed
):
    (event,) = sandbox_events(app, "customer.subscription.created")
    sandbox.faults.fail_next(1, "server_error")
    response = deliver(client, event)
    assert response.status_code == 500
    row = local(app, StripeEvent, event["id"])
    assert row.processed_at is None and "APIError" in row.error
    assert local(app, Subscription, subscribed.id) is None  # nothing half-written

    result = runner.invoke(args=["stripe", "reprocess-failed"])
    assert result.exit_code == 0, result.output
    assert "1 event(s) processed, 0 still failing." in result.output
    row = local(app, StripeEvent, event["id"])
    assert row.processed_at is not None and row.error is None
    assert local(app, Subscription, subscribed.id).status == "active"


def test_stripe_retry_of_a_failed_event_processes_it(app, client, sandbox, subscribed):
    (event,) = sandbox_events(app, "customer.subscription.created")
    sandbox.faults.fail_next(1, "server_error")
    assert deliver(client, event).status_code == 500
    response = deliver(client, event)  # Stripe's retry
    assert response.status_code == 200 and response.json["duplicate"] is False
    assert local(app, Subscription, subscribed.id).status == "active"


def test_concurrent_duplicate_deliveries_are_processed_once(app, subscribed):
    (event,) = sandbox_events(app, "customer.subscription.created")
    body, headers = signed(event)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}/webhooks/stripe"
    results: list = []
    barrier = threading.Barrier(6)

    def send():
        request = urllib.request.Request(url, data=body.encode(), headers=headers)
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                results.append(
                    (response.status, json.loads(response.read())["duplicate"])
                )
        except urllib.error.HTTPError as error:
            results.append((error.code, None))

    threads = [threading.Thread(target=send) for _ in range(6)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        server.shutdown()
    assert len(results) == 6
    assert {status for status, _ in results} <= {200, 409}
    assert sum(1 for status, duplicate in results if duplicate is False) == 1
    with app.app_context():
        rows = db.session.scalars(
            select(StripeEvent).where(StripeEvent.id == event["id"])
        ).all()
    assert len(rows) == 1 and rows[0].processed_at is not None
    assert local(app, Subscription, subscribed.id).status == "active"


def test_customer_event_links_a_customer_whose_answer_was_lost(
    app, client, auth, sandbox, stripe
):
    sandbox.faults.fail_next(1, "lost_response")
    auth.signup(ucc="test")
    with app.app_context():
        from moonly.accounts.models import User

        assert db.session.scalar(select(User.stripe_customer_id)) is None
    (event,) = sandbox_events(app, "customer.created")
    deliver(client, event)
    with app.app_context():
        assert (
            db.session.scalar(select(User.stripe_customer_id))
            == event["data"]["object"]["id"]
        )


def test_stored_payload_is_the_verified_body(app, client, stripe):
    stripe.v1.customers.create(params={"email": "p@example.com"})
    (event,) = sandbox_events(app, "customer.created")
    deliver(client, event)
    assert local(app, StripeEvent, event["id"]).payload == json.loads(json.dumps(event))


def test_a_customer_deleted_in_stripe_is_unlinked_and_replaced_at_checkout(
    app, client, auth, catalog, stripe
):
    from moonly.accounts.models import User

    auth.signup(ucc="test", organization="Acme")
    with app.app_context():
        user = db.session.scalar(select(User))
    first = user.stripe_customer_id
    stripe.v1.customers.delete(first)
    (deleted,) = sandbox_events(app, "customer.deleted")
    assert deliver(client, deleted).status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.stripe_customer_id is None
        assert user.stripe_customers_deleted == 1

    # The next checkout makes a new customer with the same metadata for Cello.
    assert checkout(client).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        expected = {
            "cello_ucc": "test",
            "new_user_id": user.public_id,
            "new_user_organization_id": user.organization_public_id,
        }
    assert user.stripe_customer_id not in (None, first)
    customer = stripe.v1.customers.retrieve(user.stripe_customer_id)
    assert customer.metadata.to_dict() == expected


def test_a_replayed_customer_deleted_event_of_a_live_customer_changes_nothing(
    app, client, auth, stripe
):
    from moonly.accounts.models import User

    auth.signup()
    with app.app_context():
        user = db.session.scalar(select(User))
    (created,) = sandbox_events(app, "customer.created")
    forged = {**created, "id": "evt_forged_delete", "type": "customer.deleted"}
    assert deliver(client, forged).status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(select(User)).stripe_customer_id
            == user.stripe_customer_id
        )
