"""`flask cello connect-stripe` and `flask cello check` against the sandbox; scenario B
from signup to a discounted subscription."""

import pytest

from moonly.cello.stripe_webhook import CELLO_EVENTS

CELLO_URL = "https://api.sandbox.cello.so/integrations/webhooks/stripe/moonly-test"
SECRET = "product-secret-for-tests-only-" + "0123456789" * 4


@pytest.fixture
def ready_app(make_app):
    return make_app(CELLO_PRODUCT_ID="moonly.example", CELLO_PRODUCT_SECRET=SECRET)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def cello_endpoints(stripe_api):
    """Endpoints to Cello (the app's own offline endpoint is there too)."""
    return [e for e in stripe_api.webhook_endpoints() if "cello.so" in e.url]


def test_connect_then_check_passes(ready_app):
    assert run(ready_app, "stripe", "bootstrap").exit_code == 0
    connected = run(ready_app, "cello", "connect-stripe", "--endpoint-url", CELLO_URL)
    assert connected.exit_code == 0, connected.output
    assert "Signing secret (shown once): whsec_" in connected.output
    assert "paste it" in connected.output
    with ready_app.app_context():
        from moonly.billing import stripe_api

        (endpoint,) = cello_endpoints(stripe_api)
        assert endpoint.url == CELLO_URL
        assert sorted(endpoint.enabled_events) == sorted(CELLO_EVENTS)
    check = run(ready_app, "cello", "check")
    assert check.exit_code == 0, check.output
    assert "FAIL" not in check.output
    assert "PASS  its events are exactly the ten Cello needs" in check.output
    assert "5 checks passed, 0 failed" in check.output


def test_connect_twice_updates_the_same_endpoint(ready_app):
    run(ready_app, "cello", "connect-stripe", "--endpoint-url", CELLO_URL)
    again = run(ready_app, "cello", "connect-stripe", "--endpoint-url", CELLO_URL)
    assert again.exit_code == 0
    assert "Updated we_" in again.output
    assert "whsec_" not in again.output
    with ready_app.app_context():
        from moonly.billing import stripe_api

        assert len(cello_endpoints(stripe_api)) == 1


def test_check_names_a_missing_and_an_extra_event(ready_app):
    run(ready_app, "stripe", "bootstrap")
    run(ready_app, "cello", "connect-stripe", "--endpoint-url", CELLO_URL)
    with ready_app.app_context():
        from moonly.billing import stripe_api

        (endpoint,) = cello_endpoints(stripe_api)
        events = [e for e in CELLO_EVENTS if e != "invoice.paid"] + ["invoice.created"]
        stripe_api.update_webhook_endpoint(endpoint.id, events)
    check = run(ready_app, "cello", "check")
    assert check.exit_code == 1
    assert (
        "FAIL  its events are not the ten Cello needs: missing invoice.paid; "
        "extra invoice.created" in check.output
    )


def test_check_without_anything_set_up_fails_on_each_point(make_app):
    app = make_app(MOONLY_REFERRAL_FLOW="customer_at_purchase")
    check = run(app, "cello", "check")
    assert check.exit_code == 1
    assert "FAIL  no enabled Stripe webhook endpoint to a cello.so URL" in check.output
    assert "FAIL  coupon moonly-new-user is missing" in check.output
    assert (
        "FAIL  scenario B (customer_at_purchase) needs CELLO_ACCESS_KEY_ID"
        in check.output
    )
    assert (
        "FAIL  Referral component: CELLO_PRODUCT_ID, CELLO_PRODUCT_SECRET not set"
        in check.output
    )


def test_connect_refuses_a_non_https_url(ready_app):
    result = run(
        ready_app, "cello", "connect-stripe", "--endpoint-url", "http://example.com/x"
    )
    assert result.exit_code == 2
    assert "must be the https:// URL" in result.output


def test_scenario_b_end_to_end(make_app, catalog, httpserver):
    """Signup: no customer, one Cello event. Checkout: customer with metadata and
    discount."""
    from cello_standin import CelloStandIn
    from helpers import AuthActions
    from test_checkout import checkout

    cello = CelloStandIn()
    app = make_app(
        MOONLY_REFERRAL_FLOW="customer_at_purchase",
        CELLO_ACCESS_KEY_ID=cello.key_id,
        CELLO_SECRET_ACCESS_KEY=cello.secret,
        CELLO_API_BASE=cello.attach(httpserver),
    )
    run(app, "stripe", "bootstrap")
    client = app.test_client()
    AuthActions(client).signup(ucc="UPobYBDuu0N")
    journey = client.get("/demo/api/journey?email=ana@example.com").json
    assert journey["stripe"]["customer"] is None
    assert [e["status"] for e in journey["cello_events"]] == ["pending"]
    assert run(app, "cello", "deliver").exit_code == 0
    assert [a["body"]["payload"]["ucc"] for a in cello.accepted] == ["UPobYBDuu0N"]

    assert checkout(client).status_code == 302
    journey = client.get("/demo/api/journey?email=ana@example.com").json
    user_id = journey["user"]["id"]
    assert journey["stripe"]["customer"]["metadata"] == {
        "cello_ucc": "UPobYBDuu0N",
        "new_user_id": user_id,
    }
    (subscription,) = journey["stripe"]["subscriptions"]
    assert len(subscription["discounts"]) == 1
    (invoice,) = journey["stripe"]["invoices"]
    assert invoice["total"] == 960
    assert [e["status"] for e in journey["cello_events"]] == ["sent"]
