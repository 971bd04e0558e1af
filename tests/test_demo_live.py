"""The console's server-rendered parts: following, the live poll, the buttons, the
invite builder, declined cards."""

import re

import pytest
from helpers import AuthActions, csrf_token, deliver_webhooks
from test_checkout import checkout

HX = {"HX-Request": "true"}


def fingerprint(html: str) -> str:
    return re.search(r'name="v" value="([0-9a-f]+)"', html).group(1)


def test_the_console_follows_the_newest_signup(app, client, auth):
    auth.signup(name="Rita Rehearsal", email="rita@example.com")
    page = client.get("/demo/").get_data(as_text=True)
    assert '<h2 id="journey-title" class="glance-name">Rita Rehearsal</h2>' in page
    shown = re.search(r'name="shown" value="(usr_\w+)"', page).group(1)
    version = fingerprint(page)
    assert client.get(f"/demo/live?shown={shown}&v={version}").status_code == 204

    AuthActions(app.test_client()).signup(
        name="Dave Visitor", email="dave@example.com", ucc="dave1"
    )
    live = client.get(f"/demo/live?shown={shown}&v={version}")
    assert live.status_code == 200
    html = live.get_data(as_text=True)
    assert "Dave Visitor</h2>" in html
    assert "New signup: Dave Visitor — now following." in html
    assert 'id="journeys" aria-labelledby="journeys-title" hx-swap-oob="true"' in html


def test_a_pinned_journey_stays_and_says_a_newer_one_exists(app, client, auth):
    auth.signup(name="Rita Rehearsal", email="rita@example.com")
    rita = client.get("/demo/api/journeys").json["journeys"][0]["user_id"]
    AuthActions(app.test_client()).signup(name="Eve Later", email="eve@example.com")
    html = client.get(f"/demo/live?user={rita}&shown={rita}").get_data(as_text=True)
    assert "Rita Rehearsal</h2>" in html
    assert "Pinned to Rita Rehearsal. Newer signup: Eve Later." in html
    missing = client.get("/demo/?user=usr_nobody").get_data(as_text=True)
    assert "No signup usr_nobody: following the newest instead." in missing
    assert "Eve Later</h2>" in missing


def test_names_are_escaped_everywhere_in_the_console(client, auth):
    auth.signup(name="<img src=x onerror=alert(1)>", email="xss@example.com")
    html = client.get("/demo/").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def act(client, user_id: str, kind: str, target: str, headers=None):
    token = csrf_token(client.get("/demo/").get_data(as_text=True))
    return client.post(
        "/demo/actions",
        data={"csrf_token": token, "user": user_id, "kind": kind, "target": target},
        headers=headers or {},
    )


def actions_of(client):
    data = client.get("/demo/api/journey?email=ana@example.com").json
    return data["user"]["id"], {a["kind"]: a["target"] for a in data["actions"]}


def test_each_button_does_what_it_says_and_shows_it(app, client, auth, catalog):
    auth.signup(ucc="buttons1")
    checkout(client)
    deliver_webhooks(app, client)
    user_id, actions = actions_of(client)
    assert set(actions) == {"advance", "switch", "refund", "cancel"}

    advanced = act(client, user_id, "advance", actions["advance"], HX)
    html = advanced.get_data(as_text=True)
    assert advanced.status_code == 200
    assert "Next period: a new invoice of $9.60 (paid)." in html
    assert html.count('<span class="amount">$9.60</span>') == 2

    refunded = act(client, user_id, "refund", actions_of(client)[1]["refund"], HX)
    assert "Refunded $9.60: Stripe sends charge.refunded." in refunded.get_data(
        as_text=True
    )
    switched = act(client, user_id, "switch", actions["switch"], HX)
    assert "Switched to Pro: prorated from today." in switched.get_data(as_text=True)
    deliver_webhooks(app, client)
    data = client.get("/demo/api/journey?email=ana@example.com").json
    assert data["stripe"]["subscriptions"][0]["items"]["data"][0]["price"][
        "lookup_key"
    ] == ("moonly_pro_monthly")
    keys = [s["key"] for s in data["timeline"]]
    assert "refund" in keys and "plan-switched" in keys

    # Without htmx: a redirect back with the message flashed.
    canceled = act(client, user_id, "cancel", actions["cancel"])
    assert canceled.status_code == 303
    page = client.get(canceled.headers["Location"]).get_data(as_text=True)
    assert "Subscription canceled: Stripe sends customer.subscription.deleted." in page
    deliver_webhooks(app, client)
    keys = [
        s["key"]
        for s in client.get("/demo/api/journey?email=ana@example.com").json["timeline"]
    ]
    assert "subscription-canceled" in keys


