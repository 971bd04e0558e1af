"""The two kinds of JSON the sandbox's modules hand each other.

Both stay plain dicts: a Stripe object is whatever today's API version makes it (the
SDK's params classes check what comes in, `expand` is checked against its resource
classes), so a TypedDict of each would only repeat Stripe's reference, and drift from
it. What the modules hand each other besides is typed: `payments.Attempt`,
`checkout_sessions.SessionExtras`, `routing.RouteSpec`, …
"""

from __future__ import annotations

from typing import Any

Data = dict[str, Any]
"""A Stripe object, or a part of one, as the API shows it and the database keeps it."""

Params = dict[str, Any]
"""A request's parameters, decoded and checked against the SDK's params class."""
