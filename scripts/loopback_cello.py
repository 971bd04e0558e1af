"""The Cello API on loopback for `make load`: tokens, and every event it accepts.

`POST /token` trades the access keys (or a refresh token) for a bearer token;
`POST /events` with that token accepts a `ReferralUpdated` event and records its body
and `Idempotency-Key`, so the load test can count what arrived, and how often.
Bodies are checked against Cello's documented schema by the test suite's stand-in
(tests/cello_standin.py); this one only refuses a body without the fields it counts.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response
from werkzeug.serving import BaseWSGIServer, make_server

KEY_ID, SECRET = "key_test", "secret_test"  # noqa: S105 - loopback only


@dataclass
class LoopbackCello:
    """What the stand-in saw; read it under `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: set[str] = field(default_factory=set)
    accepted: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    event_posts: int = 0
    logins: int = 0
    refreshes: int = 0

    def _issue(self) -> dict[str, Any]:
        access = secrets.token_hex(8)
        self.tokens.add(access)
        return {
            "accessToken": access,
            "refreshToken": access,
            "expiresIn": 18000,
            "refreshTokenExpiresIn": 432000,
        }

    def token(self, body: dict[str, Any]) -> Response:
        with self.lock:
            if (body.get("accessKeyId"), body.get("secretAccessKey")) == (
                KEY_ID,
                SECRET,
            ):
                self.logins += 1
                return _json(201, self._issue())
            if body.get("refreshToken") in self.tokens:
                self.refreshes += 1
                return _json(201, self._issue())
        return _json(401, {"message": "Invalid credentials"})

    def event(self, request: Request, body: dict[str, Any]) -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            self.event_posts += 1
            if bearer not in self.tokens:
                return _json(401, {"message": "Unauthorized"})
            payload = body.get("payload") or {}
            if body.get("eventName") != "ReferralUpdated" or not payload.get("ucc"):
                return _json(400, {"message": ["eventName or payload.ucc missing"]})
            self.accepted.append((request.headers.get("Idempotency-Key"), body))
        return _json(200, {"success": True})

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_json(silent=True)
        if request.method != "POST" or not isinstance(body, dict):
            response = _json(404, {"message": "not found"})
        elif request.path == "/token":
            response = self.token(body)
        elif request.path == "/events":
            response = self.event(request, body)
        else:
            response = _json(404, {"message": "not found"})
        return response(environ, start_response)


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def serve() -> tuple[LoopbackCello, BaseWSGIServer]:
    """Serve a `LoopbackCello` on a free loopback port from a daemon thread."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    cello = LoopbackCello()
    server = make_server("127.0.0.1", 0, cello, threaded=True)
    threading.Thread(target=server.serve_forever, name="cello", daemon=True).start()
    return cello, server
