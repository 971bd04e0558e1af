"""A stand-in for the Cello API on loopback, checking every body against Cello's docs.

It answers `POST /token` (access keys or a refresh token) and `POST /events` (with a
bearer token) as docs.cello.so describes, and can be told to fail, stall or expire
tokens. Bodies that do not match the documented schema get Cello's 400.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque

import jsonschema
from werkzeug import Request, Response

TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
EVENT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["eventName", "payload", "context"],
    "properties": {
        "eventName": {"const": "ReferralUpdated"},
        "payload": {
            "type": "object",
            "additionalProperties": False,
            "required": ["ucc", "newUserId", "price", "currency"],
            "properties": {
                "ucc": {"type": "string", "minLength": 1},
                "newUserId": {"type": "string", "minLength": 1},
                "price": {"type": "number"},
                "currency": {"type": "string"},
            },
        },
        "context": {
            "type": "object",
            "additionalProperties": False,
            "required": ["newUser", "event"],
            "properties": {
                "newUser": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "email", "name"],
                    "properties": {
                        "id": {"type": "string", "minLength": 1},
                        "email": {"type": "string", "minLength": 3},
                        "name": {"type": "string"},
                        "organizationId": {"type": "string"},
                    },
                },
                "event": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["trigger", "timestamp"],
                    "properties": {
                        "trigger": {
                            "enum": [
                                "new-signup",
                                "invoice-paid",
                                "charge-refunded",
                                "demo-call-attended",
                            ]
                        },
                        "timestamp": {"type": "string", "pattern": TIMESTAMP},
                    },
                },
            },
        },
    },
}
KEYS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["accessKeyId", "secretAccessKey"],
    "properties": {
        "accessKeyId": {"type": "string"},
        "secretAccessKey": {"type": "string"},
    },
}
REFRESH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["refreshToken"],
    "properties": {"refreshToken": {"type": "string"}},
}


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class CelloStandIn:
    def __init__(self, key_id: str = "key_test", secret: str = "secret_test"):
        self.key_id, self.secret = key_id, secret
        self.lock = threading.Lock()
        self.expires_in = 18000
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.logins = 0
        self.refreshes = 0
        self.refuse_refresh = False
        self.accepted: list[dict] = []  # every event body accepted, with its key
        self.requests: list[tuple[str, str | None]] = []  # (path, Idempotency-Key)
        self.event_outcomes: deque = deque()  # status codes, "stall", or "expire"
        self.stall_seconds = 1.0
        self.delay = 0.0

    def attach(self, httpserver) -> str:
        httpserver.expect_request("/token", method="POST").respond_with_handler(
            self.token
        )
        httpserver.expect_request("/events", method="POST").respond_with_handler(
            self.events
        )
        return httpserver.url_for("/").rstrip("/")

    def _issue(self) -> dict:
        access, refresh = secrets.token_hex(8), secrets.token_hex(8)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "accessToken": access,
            "refreshToken": refresh,
            "expiresIn": self.expires_in,
            "refreshTokenExpiresIn": 432000,
        }

    def token(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        with self.lock:
            self.requests.append(("/token", None))
            try:
                jsonschema.validate(body, KEYS_SCHEMA)
            except jsonschema.ValidationError:
                pass
            else:
                if (body["accessKeyId"], body["secretAccessKey"]) != (
                    self.key_id,
                    self.secret,
                ):
                    return _json(400, {"message": "Invalid credentials"})
                self.logins += 1
                return _json(201, self._issue())
            try:
                jsonschema.validate(body, REFRESH_SCHEMA)
            except jsonschema.ValidationError as error:
                return _json(400, {"message": [error.message]})
            if self.refuse_refresh or body["refreshToken"] not in self.refresh_tokens:
                return _json(401, {"message": "Invalid refresh token"})
            self.refreshes += 1
            issued = self._issue()
            return _json(
                201,
                {"accessToken": issued["accessToken"], "expiresIn": self.expires_in},
            )

    def events(self, request: Request) -> Response:
        with self.lock:
            key = request.headers.get("Idempotency-Key")
            self.requests.append(("/events", key))
            outcome = self.event_outcomes.popleft() if self.event_outcomes else None
            if outcome == "expire":  # the token was revoked on Cello's side
                self.access_tokens.clear()
        if self.delay:
            time.sleep(self.delay)
        if outcome == "stall":
            time.sleep(self.stall_seconds)
            return _json(504, {"message": "stalled"})
        if isinstance(outcome, int):
            return _json(outcome, {"message": f"stand-in answered {outcome}"})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.access_tokens:
            return _json(401, {"message": "Unauthorized"})
        body = request.get_json(silent=True)
        try:
            jsonschema.validate(body, EVENT_SCHEMA)
        except jsonschema.ValidationError as error:
            return _json(400, {"message": [error.message]})
        with self.lock:
            self.accepted.append({"key": key, "body": body})
        return _json(200, {"success": True})
