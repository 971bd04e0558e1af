"""POST /api/v1/signups: the web signup's rules and attribution, for the mobile app."""

import jsonschema
import pytest
from api_client import ApiClient, error_of
from cello_standin import EVENT_SCHEMA
from helpers import STRONG_PASSWORD, AuthActions, sandbox_objects
from sqlalchemy import func, select
from test_faults import refuse_commits as refuse_commits_fixture

from moonly.accounts.models import Organization, User
from moonly.api.models import ApiToken
from moonly.cello import outbox
from moonly.cello.models import CelloEvent
from moonly.extensions import db


@pytest.fixture
def api(client):
    return ApiClient(client)


def the_users(app):
    with app.app_context():
        return db.session.scalars(select(User).order_by(User.id)).all()


def user_organization(user_id):
    return db.session.get(User, user_id).organization.public_id


refuse_commits = refuse_commits_fixture  # the database refusing the next commit(s)


def counts(app):
    """Users, organizations, tokens, Cello events and Stripe customers."""
    with app.app_context():
        tables = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Organization, ApiToken, CelloEvent)
        ]
    return (*tables, len(sandbox_objects(app, "customer")))


# Scenario A: the Stripe customer carries Cello's metadata.


def test_referred_app_signup_makes_the_customer_with_cellos_metadata(app, api):
    response = api.signup(
        email="Ana@Example.com", organization="Acme", referral_ucc="A1B2C"
    )
    assert response.status_code == 201
    (user,) = the_users(app)
    with app.app_context():
        organization_id = db.session.scalar(select(Organization.public_id))
    assert response.json["user"] == {
        "id": user.public_id,
        "email": "ana@example.com",
        "name": "Ana Lima",
        "organization_id": organization_id,
    }
    assert user.public_id.startswith("usr_") and organization_id.startswith("org_")
    assert (user.ucc, user.ucc_source) == ("A1B2C", "app")
    (customer,) = sandbox_objects(app, "customer")
    assert user.stripe_customer_id == customer["id"]
    assert (customer["email"], customer["name"]) == ("ana@example.com", "Ana Lima")
    assert customer["metadata"] == {
        "cello_ucc": "A1B2C",
        "new_user_id": user.public_id,
        "new_user_organization_id": organization_id,
    }
    # The token works at once.
    assert api.get("/me").json["user"] == response.json["user"]


def test_unreferred_app_signup_makes_a_customer_without_a_ucc(app, api):
    response = api.signup()
    assert response.status_code == 201
    assert response.json["user"]["organization_id"] is None
    (user,) = the_users(app)
    assert (user.ucc, user.ucc_source) == (None, None)
    (customer,) = sandbox_objects(app, "customer")
    assert customer["metadata"] == {"new_user_id": user.public_id}


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_absent_or_empty_referral_ucc_is_no_referral(app, api, empty):
    assert api.signup(referral_ucc=empty).status_code == 201
    (user,) = the_users(app)
    assert (user.ucc, user.ucc_source) == (None, None)


def test_the_ucc_is_trimmed_like_the_pages(app, api):
    assert api.signup(referral_ucc="  UPobYBDuu0N ").status_code == 201
    assert the_users(app)[0].ucc == "UPobYBDuu0N"


# Scenario B: Cello's new-signup event through the outbox, no customer yet.


def test_referred_app_signup_queues_cellos_new_signup_event(scenario_b, cello):
    api = ApiClient(scenario_b.test_client())
    response = api.signup(organization="Acme", referral_ucc="UPobYBDuu0N")
    assert response.status_code == 201
    (user,) = the_users(scenario_b)
    assert (user.ucc_source, user.stripe_customer_id) == ("app", None)
    assert sandbox_objects(scenario_b, "customer") == []
    with scenario_b.app_context():
        (event,) = db.session.scalars(select(CelloEvent)).all()
        organization_id = user_organization(user.id)
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
    with scenario_b.app_context():
        assert outbox.deliver_due().sent == 1
    (accepted,) = cello.accepted
    assert accepted["body"]["payload"]["ucc"] == "UPobYBDuu0N"
    jsonschema.validate(accepted["body"], EVENT_SCHEMA)


def test_unreferred_app_signup_in_scenario_b_sends_nothing(scenario_b):
    assert ApiClient(scenario_b.test_client()).signup().status_code == 201
    assert counts(scenario_b) == (1, 0, 1, 0, 0)


# Refusals: nothing stored.


def test_the_same_email_in_another_case_is_a_conflict(app, api):
    assert api.signup(email="ana@example.com").status_code == 201
    before = counts(app)
    for spelling in ("ANA@EXAMPLE.COM", " Ana@example.com ", "ａｎａ@example.com"):
        again = ApiClient(app.test_client()).signup(email=spelling, name="Other")
        assert error_of(again) == (409, "email_taken", "email")
        assert "already exists" in again.json["error"]["message"]
    assert counts(app) == before


def test_an_email_taken_on_the_web_is_taken_in_the_app_and_back(app, client):
    assert AuthActions(client).signup(email="web@example.com").status_code == 302
    api = ApiClient(app.test_client())
    assert error_of(api.signup(email="WEB@example.com"))[:2] == (409, "email_taken")
    assert api.signup(email="app@example.com").status_code == 201
    web = AuthActions(app.test_client()).signup(email="App@Example.com")
    assert web.status_code == 400 and "already exists" in web.text


