"""Delete my account: personal data goes at once, the Stripe customer follows (or
later)."""

from helpers import STRONG_PASSWORD, csrf_token, deliver_webhooks, sandbox_events
from sqlalchemy import select
from test_checkout import checkout

from moonly.accounts.models import Organization, User
from moonly.billing.models import Invoice
from moonly.extensions import db


def the_user(app):
    with app.app_context():
        return db.session.scalar(select(User))


def delete(client, password=STRONG_PASSWORD):
    token = csrf_token(client.get("/account").get_data(as_text=True))
    return client.post(
        "/account/delete", data={"csrf_token": token, "password": password}
    )


def test_deleting_removes_personal_data_cancels_and_deletes_the_customer(
    app, client, auth, catalog, stripe
):
    auth.signup(email="gone@example.com", organization="Solo Co", ucc="test")
    assert checkout(client).status_code == 302
    before = the_user(app)
    customer_id = before.stripe_customer_id

    response = delete(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"

    after = the_user(app)
    assert after.deleted_at is not None and after.deletion_finished_at is not None
    assert after.email.endswith("@deleted.invalid") and after.name == "Deleted user"
    assert "gone@example.com" not in (after.email, after.name)
    assert after.public_id == before.public_id and after.ucc == "test"  # ids stay
    with app.app_context():
        assert db.session.scalar(select(Organization)).name == "Deleted organization"
        assert db.session.scalar(select(Invoice)) is not None  # accounting keeps it
    # Stripe: the subscription is canceled and the customer deleted, so Cello's
    # webhook receives customer.deleted.
    assert stripe.v1.customers.retrieve(customer_id).to_dict().get("deleted") is True
    (subscription,) = stripe.v1.subscriptions.list(
        params={"customer": customer_id, "status": "all"}
    ).data
    assert subscription.status == "canceled"
    assert [e["type"] for e in sandbox_events(app, "customer.deleted")] == [
        "customer.deleted"
    ]
    # Stripe's deliveries carry no browser cookies: a client of their own.
    deliver_webhooks(app, app.test_client())
    assert the_user(app).stripe_customer_id == customer_id  # kept as history

    # Logged out, and the old email and password no longer open anything.
    assert client.get("/account").status_code == 302
    assert auth.login("gone@example.com").status_code == 400  # refused, form again
    assert client.get("/account").status_code == 302
    # The email is free for a new signup.
    again = auth.signup(email="gone@example.com")
    assert again.status_code == 302, again.get_data(as_text=True)[-3000:]


def test_a_wrong_password_deletes_nothing(app, client, auth):
    auth.signup()
    response = delete(client, password="not my password at all")
    assert response.status_code == 400
    assert "That password is not right." in response.get_data(as_text=True)
    user = the_user(app)
    assert user.deleted_at is None and user.email == "ana@example.com"


def test_with_stripe_down_the_deletion_finishes_later(
    app, client, auth, runner, sandbox, stripe
):
    auth.signup(ucc="test")
    customer_id = the_user(app).stripe_customer_id
    sandbox.faults.fail_next(5, "server_error")
    response = delete(client)
    sandbox.faults.clear()
    assert response.status_code == 303
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "deleted automatically as soon as it answers" in page
    user = the_user(app)
    assert user.deleted_at is not None and user.deletion_finished_at is None
    assert user.email.endswith("@deleted.invalid")  # personal data gone already

    result = runner.invoke(args=["stripe", "finish-deletions"])
    assert result.exit_code == 0, result.output
    assert "1 deletion(s) finished, 0 still pending." in result.output
    assert the_user(app).deletion_finished_at is not None
    assert stripe.v1.customers.retrieve(customer_id).to_dict().get("deleted") is True
    # Twice: nothing left to do, nothing lost.
    again = runner.invoke(args=["stripe", "finish-deletions"])
    assert "0 deletion(s) finished, 0 still pending." in again.output


def test_a_deleted_customer_already_gone_in_stripe_counts_as_done(
    app, client, auth, runner, sandbox, stripe
):
    auth.signup()
    customer_id = the_user(app).stripe_customer_id
    sandbox.faults.fail_next(
        1, "lost_response"
    )  # Stripe deleted it; the answer was lost
    delete(client)
    assert the_user(app).deletion_finished_at is None
    assert stripe.v1.customers.retrieve(customer_id).to_dict().get("deleted") is True
    assert runner.invoke(args=["stripe", "finish-deletions"]).exit_code == 0
    assert the_user(app).deletion_finished_at is not None


def test_the_demo_journey_ends_with_the_deletion(app, client, auth):
    auth.signup(ucc="test")
    public_id = the_user(app).public_id
    delete(client)
    journey = client.get(f"/demo/api/journey?user={public_id}").json
    assert journey["user"]["deleted_at"]
    last = journey["timeline"][-1]
    assert last["key"] == "account-deleted" and last["status"] == "done"
