"""The demo console's JSON: journeys, the timeline, what Cello sees; reset, advance."""

import pytest
from helpers import csrf_token, deliver_webhooks, hidden_value, sandbox_session
from sqlalchemy import func, select
from test_checkout import checkout

from moonly.accounts.models import User
from moonly.cello.stripe_webhook import CELLO_EVENTS
from moonly.extensions import db
from moonly.stripe_sandbox.models import SandboxObject


def test_journeys_are_listed_newest_first(client, auth):
    auth.signup(email="first@example.com", ucc="one")
    auth.signup(email="second@example.com")
    listed = client.get("/demo/api/journeys").json["journeys"]
    assert [j["email"] for j in listed] == ["second@example.com", "first@example.com"]
    assert listed[1]["ucc"] == "one" and listed[0]["ucc"] is None


def test_journey_by_user_id_equals_journey_by_email(client, auth):
    auth.signup(ucc="test")
    user_id = client.get("/demo/api/journeys").json["journeys"][0]["user_id"]
    by_id = client.get(f"/demo/api/journey?user={user_id}").json
    by_email = client.get("/demo/api/journey?email=ana@example.com").json
    assert by_id["user"] == by_email["user"]
    assert [s["key"] for s in by_id["timeline"]] == [
        s["key"] for s in by_email["timeline"]
    ]


def test_timeline_follows_the_whole_journey(app, client, auth, catalog):
    client.get("/?ucc=UPobYBDuu0N&productId=moonly.example&referrerName=Alice")
    auth.signup(ucc="UPobYBDuu0N")
    checkout(client)
    deliver_webhooks(app, client)
    data = client.get("/demo/api/journey?email=ana@example.com").json
    steps = {s["key"]: s for s in data["timeline"]}
    assert steps["invite"]["title"] == "Invite link visited"
    assert steps["invite"]["details"]["referrerName"] == "Alice"
    assert "Cello's script (getUcc)" in steps["invite"]["summary"]
    assert steps["customer"]["status"] == "done"
    assert steps["customer"]["details"]["metadata"]["cello_ucc"] == "UPobYBDuu0N"
    assert steps["discount"]["details"]["coupon"] == "moonly-new-user"
    assert "$12.00 less $2.40 = $9.60" in steps["invoice"]["summary"]
    (subscription,) = [s for s in data["timeline"] if s["key"] == "subscription"]
    assert subscription["actions"][0]["kind"] == "advance"
    # Each webhook is folded into the step about its object, not a step of its own.
    assert [s for s in data["timeline"] if s["key"] == "webhook"] == []
    events = {e["type"]: s["key"] for s in data["timeline"] for e in s["events"]}
    assert events["customer.created"] == "customer"
    assert events["customer.subscription.created"] == "subscription"
    assert events["invoice.paid"] == "invoice"
    assert events["charge.succeeded"] == "charge"
    folded = [e for s in data["timeline"] for e in s["events"]]
    assert len(folded) == len(data["webhook_events"])
    assert all(e["status"] == "done" for e in folded)


def test_what_cello_sees_highlights_the_fields_it_reads(app, client, auth, catalog):
    auth.signup(ucc="UPobYBDuu0N")
    checkout(client)
    deliver_webhooks(app, client)
    view = client.get("/demo/api/journey?email=ana@example.com").json["cello_view"]
    types = [v["type"] for v in view]
    assert "customer.created" in types and "invoice.paid" in types
    assert set(types) <= set(CELLO_EVENTS)
    created = next(v for v in view if v["type"] == "customer.created")
    fields = {f["path"]: f["value"] for f in created["fields"]}
    assert fields["data.object.metadata.cello_ucc"] == "UPobYBDuu0N"
    paid = next(v for v in view if v["type"] == "invoice.paid")
    fields = {f["path"]: f["value"] for f in paid["fields"]}
    assert fields["data.object.amount_paid"] == 960
    assert fields["data.object.total_discount_amounts"][0]["amount"] == 240


