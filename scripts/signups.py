"""Signups as a new visitor makes them: GET /signup, then POST the form with its CSRF
token; `signups` sends many at once through traffic.fan_out."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from traffic import Client, fan_out, percentile

PASSWORD = "correct horse battery staple"  # noqa: S105 - test users only


@dataclass(frozen=True)
class Signup:
    """GET /signup, then POST it: the statuses, the POST's latency, and any error."""

    form: dict[str, str]
    get: int | None = None
    post: int | None = None
    latency: float | None = None
    ok: bool = False
    error: str = ""
    done: float = field(default_factory=time.time)


def signup_form(n: int, tag: str) -> dict[str, str]:
    return {
        "name": f"Load User {n}",
        "email": f"{tag}{n:05d}@example.com",
        "password": PASSWORD,
        "organization": f"Org {n}" if n % 2 == 0 else "",
        "ucc": f"{tag}{n:05d}",
    }


_HIDDEN = re.compile(r"<input[^>]*>")


def hidden_value(html: str, name: str) -> str | None:
    for tag in _HIDDEN.findall(html):
        if f'name="{name}"' in tag and 'type="hidden"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            if found:
                return found.group(1)
    return None


def sign_up(client: Client, form: dict[str, str]) -> Signup:
    """A new visitor signs up: 302 → /account is success."""
    client.forget_cookies()
    page = client.get("/signup")
    if page.status is None:
        return Signup(form, error=page.error)
    token = hidden_value(page.text, "csrf_token")
    if page.status != 200 or not token:
        error = f"GET /signup {page.status}, csrf token found: {bool(token)}"
        return Signup(form, page.status, error=error)
    body = urlencode({"csrf_token": token, **form}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = client.post("/signup", body, headers)
    ok = answer.status == 302 and answer.location.rstrip("/").endswith("/account")
    error = "" if ok else answer.error
    if not ok and answer.status is not None:
        error = (
            f"POST /signup {answer.status} Location={answer.location!r}: "
            + answer.text[:300].replace("\n", " ")
        )
    latency = answer.seconds if answer.status is not None else None
    return Signup(form, page.status, answer.status, latency, ok, error)


@dataclass
class Signups:
    """`count` signups from `clients` concurrent visitors."""

    forms: list[dict[str, str]]
    results: list[Signup]
    elapsed: float

    @property
    def ok(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    @property
    def missing(self) -> int:
        return len(self.forms) - len(self.results)

    @property
    def latencies(self) -> list[float]:
        return [r.latency for r in self.results if r.latency is not None]

    def p(self, percent: float) -> float:
        """A percentile of the POST latencies, in seconds."""
        return percentile(self.latencies, percent)

    @property
    def statuses(self) -> dict[str, int]:
        """ "GET 200", "POST 302", … and "connection error" when GET got no answer."""
        counts: Counter[str] = Counter()
        for r in self.results:
            counts[f"GET {r.get}"] += 1
            if r.post is not None:
                counts[f"POST {r.post}"] += 1
            if r.error and r.get is None:
                counts["connection error"] += 1
        return dict(sorted(counts.items()))

    @property
    def errors(self) -> list[str]:
        return [r.error for r in self.results if r.error]


def signups(
    base: str, tag: str, count: int, clients: int, start_at: int = 0
) -> Signups:
    """`count` signups from `clients` threads, each a keep-alive client; 300 s at
    most."""
    forms = [signup_form(n, tag) for n in range(start_at, start_at + count)]
    run = fan_out(base, forms, clients, sign_up, seconds=300, cookies=True)
    return Signups(forms, [result for _, result in run.sent], run.elapsed)
