"""/healthz and /readyz: cheap, unauthenticated, never cached, honest."""

import time

import pytest

from moonly import health
from moonly.cello.models import CelloEvent
from moonly.extensions import db


def test_healthz_answers_without_the_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "problems": []}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_database_does_not(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == ["database: OperationalError"]


def queue(app, due_seconds_ago, status="pending"):
    with app.app_context():
        db.session.add(
            CelloEvent(
                key=f"k{due_seconds_ago}{status}",
                trigger="new-signup",
                body={},
                status=status,
                next_attempt_at=int(time.time()) - due_seconds_ago,
            )
        )
        db.session.commit()


def test_readyz_is_503_when_the_cello_outbox_is_stuck(app, client):
    queue(app, 60)  # due a minute ago: a deliverer will get to it
    queue(app, 3600, status="sent")
    assert client.get("/readyz").status_code == 200
    queue(app, 20 * 60)  # past the 15 minutes allowed
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == ["cello outbox: an event is 20 minutes overdue"]


def test_another_delivery_check_joins_the_list(client, monkeypatch):
    monkeypatch.setattr(
        health, "DELIVERY_CHECKS", [*health.DELIVERY_CHECKS, lambda: "stripe: stuck"]
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == ["stripe: stuck"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_login_and_set_no_cookie(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_readyz_reports_stuck_sandbox_webhook_deliveries(make_app):
    import time

    from helpers import sandbox_session
    from sqlalchemy import update

    from moonly.stripe_sandbox.models import SandboxDelivery

    app = make_app()
    # This process runs the deliverer (without starting its thread in a test).
    app.config["STRIPE_SANDBOX_DELIVER"] = True
    client = app.test_client()
    with app.app_context():
        from moonly.billing import stripe_api

        stripe_api.client().v1.customers.create(params={"email": "late@example.com"})
    assert client.get("/readyz").status_code == 200  # due now, not late yet
    with sandbox_session(app) as session:
        session.execute(
            update(SandboxDelivery).values(next_attempt_at=int(time.time()) - 3600)
        )
        session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert any("stripe sandbox" in p for p in response.json["problems"])
