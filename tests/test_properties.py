"""Property-based tests: arbitrary input at every form, the invite link, the webhook and
the token endpoint. Never a 500, never a partial write."""

import base64
import json
import uuid

import stripe as stripe_sdk
from helpers import AuthActions, csrf_token, sandbox_objects
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from moonly.accounts.models import Organization, User
from moonly.billing.events import StripeEvent
from moonly.extensions import db

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any text a browser could send (surrogates cannot be encoded in a form).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
# What can travel in an HTTP header: no control characters (a client cannot send them).
HEADER = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300
)
FIELD = st.one_of(
    TEXT, st.sampled_from(["", " ", "a@b.co", "x" * 5000, "<script>", "\x00"])
)


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(Organization)),
            len(sandbox_objects(app, "customer")),
            db.session.scalar(select(func.count()).select_from(StripeEvent)),
        )


@SETTINGS
@given(name=FIELD, email=FIELD, password=FIELD, organization=FIELD, ucc=FIELD)
def test_signup_form(app, name, email, password, organization, ucc):
    client = app.test_client()
    before = counts(app)
    token = csrf_token(client.get("/signup").get_data(as_text=True))
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "name": name,
            "email": email,
            "password": password,
            "organization": organization,
            "ucc": ucc,
        },
    )
    after = counts(app)
    assert response.status_code in (302, 400)
    if response.status_code == 302:  # the whole signup: user, organization, customer
        assert after[0] == before[0] + 1
        assert after[1] == before[1] + (1 if organization.strip() else 0)
        assert after[2] == before[2] + 1
    else:
        assert after == before


@SETTINGS
@given(email=FIELD, password=FIELD, next_url=FIELD)
def test_login_form(app, email, password, next_url):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": email,
            "password": password,
            "next": next_url,
        },
    )
    assert response.status_code == 400


@SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(["ucc", "productId", "referrerName", "celloN", "next", "x"]),
        FIELD,
        max_size=5,
    )
)
def test_invite_link_query(app, params):
    client = app.test_client()
    before = counts(app)
    for path in ("/", "/signup", "/pricing", "/login"):
        response = client.get(path, query_string=params)
        assert response.status_code in (200, 400), path
    assert counts(app)[:3] == before[:3]


@SETTINGS
@given(
    payment_method=FIELD,
    attempt=FIELD,
    lookup_key=st.sampled_from(
        ["moonly_starter_monthly", "moonly_pro_yearly", "nope", "..%2F"]
    ),
)
def test_checkout_form(app, payment_method, attempt, lookup_key):
    app.test_cli_runner().invoke(args=["stripe", "bootstrap"])
    client = app.test_client()
    assert (
        AuthActions(client)
        .signup(email=f"buyer{uuid.uuid4().hex}@example.com")
        .status_code
        == 302
    )
    before = len(sandbox_objects(app, "subscription"))
    page = client.get(f"/checkout/{lookup_key}")
    assert page.status_code in (200, 404)
    if page.status_code == 404:
        return
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        f"/checkout/{lookup_key}",
        data={
            "csrf_token": token,
            "payment_method": payment_method,
            "attempt": attempt,
        },
    )
    assert response.status_code in (302, 400, 402)
    after = len(sandbox_objects(app, "subscription"))
    assert after == before + (1 if response.status_code == 302 else 0)


@SETTINGS
@given(
    form=st.dictionaries(st.sampled_from(["confirm", "subscription_id", "x"]), FIELD)
)
def test_demo_and_account_forms(app, form):
    client = app.test_client()
    AuthActions(client).signup(email=f"demo{uuid.uuid4().hex}@example.com")
    token = csrf_token(client.get("/signup").get_data(as_text=True))
    before = counts(app)
    for path in ("/demo/advance", "/account/cancel"):
        response = client.post(path, data={**form, "csrf_token": token})
        assert response.status_code in (200, 302, 400, 404), path
    reset = client.post("/demo/reset", data={**form, "csrf_token": token})
    assert reset.status_code in (303, 400)
    if reset.status_code == 400:
        assert counts(app) == before


@SETTINGS
@given(
    body=st.one_of(TEXT, st.binary(max_size=300).map(lambda b: b.decode("latin-1"))),
    signature=st.one_of(st.none(), HEADER),
)
def test_webhook_with_arbitrary_bodies_and_signatures(app, body, signature):
    client = app.test_client()
    headers = {} if signature is None else {"Stripe-Signature": signature}
    response = client.post(
        "/webhooks/stripe", data=body.encode("utf-8", "surrogatepass"), headers=headers
    )
    assert response.status_code == 400
    assert counts(app)[3] == 0


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
    ),
    max_leaves=10,
)


@SETTINGS
@given(
    event_type=st.sampled_from(
        [
            "customer.created",
            "customer.subscription.updated",
            "invoice.paid",
            "charge.refunded",
            "some.unknown.type",
            "",
        ]
    ),
    object_id=st.one_of(TEXT, st.just("cus_missing")),
    extra=JSONISH,
)
def test_signed_events_with_odd_contents(app, event_type, object_id, extra):
    client = app.test_client()
    event = {
        "id": "evt_prop",
        "type": event_type,
        "data": {"object": {"id": object_id, "x": extra}},
    }
    body = json.dumps(event)
    signature = stripe_sdk.WebhookSignature.generate_signature_header(
        body, app.config["STRIPE_WEBHOOK_SECRET"]
    )
    response = client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
    )
    assert_stored_as_answered(app, "evt_prop", response.status_code)


