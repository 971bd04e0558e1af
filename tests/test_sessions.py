"""Logout and a password change end every earlier session of the user."""

from helpers import STRONG_PASSWORD, AuthActions, csrf_token
from sqlalchemy import select

from moonly.accounts.models import User
from moonly.extensions import db

NEW_PASSWORD = "violet kettle under moonlight"


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def copy_session(app, value):
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def test_a_session_copied_before_logout_is_dead_after_it(app, client, auth):
    auth.signup()
    stolen = session_cookie(client)
    assert copy_session(app, stolen).get("/account").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    response = copy_session(app, stolen).get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_ends_the_users_other_browsers_too(app, client, auth):
    auth.signup()
    other = app.test_client()
    assert AuthActions(other).login().status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    assert other.get("/account").status_code == 302


def test_logging_in_again_after_logout_works(client, auth):
    auth.signup()
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    assert auth.login().status_code == 302
    assert client.get("/account").status_code == 200


def change(client, current, new):
    token = csrf_token(client.get("/account/password").text)
    return client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": current, "new_password": new},
    )


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, client, auth):
    auth.signup()
    stolen = session_cookie(client)
    other = app.test_client()
    AuthActions(other).login()
    response = change(client, STRONG_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this browser goes on
    assert other.get("/account").status_code == 302
    assert copy_session(app, stolen).get("/account").status_code == 302
    fresh = AuthActions(app.test_client())
    assert fresh.login(password=STRONG_PASSWORD).status_code == 400
    assert fresh.login(password=NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_changes_nothing(app, client, auth):
    auth.signup()
    stolen = session_cookie(client)
    response = change(client, "not my password at all", NEW_PASSWORD)
    assert response.status_code == 400
    assert "current password is not correct" in response.text
    assert copy_session(app, stolen).get("/account").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.session_version)) == 0


def test_a_weak_new_password_is_refused(client, auth):
    auth.signup()
    response = change(client, STRONG_PASSWORD, "short")
    assert response.status_code == 400
    assert "at least 10 characters" in response.text


def test_a_session_from_before_versions_is_logged_out(app, client, auth):
    auth.signup()
    with app.app_context():
        public_id = db.session.scalar(select(User.public_id))
    with client.session_transaction() as session:
        session["_user_id"] = public_id  # the login id Moonly used to store
    assert client.get("/account").status_code == 302
