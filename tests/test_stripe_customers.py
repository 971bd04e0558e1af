"""A Stripe failure at signup never loses the signup, and a retry makes exactly one
customer."""

from helpers import sandbox_session
from sqlalchemy import delete, select

from moonly.accounts.models import User
from moonly.extensions import db
from moonly.stripe_sandbox.models import SandboxIdempotencyKey


def the_user(app):
    with app.app_context():
        return db.session.scalar(select(User))


def customers_of(stripe, email):
    return stripe.v1.customers.list(params={"email": email}).data


def test_stripe_down_at_signup_then_sync_makes_one_customer(
    app, client, auth, stripe, sandbox, runner
):
    sandbox.faults.fail_next(1, "connection")
    response = auth.signup(ucc="test")
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # created and logged in
    user = the_user(app)
    assert user.stripe_customer_id is None
    assert user.stripe_customer_attempts == 1
    assert "APIConnectionError" in user.stripe_customer_error
    assert customers_of(stripe, "ana@example.com") == []

    result = runner.invoke(args=["stripe", "sync-customers"])
    assert result.exit_code == 0, result.output
    assert "1 customer(s) created, 0 still failing." in result.output
    user = the_user(app)
    (customer,) = customers_of(stripe, "ana@example.com")
    assert user.stripe_customer_id == customer.id
    assert user.stripe_customer_error is None
    assert customer.metadata.to_dict() == {
        "cello_ucc": "test",
        "new_user_id": user.public_id,
    }

    # Nothing left to do: a second run creates nothing.
    result = runner.invoke(args=["stripe", "sync-customers"])
    assert "0 customer(s) created, 0 still failing." in result.output
    assert len(customers_of(stripe, "ana@example.com")) == 1


def test_lost_answer_then_retry_replays_instead_of_creating_a_second(
    app, auth, stripe, sandbox, runner
):
    # Stripe made the customer, but its answer never arrived.
    sandbox.faults.fail_next(1, "lost_response")
    auth.signup(ucc="test")
    assert the_user(app).stripe_customer_id is None
    assert len(customers_of(stripe, "ana@example.com")) == 1

    runner.invoke(args=["stripe", "sync-customers"])
    (customer,) = customers_of(stripe, "ana@example.com")
    assert the_user(app).stripe_customer_id == customer.id


def test_late_retry_after_idempotency_keys_expired_adopts_the_customer(
    app, auth, stripe, sandbox, runner
):
    sandbox.faults.fail_next(1, "lost_response")
    auth.signup(ucc="test")
    with sandbox_session(app) as session:  # 24 hours later, Stripe forgot the key
        session.execute(delete(SandboxIdempotencyKey))
        session.commit()
    runner.invoke(args=["stripe", "sync-customers"])
    (customer,) = customers_of(stripe, "ana@example.com")
    assert the_user(app).stripe_customer_id == customer.id


def test_sdk_retry_with_the_same_idempotency_key_makes_one_customer(make_app):
    app = make_app(STRIPE_MAX_NETWORK_RETRIES=1)
    from helpers import AuthActions

    with app.app_context():
        from moonly.billing import stripe_api

        client = stripe_api.client()
        app.extensions["moonly.stripe_sandbox"].faults.fail_next(1, "lost_response")
    AuthActions(app.test_client()).signup(ucc="test")
    user = the_user(app)
    assert user.stripe_customer_id is not None
    assert user.stripe_customer_attempts == 1
    with app.app_context():
        assert (
            len(client.v1.customers.list(params={"email": "ana@example.com"}).data) == 1
        )


def test_sync_reports_failures_with_a_nonzero_exit(app, auth, sandbox, runner):
    sandbox.faults.fail_next(1, "server_error")
    auth.signup()
    sandbox.faults.fail_next(1, "server_error")
    result = runner.invoke(args=["stripe", "sync-customers"])
    assert result.exit_code == 1
    assert "0 customer(s) created, 1 still failing." in result.output
    assert the_user(app).stripe_customer_attempts == 2


def test_account_page_says_billing_is_pending(client, auth, sandbox):
    sandbox.faults.fail_next(1, "connection")
    auth.signup()
    assert "Billing profile pending" in client.get("/account").get_data(as_text=True)