def assert_stored_as_answered(app, event_id, status):
    """200: stored and processed; 400: nothing, or kept as rejected (never applied)."""
    assert status in (200, 400)
    with app.app_context():
        stored = db.session.get(StripeEvent, event_id) if event_id else None
        if status == 200:
            assert stored is not None and stored.processed_at is not None
        elif stored is not None:
            assert stored.processed_at is None
            assert stored.error.startswith("Rejected")
        if stored is not None:
            db.session.delete(stored)
            db.session.commit()


def post_signed(app, body: str):
    signature = stripe_sdk.WebhookSignature.generate_signature_header(
        body, app.config["STRIPE_WEBHOOK_SECRET"]
    )
    return app.test_client().post(
        "/webhooks/stripe",
        data=body.encode("utf-8", "surrogatepass"),
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


EVENT_ID = st.one_of(
    st.just("evt_fuzz"), TEXT, st.integers(), st.none(), st.just("e" * 300)
)


@SETTINGS
@given(
    event_id=EVENT_ID,
    event_type=st.one_of(st.sampled_from(["customer.created", "invoice.paid"]), TEXT),
    data=st.one_of(
        JSONISH,
        st.fixed_dictionaries({"object": JSONISH}),
        st.fixed_dictionaries(
            {"object": st.fixed_dictionaries({"id": st.one_of(TEXT, JSONISH)})}
        ),
    ),
)
def test_signed_events_of_any_shape(app, event_id, event_type, data):
    body = json.dumps({"id": event_id, "type": event_type, "data": data})
    response = post_signed(app, body)
    stored_id = event_id if isinstance(event_id, str) else None
    assert_stored_as_answered(app, stored_id, response.status_code)


@SETTINGS
@given(body=st.one_of(JSONISH.map(json.dumps), TEXT))
def test_signed_bodies_of_any_content(app, body):
    response = post_signed(app, body)
    assert response.status_code in (200, 400)
    with app.app_context():
        for event in db.session.scalars(select(StripeEvent)):
            assert (event.processed_at is not None) or event.error.startswith(
                "Rejected"
            )
            db.session.delete(event)
        db.session.commit()


def _note(fields: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()


NOTE = st.fixed_dictionaries(
    {},
    optional={
        "at": st.one_of(
            JSONISH,
            st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
            st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]),
        ),
        "path": st.one_of(TEXT, JSONISH),
        "product_id": st.one_of(TEXT, JSONISH),
        "referrer_name": st.one_of(TEXT, JSONISH),
        "replaced_ucc": st.one_of(TEXT, JSONISH),
    },
)
COOKIE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=";"),
    max_size=300,
)
INVITE_COOKIE = st.one_of(
    st.builds(
        lambda ucc, note: f"{ucc}.{_note(note)}",
        st.one_of(st.just("fuzz"), TEXT.filter(lambda t: "." not in t)),
        NOTE,
    ),
    COOKIE_TEXT,
)


@SETTINGS
@given(
    invite=INVITE_COOKIE,
    session=st.one_of(st.none(), COOKIE_TEXT),
    device=st.one_of(st.none(), COOKIE_TEXT),
)
def test_cookies_of_any_content(app, invite, session, device):
    """Whatever cookies the browser sends: never a 500, the signup whole or nothing."""
    client = app.test_client()
    client.set_cookie("moonly_invite", invite)
    if session is not None:
        client.set_cookie("session", session)
    if device is not None:
        client.set_cookie("moonly_device", device)
    for path in ("/", "/signup", "/pricing", "/login", "/account", "/demo/"):
        assert client.get(path).status_code in (200, 302), path
    before = counts(app)
    email = f"c{uuid.uuid4().hex}@example.com"
    response = AuthActions(client).signup(email=email)
    assert response.status_code == 302
    assert counts(app)[0] == before[0] + 1
    journey = client.get("/demo/api/journey", query_string={"email": email})
    assert journey.status_code == 200
    assert journey.json["user"]["email"] == email
    login = AuthActions(app.test_client())
    login.client.set_cookie("moonly_device", device or "")
    assert login.login(email=email).status_code == 302


@SETTINGS
@given(
    params=st.dictionaries(TEXT, TEXT, max_size=3),
    auth_header=st.one_of(st.none(), HEADER),
)
def test_token_endpoint(make_app, params, auth_header):
    app = make_app(CELLO_PRODUCT_ID="p", CELLO_PRODUCT_SECRET="s" * 64)
    client = app.test_client()
    email = f"t{uuid.uuid4().hex}@example.com"
    headers = {} if auth_header is None else {"Authorization": auth_header}
    nul = any("\x00" in k + v for k, v in params.items())  # refused before anything
    response = client.get("/cello/token", query_string=params, headers=headers)
    assert response.status_code == (400 if nul else 401)
    AuthActions(client).signup(email=email)
    response = client.get("/cello/token", query_string=params, headers=headers)
    assert response.status_code == (400 if nul else 200)
