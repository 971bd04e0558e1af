"""An offline Stripe for development and tests, for the real `stripe` SDK or any other.

A library apart from the app that uses it: it imports nothing of Moonly, keeps its state
in a database of its own (tables created on first use), and serves Stripe's API either
in-process (an SDK HTTP client) or over HTTP (`python -m moonly.stripe_sandbox`).
"""

from .client import FAULT_KINDS, Faults, SandboxHTTPClient
from .events import DeliveryReport, Poster, post_http
from .sandbox import Sandbox
from .store import API_VERSION

__all__ = [
    "API_VERSION",
    "FAULT_KINDS",
    "DeliveryReport",
    "Faults",
    "Poster",
    "Sandbox",
    "SandboxHTTPClient",
    "post_http",
]
