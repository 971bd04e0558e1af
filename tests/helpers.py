"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import re

from flask_migrate import upgrade

from moonly import create_app
from moonly.extensions import db

STRONG_PASSWORD = "correct horse battery staple"


def migrate_database(url: str) -> None:
    """Run the project's migrations on an empty database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, env="testing")
    with app.app_context():
        upgrade()
        db.engine.dispose()


def hidden_value(html: str, name: str) -> str:
    """The value of a form's hidden input, however its attributes are ordered."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and 'type="hidden"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            if found:
                return found.group(1)
    raise AssertionError(f"no hidden {name!r} input on the page")


def csrf_token(html: str) -> str:
    return hidden_value(html, "csrf_token")


class AuthActions:
    def __init__(self, client):
        self.client = client

    def signup(
        self,
        email="ana@example.com",
        *,
        name="Ana Lima",
        password=STRONG_PASSWORD,
        organization="",
        ucc="",
        follow=False,
    ):
        page = self.client.get("/signup")
        return self.client.post(
            "/signup",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "name": name,
                "email": email,
                "password": password,
                "organization": organization,
                "ucc": ucc,
            },
            follow_redirects=follow,
        )

    def login(self, email="ana@example.com", password=STRONG_PASSWORD, next_url=None):
        page = self.client.get("/login")
        data = {
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": email,
            "password": password,
        }
        if next_url is not None:
            data["next"] = next_url
        return self.client.post("/login", data=data)
