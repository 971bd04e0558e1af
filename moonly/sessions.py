"""Flask's signed-cookie sessions, doing nothing for a request without a session."""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionMixin,
)

# The mobile API (moonly.api) authenticates by bearer token: it never reads or writes
# the session cookie, so a browser's session cannot act through it.
COOKIELESS_PATHS = "/api/"


class CookieSessionInterface(SecureCookieSessionInterface):
    """Most requests (an invite link's first visit, every anonymous page) carry no
    session cookie: give them an empty session without building the signing
    serializer. With a cookie, Flask's own code verifies it as usual."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(COOKIELESS_PATHS):
            return self.session_class()
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        if not session and not session.modified and not session.accessed:
            return  # nothing to write, delete or vary on: Flask would do just that
        if request.path.startswith(COOKIELESS_PATHS):
            return
        super().save_session(app, session, response)
