"""Scenario B: signup events for the Cello API, delivered from a durable outbox."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest
from cello_standin import EVENT_SCHEMA
from helpers import sandbox_objects
from sqlalchemy import select, update

from moonly.accounts.models import User
from moonly.background import POLICY
from moonly.cello import outbox
from moonly.cello.models import CelloEvent
from moonly.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def b_client(scenario_b):
    return scenario_b.test_client()


@pytest.fixture
def b_auth(b_client):
    from helpers import AuthActions

    return AuthActions(b_client)


def events(app):
    with app.app_context():
        return db.session.scalars(select(CelloEvent).order_by(CelloEvent.id)).all()


def deliver(app):
    with app.app_context():
        return outbox.deliver_due()


def make_due(app):
    with app.app_context():
        db.session.execute(update(CelloEvent).values(next_attempt_at=0))
        db.session.commit()


def test_signup_queues_one_event_and_no_stripe_customer(scenario_b, b_auth):
    b_auth.signup(ucc="UPobYBDuu0N", organization="Acme")
    with scenario_b.app_context():
        user = db.session.scalar(select(User))
        organization_id = user.organization.public_id
        assert user.stripe_customer_id is None
    assert sandbox_objects(scenario_b, "customer") == []
    (event,) = events(scenario_b)
    assert event.status == "pending"
    jsonschema.validate(event.body, EVENT_SCHEMA)
    assert event.body["payload"] == {
        "ucc": "UPobYBDuu0N",
        "newUserId": user.public_id,
        "price": 0,
        "currency": "",
    }
    assert event.body["context"]["newUser"] == {
        "id": user.public_id,
        "email": "ana@example.com",
        "name": "Ana Lima",
        "organizationId": organization_id,
    }
    assert event.body["context"]["event"]["trigger"] == "new-signup"


def test_unreferred_signup_sends_nothing(scenario_b, b_auth):
    b_auth.signup()
    assert events(scenario_b) == []


def test_event_is_sent_once_with_a_reused_token(scenario_b, b_auth, cello):
    for n in range(3):
        b_auth.signup(email=f"u{n}@example.com", ucc=f"ucc{n}")
    report = deliver(scenario_b)
    assert report.sent == 3
    assert cello.logins == 1  # one token for the whole process
    assert [a["body"]["payload"]["ucc"] for a in cello.accepted] == [
        "ucc0",
        "ucc1",
        "ucc2",
    ]
    assert all(
        e.status == "sent" and e.sent_at and e.attempts == 1 for e in events(scenario_b)
    )
    assert deliver(scenario_b).sent == 0  # never sent again
    assert len(cello.accepted) == 3


def test_token_is_renewed_with_the_refresh_token_before_it_expires(
    scenario_b, b_auth, cello
):
    cello.expires_in = 30  # inside the renewal margin: stale at once
    b_auth.signup(ucc="first")
    deliver(scenario_b)
    b_auth.signup(email="second@example.com", ucc="second")
    deliver(scenario_b)
    assert (cello.logins, cello.refreshes) == (1, 1)
    assert len(cello.accepted) == 2


def test_failed_refresh_authenticates_again(scenario_b, b_auth, cello):
    cello.expires_in = 30
    cello.refuse_refresh = True
    b_auth.signup(ucc="first")
    deliver(scenario_b)
    b_auth.signup(email="second@example.com", ucc="second")
    deliver(scenario_b)
    assert (cello.logins, cello.refreshes) == (2, 0)
    assert len(cello.accepted) == 2


def test_401_gets_a_new_token_and_one_more_try(scenario_b, b_auth, cello):
    b_auth.signup(ucc="test")
    deliver(scenario_b)  # logs in
    b_auth.signup(email="b@example.com", ucc="again")
    cello.event_outcomes.append("expire")
    report = deliver(scenario_b)
    assert report.sent == 1
    assert cello.logins == 2
    assert len(cello.accepted) == 2


def test_503_then_success_is_sent_exactly_once(scenario_b, b_auth, cello):
    b_auth.signup(ucc="test")
    cello.event_outcomes.append(503)
    before = int(time.time())
    assert deliver(scenario_b).retrying == 1
    (event,) = events(scenario_b)
    assert (event.status, event.attempts, event.last_status) == ("pending", 1, 503)
    assert (
        before + 1 <= event.next_attempt_at <= before + 3
    )  # first retry within seconds
    assert deliver(scenario_b).sent == 0  # not due yet
    make_due(scenario_b)
    assert deliver(scenario_b).sent == 1
    assert len(cello.accepted) == 1
    (event,) = events(scenario_b)
    assert (event.status, event.attempts, event.last_error) == ("sent", 2, None)


def test_timeout_is_retried_with_the_same_idempotency_key(scenario_b, b_auth, cello):
    b_auth.signup(ucc="test")
    cello.event_outcomes.append("stall")
    deliver(scenario_b)
    (event,) = events(scenario_b)
    assert event.status == "pending"
    assert "did not answer within 0.5 s" in event.last_error
    make_due(scenario_b)
    deliver(scenario_b)
    keys = [key for path, key in cello.requests if path == "/events"]
    assert len(keys) == 2 and keys[0] == keys[1] == event.key
    assert len(cello.accepted) == 1


def test_400_is_failed_with_cellos_message_and_shown(
    scenario_b, b_auth, b_client, cello
):
    b_auth.signup(ucc="test")
    cello.event_outcomes.append(400)
    assert deliver(scenario_b).failed == 1
    (event,) = events(scenario_b)
    assert event.status == "failed"
    assert "Cello answered 400: stand-in answered 400" in event.last_error
    make_due(scenario_b)
    assert deliver(scenario_b).sent == 0  # a refused event is not sent again
    journey = b_client.get("/demo/api/journey?email=ana@example.com").json
    (shown,) = journey["cello_events"]
    assert shown["status"] == "failed"
    assert "stand-in answered 400" in shown["last_error"]


def test_gives_up_only_after_days(scenario_b, b_auth, cello):
    b_auth.signup(ucc="test")
    with scenario_b.app_context():
        from datetime import UTC, datetime, timedelta

        four_days_ago = datetime.now(UTC) - timedelta(days=4)
        db.session.execute(update(CelloEvent).values(created_at=four_days_ago))
        db.session.commit()
    cello.event_outcomes.append(503)
    assert deliver(scenario_b).failed == 1
    assert events(scenario_b)[0].status == "failed"


def test_backoff_grows_with_jitter_and_is_capped():
    for attempts, low, high in [(1, 1, 2), (2, 2, 4), (3, 4, 8), (12, 150, 300)]:
        delays = [POLICY.retry_delay(attempts) for _ in range(50)]
        assert all(low <= d <= high for d in delays)
        assert len(set(delays)) > 1  # jitter


def test_without_credentials_events_wait_visibly(make_app, cello):
    app = make_app(
        MOONLY_REFERRAL_FLOW="customer_at_purchase", CELLO_API_BASE=cello.base
    )
    from helpers import AuthActions

    client = app.test_client()
    AuthActions(client).signup(ucc="test")
    report = deliver(app)
    assert report.not_configured == 1
    (event,) = events(app)
    assert (event.status, event.last_error) == ("not_configured", outbox.NOT_CONFIGURED)
    (shown,) = client.get("/demo/api/journey?email=ana@example.com").json[
        "cello_events"
    ]
    assert shown["status"] == "not_configured"
    assert shown["request"]["url"] == cello.base + "/events"
    assert shown["request"]["body"] == event.body
    assert cello.requests == []

    # Once keys are configured, the waiting event goes out.
    app.config.update(
        CELLO_ACCESS_KEY_ID=cello.key_id, CELLO_SECRET_ACCESS_KEY=cello.secret
    )
    assert deliver(app).sent == 1
    assert len(cello.accepted) == 1


def test_event_survives_a_process_killed_before_delivery(
    scenario_b, database_uri, cello
):
    """A real process signs up and is killed with SIGKILL right after the commit."""
    script = f"""
