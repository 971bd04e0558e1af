"""The mobile API as an app calls it, checking what every answer must hold."""

from __future__ import annotations

from typing import Any

from helpers import STRONG_PASSWORD

PREFIX = "/api/v1"
KEEP = object()


class ApiClient:
    """JSON in and out with a bearer token. Every answer is checked: never a cookie,
    never cached, never a 5xx unless allowed, errors always `{"error": {code, message,
    field?}}`."""

    def __init__(self, client, allow_5xx: bool = False):
        self.client = client
        self.token: str | None = None
        self.allow_5xx = allow_5xx

    def request(
        self, method: str, path: str, *, token: Any = KEEP, headers=None, **kwargs
    ):
        headers = dict(headers or {})
        token = self.token if token is KEEP else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(
            PREFIX + path, method=method, headers=headers, **kwargs
        )
        check(response, self.allow_5xx)
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def signup(self, email="ana@example.com", **fields):
        body = {"name": "Ana Lima", "email": email, "password": STRONG_PASSWORD}
        body.update(fields)
        response = self.post("/signups", json=body)
        if response.status_code == 201:
            self.token = response.json["token"]
        return response

    def login(self, email="ana@example.com", password=STRONG_PASSWORD):
        response = self.post("/sessions", json={"email": email, "password": password})
        if response.status_code == 200:
            self.token = response.json["token"]
        return response


def check(response, allow_5xx: bool = False) -> None:
    """What every API answer holds, whatever was asked."""
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    if not allow_5xx:
        assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 204:
        assert response.data == b""
        return
    assert response.is_json, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert set(response.json) == {"error"}
        error = response.json["error"]
        assert {"code", "message"} <= set(error) <= {"code", "message", "field"}
        assert error["code"] and error["message"]


def error_of(response) -> tuple[int, str, str | None]:
    error = response.json["error"]
    return response.status_code, error["code"], error.get("field")
