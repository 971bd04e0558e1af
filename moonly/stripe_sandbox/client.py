"""A `stripe.HTTPClient` that answers the real SDK from the sandbox, not the network."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict
from sqlalchemy import Engine
from stripe import APIConnectionError, HTTPClient

from .api import handle
from .store import DEFAULT_PUBLIC_URL

FAULT_KINDS = ("connection", "lost_response", "server_error")


class Faults:
    """Failures to inject, for tests and demos of recovery.

    Either the next N requests (`fail_next`), or a share of all requests at random
    (`rates`: kind -> probability), each after `latency` seconds.
    """

    def __init__(self) -> None:
        self._queue: deque[str | None] = deque()
        self._lock = threading.Lock()
        self.latency = 0.0
        self.rates: dict[str, float] = {}
        self._random = random.Random()  # noqa: S311 - fault injection, not security

    def set_rates(self, seed: int | None = None, **rates: float) -> None:
        """Fail this share of requests.

        For example `set_rates(server_error=0.3, lost_response=0.1)`."""
        unknown = set(rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"kinds must be among {FAULT_KINDS}")
        with self._lock:
            self.rates = dict(rates)
            self._random.seed(seed)

    def fail_next(
        self, count: int = 1, kind: str = "connection", after: int = 0
    ) -> None:
        """Fail `count` requests, once `after` more have gone through: before Stripe
        sees them ("connection"), after Stripe did the work but before the answer
        arrived ("lost_response"), or with a 500 from Stripe ("server_error")."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        with self._lock:
            self._queue.extend([None] * after + [kind] * count)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.rates = {}
        self.latency = 0.0

    def take(self) -> str | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()  # None: this one goes through
            roll = self._random.random()
            for kind, rate in self.rates.items():
                if roll < rate:
                    return kind
                roll -= rate
            return None


class SandboxHTTPClient(HTTPClient):
    name = "moonly-sandbox"

    def __init__(
        self,
        engine: Engine,
        faults: Faults | None = None,
        public_url: str | Callable[[], str] = DEFAULT_PUBLIC_URL,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.faults = faults or Faults()
        # Where the sandbox's pages are served; a callable is read at each request.
        self._public_url = public_url

    @property
    def public_url(self) -> str:
        found = self._public_url
        return found() if callable(found) else found

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        fault = self.faults.take()
        if self.faults.latency:
            time.sleep(self.faults.latency)
        if fault == "connection":
            raise APIConnectionError(
                "Could not connect to Stripe (sandbox fault injected).",
                should_retry=True,
            )
        if fault == "server_error":
            body = (
                '{"error": {"type": "api_error", "message": "Sandbox fault injected."}}'
            )
            return body, 500, CaseInsensitiveDict({"Content-Type": "application/json"})
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        response = handle(
            self.engine,
            method.lower(),
            parts.path,
            parts.query,
            body,
            dict(headers or {}),
            self.public_url,
        )
        if fault == "lost_response":
            raise APIConnectionError(
                "The connection to Stripe closed before its answer arrived "
                "(sandbox fault injected).",
                should_retry=True,
            )
        return response.body, response.status, CaseInsensitiveDict(response.headers)

    def request_stream(self, *args: object, **kwargs: object) -> NoReturn:
        raise NotImplementedError("The sandbox does not stream responses.")

    def close(self) -> None:
        pass
