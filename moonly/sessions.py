"""Flask's signed-cookie sessions, doing nothing for a request without a session."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    """Most requests (an invite link's first visit, every anonymous page) carry no
    session cookie: give them an empty session without building the signing
    serializer. With a cookie, Flask's own code verifies it as usual."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
