"""The one module that talks to the Cello API.

`POST /token` trades the access keys for an access token (kept until shortly before it
expires, renewed with the refresh token, re-authenticated when that fails or a call
answers 401); `POST /events` sends an event. Tokens are shared by every request of the
process and never logged.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app

from .hosts import api_host

RENEW_MARGIN = 60  # seconds before expiry a token counts as expired


class CelloError(Exception):
    """A call that did not succeed; `retry` says whether trying later may help."""

    def __init__(self, message: str, *, status: int | None = None, retry: bool):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry = retry


@dataclass
class _Token:
    value: str
    expires_at: float

    def fresh(self) -> bool:
        return time.time() < self.expires_at - RENEW_MARGIN


class CelloClient:
    def __init__(self, base_url: str, key_id: str, secret: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self._key_id = key_id
        self._secret = secret
        self.timeout = timeout
        self._lock = threading.Lock()
        self._access: _Token | None = None
        self._refresh: _Token | None = None
        self._http = requests.Session()

    def __repr__(self) -> str:  # never show the keys or tokens
        return f"CelloClient({self.base_url!r})"

    def _post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> requests.Response:
        try:
            return self._http.post(
                self.base_url + path,
                json=body,
                headers=headers or {},
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise CelloError(
                f"Cello did not answer within {self.timeout:g} s.", retry=True
            ) from None
        except requests.RequestException as error:
            raise CelloError(
                f"Cannot reach Cello: {type(error).__name__}.", retry=True
            ) from None

    def _take_tokens(self, response: requests.Response) -> None:
        data = response.json()
        now = time.time()
        self._access = _Token(
            data["accessToken"], now + float(data.get("expiresIn", 0))
        )
        if data.get("refreshToken"):
            self._refresh = _Token(
                data["refreshToken"], now + float(data.get("refreshTokenExpiresIn", 0))
            )

    def _authenticate(self) -> None:
        response = self._post(
            "/token", {"accessKeyId": self._key_id, "secretAccessKey": self._secret}
        )
        if response.status_code not in (200, 201):
            raise CelloError(
                f"Cello refused the access keys ({response.status_code}): "
                f"{_message(response)}",
                status=response.status_code,
                retry=response.status_code >= 429,
            )
        self._take_tokens(response)

    def _renew(self) -> None:
        if self._refresh is not None and self._refresh.fresh():
            response = self._post("/token", {"refreshToken": self._refresh.value})
            if response.status_code in (200, 201):
                self._take_tokens(response)
                return
        self._authenticate()

    def access_token(self) -> str:
        with self._lock:
            if self._access is None:
                self._authenticate()
            elif not self._access.fresh():
                self._renew()
            assert self._access is not None
            return self._access.value

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._access is not None and self._access.value == token:
                self._access = None

    def send_event(self, body: dict[str, Any], idempotency_key: str) -> None:
        """POST /events; a 401 gets one fresh token and one more try."""
        for last_try in (False, True):
            token = self.access_token()
            response = self._post(
                "/events",
                body,
                {
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": idempotency_key,
                },
            )
            if response.status_code == 401 and not last_try:
                self._forget(token)
                continue
            break
        status = response.status_code
        if 200 <= status < 300:
            return
        raise CelloError(
            f"Cello answered {status}: {_message(response)}",
            status=status,
            retry=status in (401, 408, 409, 429) or status >= 500,
        )


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200] or response.reason
    if isinstance(data, dict) and data.get("message"):
        message = data["message"]
        return ", ".join(message) if isinstance(message, list) else str(message)
    return str(data)[:200]


def base_url() -> str:
    config = current_app.config
    return (config.get("CELLO_API_BASE") or api_host()).rstrip("/")


def configured() -> bool:
    config = current_app.config
    return bool(
        config.get("CELLO_ACCESS_KEY_ID") and config.get("CELLO_SECRET_ACCESS_KEY")
    )


def client() -> CelloClient | None:
    """The app's Cello client, shared by the whole process; None without access keys."""
    if not configured():
        return None
    ext = current_app.extensions
    if "moonly.cello" not in ext:
        config = current_app.config
        ext["moonly.cello"] = CelloClient(
            base_url(),
            config["CELLO_ACCESS_KEY_ID"],
            config["CELLO_SECRET_ACCESS_KEY"],
            timeout=config["CELLO_API_TIMEOUT"],
        )
    found: CelloClient = ext["moonly.cello"]
    return found
