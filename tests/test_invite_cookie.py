"""The invite cookie comes from the browser: its note is validated like any input."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from moonly.accounts.models import InviteVisit, User
from moonly.extensions import db


def note(**fields) -> str:
    visit = {
        "product_id": "moonly.example",
        "referrer_name": "Alice",
        "path": "/",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
    }
    return base64.urlsafe_b64encode(json.dumps(visit).encode()).decode()


def signup_with_cookie(client, auth, value, email="ana@example.com"):
    client.set_cookie("moonly_invite", value)
    return auth.signup(email=email)


def stored_visit(app):
    with app.app_context():
        user = db.session.scalar(select(User))
        visit = user.invite_visit
        return user.ucc, (
            None
            if visit is None
            else (visit.path, visit.referrer_name, visit.visited_at, visit.replaced_ucc)
        )


def test_a_valid_note_is_kept(app, client, auth):
    assert signup_with_cookie(client, auth, "abc." + note()).status_code == 302
    ucc, (path, name, _, replaced) = stored_visit(app)
    assert (ucc, path, name, replaced) == ("abc", "/", "Alice", None)


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00+14:00",  # overflowed into year 1 BC on PostgreSQL
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00",
        (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        (datetime.now(UTC) - timedelta(days=400)).isoformat(),
        "not a date",
        "",
        12,
        None,
        ["2026-01-01"],
    ],
)
def test_an_impossible_visit_time_drops_the_note_not_the_signup(app, client, auth, at):
    response = signup_with_cookie(client, auth, "abc." + note(at=at))
    assert response.status_code == 302
    assert stored_visit(app) == ("abc", None)  # the ucc counts, the note does not
    with app.app_context():
        user_id = db.session.scalar(select(User.public_id))
    assert client.get(f"/demo/api/journey?user={user_id}").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/\x00x", "/a\r\nb", "//evil.example", "relative", "/" + "p" * 300, 7, None],
)
def test_an_unsafe_path_is_stored_as_the_home_page(app, client, auth, path):
    assert signup_with_cookie(client, auth, "abc." + note(path=path)).status_code == 302
    assert stored_visit(app)[1][0] == "/"


def test_names_lose_control_and_invisible_characters(app, client, auth):
    value = "abc." + note(referrer_name="Al\x00i\u202ece\u200b", product_id="p\x00")
    assert signup_with_cookie(client, auth, value).status_code == 302
    assert stored_visit(app)[1][1] == "Alice"


@pytest.mark.parametrize(
    "value",
    [
        "abc.%%%",
        "abc." + base64.urlsafe_b64encode(b"[" * 1500).decode(),
        "abc." + base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "abc." + base64.urlsafe_b64encode(b'"just a string"').decode(),
        "abc." + "é" * 10,
        "abc." + "A" * 3000,
        "abc",
    ],
)
def test_a_garbled_note_is_ignored(app, client, auth, value):
    assert signup_with_cookie(client, auth, value).status_code == 302
    assert stored_visit(app) == ("abc", None)


def test_a_bad_ucc_in_the_cookie_is_ignored(app, client, auth):
    assert signup_with_cookie(client, auth, "a<b>." + note()).status_code == 302
    assert stored_visit(app) == (None, None)


def test_a_later_invite_replaces_the_earlier_one_and_says_so(app, client, auth):
    client.get("/?ucc=first&referrerName=Bob")
    client.get("/pricing?ucc=second&referrerName=Alice")
    assert client.get_cookie("moonly_invite").value.startswith("second.")
    auth.signup()
    ucc, (path, name, _, replaced) = stored_visit(app)
    assert (ucc, path, name, replaced) == ("second", "/pricing", "Alice", "first")
    with app.app_context():
        user_id = db.session.scalar(select(User.public_id))
    journey = client.get(f"/demo/api/journey?user={user_id}").json
    assert journey["user"]["replaced_ucc"] == "first"
    (invite,) = [s for s in journey["timeline"] if s["key"] == "invite"]
    assert "replaced an earlier invite (ucc first)" in invite["summary"]
    assert invite["details"]["replaced ucc"] == "first"


def test_the_same_invite_again_keeps_the_first_visit(client):
    client.get("/?ucc=same&referrerName=Bob")
    first = client.get_cookie("moonly_invite").value
    client.get("/pricing?ucc=same&referrerName=Alice")
    assert client.get_cookie("moonly_invite").value == first


def test_a_stored_visit_has_no_replaced_ucc_without_an_earlier_invite(
    app, client, auth
):
    client.get("/?ucc=only")
    auth.signup()
    assert stored_visit(app)[1][3] is None
    with app.app_context():
        assert db.session.scalar(select(InviteVisit.replaced_ucc)) is None
