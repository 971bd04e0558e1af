"""Emails are one account however they are spelled; names show what they say."""

import pytest
from helpers import AuthActions
from sqlalchemy import func, select

from moonly.accounts.models import User
from moonly.extensions import db


def users(app):
    with app.app_context():
        return db.session.scalars(select(User.email)).all()


@pytest.mark.parametrize(
    "spelling",
    [
        "ｃｏｎｃ@example.com",
        "CONC@EXAMPLE.COM",
        " conc@example.com ",
        "ｃｏｎｃ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    ],
)
def test_a_fullwidth_or_uppercase_email_is_the_same_account(app, auth, spelling):
    assert auth.signup(email="conc@example.com").status_code == 302
    again = AuthActions(app.test_client()).signup(email=spelling)
    assert again.status_code == 400
    assert "already exists" in again.text
    assert users(app) == ["conc@example.com"]


def test_a_fullwidth_signup_is_stored_normalized_and_logs_in_either_way(app, auth):
    assert auth.signup(email="ｃｏｎｃ@example.com").status_code == 302
    assert users(app) == ["conc@example.com"]
    for spelling in ("conc@example.com", "ｃｏｎｃ@ｅｘａｍｐｌｅ.com"):
        assert AuthActions(app.test_client()).login(email=spelling).status_code == 302


@pytest.mark.parametrize(
    "name",
    [
        "Ana\u202eevil",  # right-to-left override
        "Ana\u2066x\u2069",  # isolates
        "A\u200bna",  # zero-width space
        "A\u200dna",  # zero-width joiner
        "\ufeffAna",  # byte-order mark
        "Ana\u2028Lima",  # line separator
        "Ana\x07",
        "Ana\ue000",  # private use
    ],
)
def test_names_with_hidden_or_reordering_characters_are_refused(app, auth, name):
    response = auth.signup(name=name)
    assert response.status_code == 400
    assert "Use visible characters only" in response.text
    assert users(app) == []


def test_organizations_are_checked_the_same_way(app, auth):
    response = auth.signup(organization="Acme\u202e")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("name", ["Zoë Ångström", "李小龙", "محمد", "O'Brien-Smith"])
def test_ordinary_names_in_any_script_are_accepted(app, auth, name):
    assert auth.signup(name=name).status_code == 302