import os, signal
from moonly import create_app
from moonly.referral.signup import Referral, sign_up
app = create_app({{"SQLALCHEMY_DATABASE_URI": {database_uri!r},
    "MOONLY_REFERRAL_FLOW": "customer_at_purchase", "CELLO_ACCESS_KEY_ID": "key_test",
    "CELLO_SECRET_ACCESS_KEY": "secret_test", "CELLO_API_BASE": {cello.base!r}}},
    env="testing")
with app.test_request_context():
    sign_up(name="Kim", email="kim@example.com", password="correct horse battery",
            organization=None, referral=Referral("killed1", "form"))
    os.kill(os.getpid(), signal.SIGKILL)
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    (event,) = events(scenario_b)
    assert event.status == "pending" and cello.accepted == []
    assert deliver(scenario_b).sent == 1
    assert deliver(scenario_b).sent == 0
    assert [a["body"]["payload"]["ucc"] for a in cello.accepted] == ["killed1"]


def test_two_deliverers_at_once_send_each_event_once(scenario_b, cello):
    with scenario_b.app_context():
        for n in range(20):
            user = User(
                email=f"p{n}@example.com", name=f"P {n}", password_hash="x", ucc=f"u{n}"
            )
            db.session.add(user)
            db.session.flush()
            outbox.queue_signup(user)
        db.session.commit()
    cello.delay = 0.02  # keep both deliverers busy at the same time
    barrier = threading.Barrier(2)
    reports = []

    def run():
        with scenario_b.app_context():
            barrier.wait()
            reports.append(outbox.deliver_due())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    keys = [a["key"] for a in cello.accepted]
    assert len(keys) == 20 and len(set(keys)) == 20
    assert sum(r.sent for r in reports) == 20
    assert all(e.status == "sent" for e in events(scenario_b))


def test_background_dispatcher_delivers_soon_after_signup(make_app, cello):
    app = make_app(
        MOONLY_REFERRAL_FLOW="customer_at_purchase",
        CELLO_ACCESS_KEY_ID=cello.key_id,
        CELLO_SECRET_ACCESS_KEY=cello.secret,
        CELLO_API_BASE=cello.base,
        CELLO_BACKGROUND_DELIVERY=True,
    )
    from helpers import AuthActions

    AuthActions(app.test_client()).signup(ucc="bg")
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not cello.accepted:
            time.sleep(0.05)
        assert [a["body"]["payload"]["ucc"] for a in cello.accepted] == ["bg"]
    finally:
        app.extensions["moonly.background"].stop()


def test_deliver_command(scenario_b, b_auth, cello):
    b_auth.signup(ucc="test")
    result = scenario_b.test_cli_runner().invoke(args=["cello", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry, 0 failed" in result.output
    assert len(cello.accepted) == 1