def test_direct_signup_timeline_says_there_is_nothing_to_attribute(client, auth):
    auth.signup()
    steps = client.get("/demo/api/journey?email=ana@example.com").json["timeline"]
    assert steps[0]["key"] == "invite" and steps[0]["status"] == "info"


def test_advance_makes_a_renewal_invoice(app, client, auth, catalog):
    auth.signup(ucc="test")
    checkout(client)
    data = client.get("/demo/api/journey?email=ana@example.com").json
    subscription_id = data["stripe"]["subscriptions"][0]["id"]
    token = csrf_token(client.get("/demo/").get_data(as_text=True))
    response = client.post(
        "/demo/advance", data={"csrf_token": token, "subscription_id": subscription_id}
    )
    assert response.status_code == 200, response.json
    assert response.json["object"] == "invoice" and response.json["status"] == "paid"
    invoices = client.get("/demo/api/journey?email=ana@example.com").json["stripe"][
        "invoices"
    ]
    assert len(invoices) == 2
    missing = client.post(
        "/demo/advance", data={"csrf_token": token, "subscription_id": "sub_nope"}
    )
    assert missing.status_code == 404


def test_reset_needs_confirmation_then_empties_everything(app, client, auth, catalog):
    auth.signup(ucc="test")
    checkout(client)
    token = csrf_token(client.get("/demo/").get_data(as_text=True))
    refused = client.post("/demo/reset", data={"csrf_token": token})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    client.get("/?ucc=stale&productId=x")  # this browser's own invite
    done = client.post("/demo/reset", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 303
    cookies = done.headers.getlist("Set-Cookie")
    assert any(c.startswith("moonly_invite=;") for c in cookies)
    assert "Reset done" in client.get("/demo/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    with sandbox_session(app) as session:
        kinds = set(session.scalars(select(SandboxObject.object)))
    # The catalog and the app's webhook endpoint are back, nothing else.
    assert kinds == {
        "coupon",
        "product",
        "price",
        "webhook_endpoint",
        "billing_portal.configuration",
    }
    assert client.get("/demo/api/journeys").json["journeys"] == []


def test_fresh_visit_forgets_this_browser_and_opens_the_link(client, auth):
    client.get("/?ucc=old&productId=x")
    auth.signup(ucc="old")
    token = csrf_token(client.get("/demo/").get_data(as_text=True))
    response = client.post(
        "/demo/fresh-visit", data={"csrf_token": token, "to": "/?ucc=new&productId=x"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/?ucc=new&productId=x"
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("moonly_invite=;") for c in cookies)
    assert any(c.startswith("cello-referral=;") for c in cookies)
    assert client.get("/account").status_code == 302  # logged out


def test_a_get_of_fresh_visit_only_asks(client, auth):
    auth.signup()
    page = client.get("/demo/fresh-visit?to=/%3Fucc%3Dnew%26productId%3Dx")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Open as a new visitor?" in html
    assert hidden_value(html, "to") == "/?ucc=new&amp;productId=x"
    assert client.get("/account").status_code == 200  # still logged in
    assert "moonly_invite=;" not in page.headers.get("Set-Cookie", "")


def test_fresh_visit_needs_the_csrf_token(client, auth):
    auth.signup()
    response = client.post("/demo/fresh-visit", data={"to": "/"})
    assert response.status_code == 400
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\r\nSet-Cookie: x=1"]
)
def test_fresh_visit_only_goes_to_local_pages(client, target):
    token = csrf_token(client.get("/demo/").get_data(as_text=True))
    assert (
        client.get("/demo/fresh-visit", query_string={"to": target}).status_code == 200
    )
    response = client.post(
        "/demo/fresh-visit", data={"csrf_token": token, "to": target}
    )
    assert response.headers["Location"] == "/"


def test_console_is_absent_when_demo_is_off(make_app):
    client = make_app(MOONLY_DEMO=False).test_client()
    assert client.get("/demo/").status_code == 404
    assert client.get("/demo/api/journeys").status_code == 404
