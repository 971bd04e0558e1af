"""What a module hands api.py for each route it serves, so api.py can import it."""

from __future__ import annotations

from collections.abc import Callable

from .shapes import Data

Handler = Callable[..., Data]
"""Answers a request: `(ctx, params)`, or `(ctx, object_id, params)` when the path
names an object (`{id}`)."""

RouteSpec = tuple[str, str, type, Handler, str]
"""(method, path, the SDK's params class, handler, the parameters it implements)."""

PAGING = "limit starting_after ending_before"
"""Stripe's cursor parameters, which every list takes."""