@pytest.mark.parametrize(
    "ucc",
    ["a b", "A1B2C!", "<script>", "x" * 65, "ucc.with.dots", "ü", "A1B2C\x00"],
)
def test_an_invalid_referral_ucc_is_refused_and_nothing_is_stored(app, api, ucc):
    response = api.signup(referral_ucc=ucc)
    assert error_of(response) == (422, "invalid_field", "referral_ucc")
    assert counts(app) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("name", None, "missing_field", "name is required."),
        ("name", "", "missing_field", "name is required."),
        ("name", "   ", "invalid_field", "Tell us your name."),
        ("name", "n" * 121, "invalid_field", "cannot be longer than 120"),
        ("name", "Ana\u202eevil", "invalid_field", "Use visible characters only"),
        ("name", 7, "invalid_field", "name must be a string."),
        ("email", None, "missing_field", "email is required."),
        ("email", "not-an-email", "invalid_field", "Enter a valid email address"),
        ("email", ["ana@example.com"], "invalid_field", "must be a string"),
        ("email", "a\x00@example.com", "invalid_field", "without NUL"),
        ("password", None, "missing_field", "password is required."),
        ("password", "short", "invalid_field", "Use at least 10 characters."),
        ("password", "password123", "invalid_field", "too easy to guess"),
        ("password", "x" * 129, "invalid_field", "Use at most 128 characters."),
        ("password", "\ud800" * 12, "invalid_field", "unpaired surrogate"),
        ("password", {"a": 1}, "invalid_field", "must be a string"),
        ("organization", "Acme\u200b", "invalid_field", "Use visible characters"),
        ("organization", "o" * 121, "invalid_field", "cannot be longer than 120"),
        ("organization", 3.5, "invalid_field", "must be a string"),
        ("referral_ucc", 12345, "invalid_field", "must be a string"),
    ],
)
def test_a_missing_or_invalid_field_is_a_422_naming_it(
    app, api, field, value, code, message
):
    body = {
        "name": "Ana Lima",
        "email": "ana@example.com",
        "password": STRONG_PASSWORD,
        field: value,
    }
    if value is None and field != "referral_ucc":
        del body[field]
    response = api.post("/signups", json=body)
    assert error_of(response) == (422, code, field)
    assert message in response.json["error"]["message"]
    assert counts(app) == (0, 0, 0, 0, 0)


def test_a_null_required_field_is_missing_too(app, api):
    response = api.post(
        "/signups", json={"name": None, "email": "a@example.com", "password": "x"}
    )
    assert error_of(response) == (422, "missing_field", "name")


def test_the_web_signup_and_the_api_refuse_with_the_same_words(app, api):
    """One set of rules: the page shows the message the API answers."""
    cases = {
        "password": "password123",
        "email": "not-an-email",
        "name": "Ana\u202eevil",
    }
    for field, value in cases.items():
        message = api.signup(**{field: value}).json["error"]["message"]
        page = AuthActions(app.test_client()).signup(**{field: value})
        assert page.status_code == 400
        assert message.replace("'", "&#39;") in page.text, field
    assert counts(app) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("content_type", "data", "code"),
    [
        ("text/plain", '{"name": "Ana"}', "unsupported_content_type"),
        ("application/x-www-form-urlencoded", "name=Ana", "unsupported_content_type"),
        (None, "", "unsupported_content_type"),
        ("application/json", "", "malformed_json"),
        ("application/json", "{", "malformed_json"),
        ("application/json", "{'name': 'Ana'}", "malformed_json"),
        ("application/json", b"\xff\xfe{}", "malformed_json"),
        ("application/json", "[" * 60_000, "malformed_json"),  # too deep
        ("application/json", "1" * 5000, "malformed_json"),
        ("application/json", "[]", "invalid_body"),
        ("application/json", '"Ana"', "invalid_body"),
        ("application/json", "null", "invalid_body"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(app, api, content_type, data, code):
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post("/signups", data=data, headers=headers)
    assert error_of(response) == (400, code, None)
    assert counts(app) == (0, 0, 0, 0, 0)


def test_a_body_over_64_kib_is_a_413(app, api):
    response = api.signup(name="n" * 70_000)
    assert error_of(response) == (413, "too_large", None)
    assert counts(app) == (0, 0, 0, 0, 0)


def test_the_web_signup_still_records_its_own_source(app, auth):
    auth.signup(ucc="webucc")
    assert the_users(app)[0].ucc_source == "form"


# Faults: a user with a token, or nothing.


def test_a_database_refusing_the_signup_stores_nothing_and_a_retry_works(
    app, client, refuse_commits
):
    api = ApiClient(client, allow_5xx=True)
    refuse_commits["left"] = 1
    response = api.signup(referral_ucc="A1B2C")
    assert error_of(response) == (503, "unavailable", None)
    assert "nothing was changed" in response.json["error"]["message"]
    assert counts(app) == (0, 0, 0, 0, 0)
    assert api.signup(referral_ucc="A1B2C").status_code == 201
    assert counts(app) == (1, 0, 1, 0, 1)
    assert api.get("/me").status_code == 200


def test_stripe_down_at_an_app_signup_still_signs_up_and_records_it(app, sandbox):
    api = ApiClient(app.test_client())
    sandbox.faults.fail_next(1, "connection")
    assert api.signup(referral_ucc="A1B2C").status_code == 201
    (user,) = the_users(app)
    assert user.stripe_customer_id is None and user.stripe_customer_attempts == 1
    assert api.get("/me").status_code == 200  # the customer waits for a retry
