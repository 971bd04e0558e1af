"""Property-based tests: arbitrary JSON bodies, raw bodies and headers at the mobile
API. Never a 500, always a JSON error naming what is wrong, never a partial write."""

import json
import uuid

from api_client import ApiClient
from helpers import STRONG_PASSWORD, sandbox_objects
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from moonly.accounts.models import Organization, User
from moonly.accounts.service import normalize_email
from moonly.api.models import ApiToken
from moonly.extensions import db
from moonly.referral.invites import clean_ucc

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any text JSON can carry, lone surrogates and NUL included.
TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", " ", "a@b.co", "x" * 5000, "<script>", "\x00", "\ud800"]),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
    ),
    max_leaves=8,
)
HEADER = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300
)
FIELDS = ["name", "email", "password", "organization", "referral_ucc", "x"]
# For each field, values a real app sends (so that many examples sign up, or meet a
# taken email) or anything JSON can hold.
VALID = {
    "name": st.sampled_from(["Zoë Ångström", "李小龙", " Ana "]),
    "email": st.one_of(
        st.just("DUP@example.com"), st.uuids().map(lambda u: f"{u.hex}@Example.COM")
    ),
    "password": st.just("another good passphrase"),
    "organization": st.sampled_from([None, "", " ", "Acme", " Acme "]),
    "referral_ucc": st.sampled_from([None, "", "A1B2C", " UPobYBDuu0N "]),
    "x": JSON,
}
CHANGES = st.fixed_dictionaries(
    {}, optional={field: st.one_of(VALID[field], JSON) for field in FIELDS}
)


def counts(app):
    with app.app_context():
        tables = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Organization, ApiToken)
        ]
    return (*tables, len(sandbox_objects(app, "customer")))


def valid_signup() -> dict:
    return {
        "name": "Ana Lima",
        "email": f"p{uuid.uuid4().hex}@example.com",
        "password": STRONG_PASSWORD,
    }


@SETTINGS
@given(
    changes=CHANGES,
    dropped=st.sets(st.sampled_from(FIELDS[:3]), max_size=1),
)
def test_signup_bodies(app, changes, dropped):
    """A valid signup with some fields replaced or dropped: the whole signup, or a
    4xx naming the field and nothing written."""
    body = {**valid_signup(), **changes}
    for field in dropped:
        body.pop(field, None)
    before = counts(app)
    response = ApiClient(app.test_client()).post(
        "/signups", data=json.dumps(body), content_type="application/json"
    )
    after = counts(app)
    event(f"answered {response.status_code}")
    assert response.status_code in (201, 409, 422)
    if response.status_code == 201:
        organization = body.get("organization")
        has_organization = isinstance(organization, str) and organization.strip()
        assert after == (
            before[0] + 1,
            before[1] + (1 if has_organization else 0),
            before[2] + 1,
            before[3] + 1,
        )
        with app.app_context():
            user = db.session.scalar(
                select(User).where(User.public_id == response.json["user"]["id"])
            )
            ucc = body.get("referral_ucc")
            expected = clean_ucc(ucc.strip()) if isinstance(ucc, str) else None
            assert user.ucc == expected
            assert user.ucc_source == ("app" if expected else None)
    else:
        assert response.json["error"]["field"] in FIELDS
        assert after == before


@SETTINGS
@given(
    body=st.one_of(
        st.binary(max_size=300),
        JSON.map(lambda value: json.dumps(value).encode()),
        TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    ),
    content_type=st.one_of(
        st.none(),
        st.sampled_from(
            [
                "application/json",
                "application/json; charset=utf-8",
                "application/vnd.api+json",
                "text/plain",
                "multipart/form-data",
                "application/x-www-form-urlencoded",
            ]
        ),
        HEADER,
    ),
    path=st.sampled_from(["/signups", "/sessions"]),
)
def test_raw_bodies(app, body, content_type, path):
    before = counts(app)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = ApiClient(app.test_client()).post(path, data=body, headers=headers)
    event(f"answered {response.status_code}")
    assert response.status_code in (400, 401, 409, 422)
    assert counts(app) == before


@SETTINGS
@given(
    email=st.one_of(
        st.sampled_from(["ana@example.com", " ANA@EXAMPLE.COM"]), TEXT, JSON
    ),
    password=st.one_of(st.just(STRONG_PASSWORD), TEXT, JSON),
)
def test_session_bodies(app, email, password):
    client = ApiClient(app.test_client())
    if counts(app)[0] == 0:
        client.signup()
    before = counts(app)
    response = client.post("/sessions", json={"email": email, "password": password})
    right = (
        isinstance(email, str)
        and normalize_email(email) == "ana@example.com"
        and password == STRONG_PASSWORD
    )
    event(f"answered {response.status_code}")
    assert response.status_code in ((200,) if right else (401, 422))
    assert counts(app)[2] == before[2] + (1 if right else 0)


@SETTINGS
@given(authorization=st.one_of(st.none(), HEADER, HEADER.map("Bearer {}".format)))
def test_authorization_headers(app, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    client = ApiClient(app.test_client())
    for method, path in (("GET", "/me"), ("GET", "/cello/token")):
        response = client.request(method, path, token=None, headers=headers)
        assert response.status_code == 401
    response = client.request(
        "DELETE", "/sessions/current", token=None, headers=headers
    )
    assert response.status_code == 401
