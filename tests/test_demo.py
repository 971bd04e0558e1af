from helpers import deliver_webhooks


def test_journey_shows_user_and_customer_as_stripe_holds_it(app, client, auth):
    auth.signup(email="ana@example.com", organization="Acme", ucc="test")
    deliver_webhooks(app, client)
    response = client.get("/demo/api/journey?email=Ana@Example.com")
    assert response.status_code == 200
    body = response.json
    assert set(body) >= {"user", "stripe", "webhook_events", "cello_events"}
    user = body["user"]
    assert user["email"] == "ana@example.com"
    assert (user["ucc"], user["ucc_source"]) == ("test", "form")
    customer = body["stripe"]["customer"]
    assert customer["object"] == "customer"
    assert customer["metadata"] == {
        "cello_ucc": "test",
        "new_user_id": user["id"],
        "new_user_organization_id": user["organization_id"],
    }
    assert [e["type"] for e in body["webhook_events"]] == ["customer.created"]
    assert body["cello_events"] == []


def test_journey_needs_an_email(client):
    response = client.get("/demo/api/journey")
    assert response.status_code == 400
    assert "email" in response.json["error"]


def test_journey_of_unknown_email_is_404(client):
    assert client.get("/demo/api/journey?email=nobody@example.com").status_code == 404


def test_journey_is_absent_when_demo_is_off(make_app, auth):
    client = make_app(MOONLY_DEMO=False).test_client()
    assert client.get("/demo/api/journey?email=ana@example.com").status_code == 404


def test_journey_lists_subscriptions_and_invoices_as_stripe_returns_them(
    app, client, auth, catalog
):
    from test_checkout import checkout

    auth.signup(ucc="test")
    checkout(client)
    body = client.get("/demo/api/journey?email=ana@example.com").json
    (subscription,) = body["stripe"]["subscriptions"]
    assert subscription["object"] == "subscription"
    assert subscription["status"] == "active"
    assert subscription["metadata"]["cello_ucc"] == "test"
    (invoice,) = body["stripe"]["invoices"]
    assert invoice["object"] == "invoice"
    assert (invoice["total"], invoice["total_discount_amounts"][0]["amount"]) == (
        960,
        240,
    )
    assert (
        invoice["parent"]["subscription_details"]["subscription"] == subscription["id"]
    )
