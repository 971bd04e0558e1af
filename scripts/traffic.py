"""The one way the scripts send traffic: keep-alive HTTP clients on loopback, fanned out
over threads, every request timed.

`fan_out` hands items to `clients` threads, each with its own `Client`, until the items
run out or the time does. Signed webhook deliveries (`webhook_sender`), signups
(signups.py) and the Python GET client of `make bench` are built on it.
"""

from __future__ import annotations

import http.client
import re
import select
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import stripe

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Answer:
    """One request's answer; `status` None when none came (`error` says why)."""

    status: int | None
    seconds: float
    body: bytes = b""
    location: str = ""
    error: str = ""

    @property
    def label(self) -> str:
        """The status ("200 duplicate" for an event seen before) or the error's kind."""
        if self.status is None:
            return self.error.split(":", 1)[0]
        if self.status == 200 and re.search(rb'"duplicate":\s*true', self.body):
            return "200 duplicate"
        return str(self.status)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Client:
    """One keep-alive HTTP/1.1 connection to a loopback server, reopened when dropped.

    With `cookies`, it keeps the cookies it is sent and sends them back. Production
    cookies are Secure; this client speaks plain HTTP to loopback, as a TLS-terminating
    proxy would, so it sends them back over http all the same.
    """

    def __init__(self, base: str, *, timeout: float = 60.0, cookies: bool = False):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] | None = {} if cookies else None
        self.conn = self._open()

    def _open(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        return self.request("POST", path, body, headers)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self._dropped():  # the server closed the idle connection: a new one
            self.close()
            self.conn = self._open()
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            self.conn = self._open()
            failed = time.perf_counter() - start
            return Answer(None, failed, error=f"{type(error).__name__}: {error}")
        seconds = time.perf_counter() - start
        if self.cookies is not None:
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        location = response.headers.get("Location", "")
        return Answer(response.status, seconds, data, location)

    def _dropped(self) -> bool:
        """An idle keep-alive socket that is readable has been closed by the server."""
        sock = self.conn.sock
        return sock is not None and bool(select.select([sock], [], [], 0)[0])

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        assert self.cookies is not None
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].partition("=")
            if "max-age=0" in header.lower().replace(" ", ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()

    def forget_cookies(self) -> None:
        """A new visitor on the same keep-alive connection."""
        if self.cookies is not None:
            self.cookies.clear()

    def close(self) -> None:
        self.conn.close()


@dataclass
class Fanned(Generic[Item, Result]):
    """What `fan_out` sent: each item with its result, in the order they finished."""

    sent: list[tuple[Item, Result]]
    elapsed: float


def fan_out(
    base: str,
    items: Iterable[Item],
    clients: int,
    send: Callable[[Client, Item], Result],
    *,
    seconds: float,
    cookies: bool = False,
) -> Fanned[Item, Result]:
    """Send `items` from `clients` threads, each with its own `Client`, taking no new
    item after `seconds`; an endless iterable is sent for `seconds`."""
    pending = iter(items)
    lock = threading.Lock()
    sent: list[tuple[Item, Result]] = []
    deadline = time.monotonic() + seconds

    def next_item() -> tuple[Item] | None:
        with lock:
            for item in pending:
                return (item,)
            return None

    def client() -> None:
        conn = Client(base, cookies=cookies)
        try:
            while time.monotonic() < deadline and (taken := next_item()):
                result = send(conn, taken[0])
                with lock:
                    sent.append((taken[0], result))
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 5))
    with lock:
        return Fanned(list(sent), time.perf_counter() - started)


# Signed webhook deliveries


def webhook_sender(secret: str, path: str) -> Callable[[Client, str], Answer]:
    """POST a JSON body to `path`, signed with `secret` right before it is sent."""

    def send(client: Client, body: str) -> Answer:
        signature = stripe.WebhookSignature.generate_signature_header(body, secret)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature,
        }
        return client.post(path, body.encode(), headers)

    return send


# Figures


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
