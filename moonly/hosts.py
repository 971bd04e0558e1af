"""Answer only to the host names Moonly is served under (MOONLY_ALLOWED_HOSTS).

A request for any other Host (DNS rebinding, a forged Host in a redirect) is a 400
before Flask does any work. The platform's probes (/healthz, /readyz) are exempt: they
call an instance by its internal address, which cannot be listed ahead of time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask

from .health import PATHS as PROBE_PATHS

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REFUSAL = b"Unknown host: this site is not served under that name.\n"


def parse_hosts(value: str) -> list[str]:
    """`a.example, .b.example` -> names; a leading dot also allows every subdomain."""
    return [
        name.strip().lower().rstrip(".") for name in value.split(",") if name.strip()
    ]


def hostname(host: str) -> str:
    """The name in a Host header, without its port, lowercase."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:5000
        return host[: host.find("]") + 1] if "]" in host else host
    name, _, port = host.rpartition(":")
    if name and port.isdigit():
        host = name
    return host.rstrip(".")


def default_hosts(config: Mapping[str, object]) -> list[str]:
    """Development and tests: the configured HOST, localhost, 127.0.0.1 and [::1]."""
    names = ["localhost", "127.0.0.1", "[::1]"]
    host = config.get("HOST")
    if isinstance(host, str) and host and host not in names:
        names.insert(0, host.lower())
    return names


class AllowedHosts:
    """WSGI middleware: 400 for a Host that is not allowed, before the app runs."""

    def __init__(self, wsgi_app: WSGIApplication, allowed: Iterable[str]) -> None:
        self.wsgi_app = wsgi_app
        names = set(allowed)
        self.exact = frozenset(n for n in names if not n.startswith("."))
        self.suffixes = tuple(n for n in names if n.startswith("."))
        self.accepted: set[str] = set()  # Host headers seen and allowed (few)

    def allows(self, host: str) -> bool:
        if host in self.accepted:
            return True
        name = hostname(host)
        if name in self.exact or any(
            name.endswith(suffix) or name == suffix[1:] for suffix in self.suffixes
        ):
            if len(self.accepted) < 64:
                self.accepted.add(host)
            return True
        return False

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if self.allows(host) or environ.get("PATH_INFO") in PROBE_PATHS:
            return self.wsgi_app(environ, start_response)
        start_response(
            "400 Bad Request",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(REFUSAL))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [REFUSAL]


def install(app: Flask) -> None:
    """Wrap the app; offline, the sandbox's own webhook URL is allowed too."""
    allowed = list(app.config["MOONLY_ALLOWED_HOSTS"])
    if not app.config["STRIPE_SECRET_KEY"]:
        sandbox_url = urlsplit(app.config["STRIPE_SANDBOX_WEBHOOK_URL"])
        if sandbox_url.netloc:
            allowed.append(hostname(sandbox_url.netloc))
    app.wsgi_app = AllowedHosts(app.wsgi_app, allowed)  # type: ignore[method-assign]