def test_a_stale_or_forged_button_changes_nothing(app, client, auth, catalog):
    auth.signup(ucc="stale1")
    checkout(client)
    user_id, actions = actions_of(client)
    html = act(client, user_id, "advance", "sub_forged", HX).get_data(as_text=True)
    assert "That action is not available for this journey any more" in html
    assert "not available" in act(client, user_id, "drop_tables", "x", HX).get_data(
        as_text=True
    )
    assert act(client, "usr_nobody", "advance", actions["advance"]).status_code == 303
    invoices = client.get("/demo/api/journey?email=ana@example.com").json["stripe"][
        "invoices"
    ]
    assert len(invoices) == 1


def test_end_the_trial_now(make_app):
    app = make_app(MOONLY_TRIAL_DAYS=14)
    assert app.test_cli_runner().invoke(args=["stripe", "bootstrap"]).exit_code == 0
    client = app.test_client()
    AuthActions(client).signup(ucc="trial1")
    checkout(client)
    user_id, actions = actions_of(client)
    assert "end_trial" in actions
    html = act(client, user_id, "end_trial", actions["end_trial"], HX).get_data(
        as_text=True
    )
    assert "Trial ended: the subscription is active." in html


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("referrerName=Al&ucc=abc&productId=p", "ucc=abc"),
        ("referrerName=%3Cb%3E&ucc=abc", "referrerName=%3Cb%3E"),
    ],
)
def test_the_invite_builder_renders_the_link_on_the_server(client, query, shown):
    html = client.get(f"/demo/invite?{query}").get_data(as_text=True)
    assert shown in html and "<b>" not in html


def test_the_invite_builder_refuses_a_bad_code(client):
    html = client.get("/demo/invite?ucc=%22%3E%3Cscript%3E").get_data(as_text=True)
    assert "Use 1–64 letters, digits, _ or - only" in html
    assert "<script>" not in html
    assert 'id="open-visitor" disabled' in html
    generated = client.get("/demo/invite?ucc=&generate=1").get_data(as_text=True)
    assert re.search(r'id="ucc-input"[^>]*value="[A-Za-z0-9]{11}"', generated)
    assert 'hx-swap-oob="true"' in generated


def test_a_declined_card_is_in_the_timeline(app, client, auth, catalog):
    auth.signup(ucc="decline1")
    assert checkout(client, card="pm_card_chargeDeclined").status_code == 402
    steps = client.get("/demo/api/journey?email=ana@example.com").json["timeline"]
    (declined,) = [s for s in steps if s["key"] == "payment-failed"]
    assert declined["status"] == "failed"
    assert "Your card was declined." in declined["summary"]
    assert declined["details"]["code"] == "card_declined"


def test_the_console_still_works_after_opening_a_new_visitor(client, auth):
    """Opening a visitor logs the browser out, but the console's forms stay valid."""
    auth.signup(ucc="first1")
    token = csrf_token(client.get("/demo/").get_data(as_text=True))
    for target in ("/?ucc=first1&productId=x", "/"):
        response = client.post(
            "/demo/fresh-visit", data={"csrf_token": token, "to": target}
        )
        assert response.status_code == 303, response.status_code
        assert response.headers["Location"] == target
    assert client.get("/account").status_code == 302  # logged out


def test_an_app_signup_shows_as_one_in_the_console(client):
    from api_client import ApiClient

    api = ApiClient(client)
    created = api.post(
        "/signups",
        json={
            "name": "Mo Bile",
            "email": "mo@example.com",
            "password": "correct horse battery staple",
            "referral_ucc": "AppCode123",
        },
    )
    assert created.status_code == 201, created.json
    html = client.get("/demo/").get_data(as_text=True)
    assert "Mo Bile</h2>" in html
    assert 'AppCode123</code> <span class="muted">from the mobile app</span>' in html
    assert '<span class="tag">app</span>' in html
    steps = client.get("/demo/api/journey?email=mo@example.com").json["timeline"]
    assert "the mobile app sent it at signup (referral_ucc)" in steps[0]["summary"]
