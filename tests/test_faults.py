"""Faults: Stripe failing during signup and checkout, the Cello API failing, the
database refusing a commit. After recovery nothing is lost and nothing is doubled."""

from collections import Counter

import pytest
from flask_sqlalchemy.session import Session as AppSession
from helpers import AuthActions, sandbox_objects
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError
from test_checkout import checkout

from moonly.accounts.models import User
from moonly.billing.models import Subscription
from moonly.cello import outbox
from moonly.cello.models import CelloEvent
from moonly.extensions import db


def users(app):
    with app.app_context():
        return db.session.scalars(select(User).order_by(User.id)).all()


def test_stripe_failing_during_signups_then_recovery(app, sandbox, runner):
    sandbox.faults.set_rates(
        seed=7, server_error=0.3, connection=0.15, lost_response=0.15
    )
    for n in range(20):
        response = AuthActions(app.test_client()).signup(
            email=f"user{n}@example.com", ucc=f"ucc{n}"
        )
        assert response.status_code == 302  # the signup itself never fails
    missing = sum(1 for u in users(app) if u.stripe_customer_id is None)
    assert missing > 0  # the faults really hit

    sandbox.faults.clear()
    result = runner.invoke(args=["stripe", "sync-customers"])
    assert result.exit_code == 0, result.output

    customers = sandbox_objects(app, "customer")
    by_user = Counter(c["metadata"]["new_user_id"] for c in customers)
    assert len(customers) == 20 and set(by_user.values()) == {1}
    for user in users(app):
        (customer,) = [c for c in customers if c["id"] == user.stripe_customer_id]
        assert customer["metadata"] == {
            "cello_ucc": user.ucc,
            "new_user_id": user.public_id,
        }


def test_stripe_failing_during_checkouts_then_recovery(app, sandbox, catalog):
    clients = []
    for n in range(8):
        client = app.test_client()
        AuthActions(client).signup(email=f"buyer{n}@example.com", ucc=f"b{n}")
        clients.append(client)
    sandbox.faults.set_rates(
        seed=11, server_error=0.2, lost_response=0.2, connection=0.1
    )
    outcomes = Counter()

    def buy(client, tries):
        for _ in range(tries):  # the buyer tries again until it goes through
            if client.get("/checkout/moonly_starter_monthly").status_code == 302:
                return  # Moonly knows the plan: checkout sends them to /account
            outcomes[checkout(client).status_code] += 1

    for client in clients:
        buy(client, 3)
    assert outcomes[402] > 0  # failures were seen and shown, never a 500
    sandbox.faults.clear()  # Stripe recovers
    for client in clients:
        buy(client, 3)
    assert set(outcomes) <= {302, 402}

    subscriptions = sandbox_objects(app, "subscription")
    per_customer = Counter(s["customer"] for s in subscriptions)
    assert len(per_customer) == 8 and set(per_customer.values()) == {1}
    paid = [i for i in sandbox_objects(app, "invoice") if i["status"] == "paid"]
    assert len(paid) == 8 and {i["total"] for i in paid} == {960}
    with app.app_context():
        local = db.session.scalars(select(Subscription)).all()
        assert {s.id: s.status for s in local} == {
            s["id"]: s["status"] for s in subscriptions
        }


def test_cello_api_failing_then_recovery_sends_each_event_once(make_app, httpserver):
    from cello_standin import CelloStandIn

    cello = CelloStandIn()
    app = make_app(
        MOONLY_REFERRAL_FLOW="customer_at_purchase",
        CELLO_ACCESS_KEY_ID=cello.key_id,
        CELLO_SECRET_ACCESS_KEY=cello.secret,
        CELLO_API_BASE=cello.attach(httpserver),
        CELLO_API_TIMEOUT=0.3,
    )
    cello.stall_seconds = 0.6
    cello.event_outcomes.extend([503, "stall", 500, 429, "expire", 503, "stall", 502])
    for n in range(10):
        AuthActions(app.test_client()).signup(
            email=f"b{n}@example.com", ucc=f"cello{n}"
        )
    with app.app_context():
        for _ in range(10):  # delivery rounds, as the background deliverer runs them
            outbox.deliver_due()
            db.session.execute(update(CelloEvent).values(next_attempt_at=0))
            db.session.commit()
        events = db.session.scalars(select(CelloEvent)).all()
    assert {e.status for e in events} == {"sent"}
    keys = [a["key"] for a in cello.accepted]
    assert len(keys) == 10 and len(set(keys)) == 10
    assert sorted(a["body"]["payload"]["ucc"] for a in cello.accepted) == sorted(
        f"cello{n}" for n in range(10)
    )
    assert any(e.attempts > 1 for e in events)


@pytest.fixture
def refuse_commits():
    """Make the app's next N commits fail as a database that refuses them would."""
    state = {"left": 0}

    def refuse(session):
        if state["left"] > 0:
            state["left"] -= 1
            raise OperationalError(
                "COMMIT", {}, Exception("database refused the commit")
            )

    event.listen(AppSession, "before_commit", refuse)
    yield state
    event.remove(AppSession, "before_commit", refuse)


def test_database_refusing_the_signup_commit(app, client, auth, refuse_commits):
    refuse_commits["left"] = 1
    response = auth.signup(ucc="test")
    assert response.status_code == 503
    assert "nothing was changed" in response.get_data(as_text=True)
    assert users(app) == []
    assert sandbox_objects(app, "customer") == []  # no customer for a user that isn't

    assert auth.signup(ucc="test").status_code == 302
    (user,) = users(app)
    (customer,) = sandbox_objects(app, "customer")
    assert customer["metadata"]["new_user_id"] == user.public_id


def test_database_refusing_after_stripe_subscribed(
    app, client, auth, catalog, refuse_commits
):
    auth.signup(ucc="test")
    page = client.get("/checkout/moonly_starter_monthly").get_data(as_text=True)
    refuse_commits["left"] = 1  # Stripe charges, then Moonly cannot record it
    from helpers import hidden_value

    form = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "attempt": hidden_value(page, "attempt"),
        "payment_method": "pm_card_visa",
    }
    assert client.post("/checkout/moonly_starter_monthly", data=form).status_code == 503
    # Reloading the checkout page starts a new attempt; it must not subscribe twice.
    again = checkout(client)
    assert again.status_code == 302 and again.headers["Location"] == "/account"
    assert len(sandbox_objects(app, "subscription")) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1
