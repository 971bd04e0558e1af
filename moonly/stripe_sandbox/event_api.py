"""`GET /v1/events` and `GET /v1/events/{id}`: the events the sandbox recorded."""

from __future__ import annotations

import fnmatch

from sqlalchemy import select
from stripe import params as sp

from .errors import SandboxError
from .models import SandboxEvent
from .routing import RouteSpec
from .shapes import Data, Params
from .store import Context, check_limit, created_filter


def retrieve_event(ctx: Context, object_id: str, params: Params) -> Data:
    event = ctx.session.get(SandboxEvent, object_id)
    if event is None:
        raise SandboxError.no_such("event", object_id)
    return event.data


def _cursor(ctx: Context, event_id: str, param: str) -> SandboxEvent:
    event = ctx.session.get(SandboxEvent, event_id)
    if event is None:
        raise SandboxError.no_such("event", event_id, param)
    return event


def list_events(ctx: Context, params: Params) -> Data:
    """Newest first, filtered by `type` (with `*` wildcards), `types` and `created`."""
    limit = check_limit(params)
    if "type" in params and "types" in params:
        raise SandboxError.invalid(
            "types", "You may pass either `type` or `types`, but not both."
        )
    query = select(SandboxEvent)
    for condition in created_filter(SandboxEvent.created, params.get("created")):
        query = query.where(condition)
    if "types" in params:
        query = query.where(SandboxEvent.type.in_(params["types"]))
    elif "type" in params and "*" not in params["type"]:
        query = query.where(SandboxEvent.type == params["type"])
    if "starting_after" in params:
        cursor = _cursor(ctx, params["starting_after"], "starting_after")
        query = query.where(SandboxEvent.created_ns < cursor.created_ns)
    if "ending_before" in params:
        cursor = _cursor(ctx, params["ending_before"], "ending_before")
        query = query.where(SandboxEvent.created_ns > cursor.created_ns)
        order = SandboxEvent.created_ns.asc()
    else:
        order = SandboxEvent.created_ns.desc()
    pattern = params.get("type") if "*" in params.get("type", "") else None
    rows = []
    for event in ctx.session.scalars(query.order_by(order)):
        if pattern is None or fnmatch.fnmatchcase(event.type, pattern):
            rows.append(event.data)
            if len(rows) > limit:
                break
    has_more = len(rows) > limit
    rows = rows[:limit]
    if "ending_before" in params:
        rows.reverse()
    return {"object": "list", "data": rows, "has_more": has_more, "url": "/v1/events"}


EVENT_ROUTES: list[RouteSpec] = [
    (
        "get",
        "/v1/events",
        sp.EventListParams,
        list_events,
        "limit starting_after ending_before type types created",
    ),
    ("get", "/v1/events/{id}", sp.EventRetrieveParams, retrieve_event, ""),
]
