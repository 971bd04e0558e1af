"""Reading and writing sandbox objects, and recording the events that changes cause."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import QueryableAttribute, Session

from .errors import SandboxError
from .ids import new_id
from .models import SandboxDelivery, SandboxEvent, SandboxObject
from .shapes import Data, Params

API_VERSION = "2026-10-28.endive"
# `python -m moonly.stripe_sandbox` serves here unless told otherwise.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:12111"

# Objects whose events carry another name than their `object`.
_EVENT_PREFIX = {"subscription": "customer.subscription"}


def event_type(kind: str, action: str) -> str:
    """The event Stripe sends when an object of this kind is created, updated, …"""
    return f"{_EVENT_PREFIX.get(kind, kind)}.{action}"


def check_limit(params: Params) -> int:
    """A list's `limit`: 10 by default, 1 to 100 as Stripe allows."""
    limit = int(params.get("limit", 10))
    if not 1 <= limit <= 100:
        raise SandboxError.invalid(
            "limit",
            "Invalid limit: must be between 1 and 100",
            code="parameter_invalid_integer",
        )
    return limit


def previous_value(old: Any, new: Any) -> Any:
    """What an event's `previous_attributes` shows of a changed value: the old value,
    or for a hash only its changed keys (a key that was not there shows as null)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = [*old, *(k for k in new if k not in old)]
        return {
            k: previous_value(old.get(k), new.get(k))
            for k in keys
            if old.get(k) != new.get(k)
        }
    return old


def created_filter(
    column: ColumnElement[int] | QueryableAttribute[int],
    created: int | dict[str, int] | None,
) -> list[ColumnElement[bool]]:
    """SQL conditions for Stripe's `created` filter: a timestamp, or gt/gte/lt/lte."""
    if created is None:
        return []
    if isinstance(created, int):
        return [column == created]
    ops = {
        "gt": column.__gt__,
        "gte": column.__ge__,
        "lt": column.__lt__,
        "lte": column.__le__,
    }
    return [ops[key](int(value)) for key, value in created.items() if key in ops]


def linked(
    kind: str,
    path: str | tuple[str, ...],
    value: str,
    *,
    live: bool = False,
    oldest_first: bool = False,
) -> Select[SandboxObject]:
    """The objects of `kind` whose `data[path]` is `value`, newest first (or oldest
    first); deleted ones too unless `live`."""
    query = select(SandboxObject).where(
        SandboxObject.object == kind, SandboxObject.data[path].as_string() == value
    )
    if live:
        query = query.where(SandboxObject.deleted.is_(False))
    created = SandboxObject.created_ns
    return query.order_by(created.asc() if oldest_first else created.desc())


def param_filters(params: Params, *names: str) -> list[ColumnElement[bool]]:
    """SQL conditions for a list's plain filters: each of `names` given in `params`
    must equal the object's field of that name."""
    return [
        SandboxObject.data[name].as_string() == params[name]
        for name in names
        if name in params
    ]


def page_url(ctx: Context, path: str) -> str:
    """The address a browser opens one of the sandbox's pages at, e.g. `/3ds/pi_…`."""
    return ctx.public_url.rstrip("/") + path


@dataclass
class Context:
    """One API request: its session, request id and idempotency key, and the clock."""

    session: Session
    # None for what the sandbox does on its own, such as a renewal.
    request_id: str | None
    idempotency_key: str | None
    # Simulated time: the real clock, or a subscription's own (see clock.py).
    now_ns: int = field(default_factory=time.time_ns)
    # Where the sandbox's own pages (Checkout, the customer portal) are served.
    public_url: str = DEFAULT_PUBLIC_URL
    # Payment methods whose 3-D Secure challenge the customer passed on a sandbox page
    # during this request: their payments go through without `requires_action`.
    authenticated: set[str] = field(default_factory=set)
    _inserted: int = field(default=0, init=False)
    _last_event_ns: int = field(default=0, init=False)
    _endpoints: list[Data] | None = field(default=None, init=False)

    @property
    def now(self) -> int:
        return self.now_ns // 1_000_000_000

    def get(self, kind: str, object_id: str, *, param: str = "id") -> SandboxObject:
        row = self.session.get(SandboxObject, object_id)
        if row is None or row.object != kind or row.deleted:
            raise SandboxError.no_such(kind, object_id, param)
        return row

    def insert(
        self, data: Data, *, silent: bool = False, **columns: str | None
    ) -> Data:
        """Store a new object; emit `<object>.created` unless Stripe sends no such
        event."""
        # One nanosecond apart, so objects made by one request list in creation order.
        self._inserted += 1
        row = SandboxObject(
            id=data["id"],
            object=data["object"],
            data=data,
            created_ns=self.now_ns + self._inserted,
            **columns,
        )
        self.session.add(row)
        if not silent:
            self.emit(event_type(data["object"], "created"), data)
        return data

    def update(
        self,
        row: SandboxObject,
        changes: Data,
        *,
        silent: bool = False,
        **columns: str | None,
    ) -> Data:
        """Apply changes, emitting `<object>.updated` with what they changed."""
        data = copy.deepcopy(row.data)
        previous = {}
        for key, value in changes.items():
            if data.get(key) != value:
                previous[key] = previous_value(data.get(key), value)
                data[key] = value
        if previous:
            row.data = data
            for name, value in columns.items():
                setattr(row, name, value)
            if not silent:
                self.emit(event_type(data["object"], "updated"), data, previous)
        return data

    def delete(self, row: SandboxObject, *, silent: bool = False) -> Data:
        """Mark an object deleted; emit `<object>.deleted` unless Stripe sends none."""
        row.deleted = True
        row.lookup_key = None
        if not silent:
            self.emit(event_type(row.object, "deleted"), row.data)
        return {"id": row.id, "object": row.object, "deleted": True}

    def _event_ns(self) -> int:
        """Real time, strictly increasing within the request."""
        self._last_event_ns = max(time.time_ns(), self._last_event_ns + 1)
        return self._last_event_ns

    def emit(
        self,
        event_type: str,
        obj: Data,
        previous: Data | None = None,
    ) -> None:
        """Record an event, and a delivery to each endpoint listening for its type."""
        data: Data = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        endpoints = [
            e["id"]
            for e in self.enabled_endpoints()
            if event_type in e["enabled_events"] or "*" in e["enabled_events"]
        ]
        event = {
            "id": new_id("evt", 24),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now,
            "data": data,
            "livemode": False,
            "pending_webhooks": len(endpoints),
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": event_type,
        }
        # Keep events in the order they were made within one request.
        created_ns = self._event_ns()
        self.session.add(
            SandboxEvent(
                id=event["id"],
                type=event_type,
                data=event,
                created=self.now,
                created_ns=created_ns,
            )
        )
        for endpoint_id in endpoints:
            self.session.add(
                SandboxDelivery(
                    event_id=event["id"],
                    endpoint_id=endpoint_id,
                    created_ns=created_ns,
                    # Due now in real time, even when the event's own time is simulated.
                    next_attempt_at=int(time.time()),
                )
            )

    def enabled_endpoints(self) -> list[Data]:
        """The enabled webhook endpoints, read once per request."""
        if self._endpoints is None:
            rows = self.session.scalars(
                select(SandboxObject).where(
                    SandboxObject.object == "webhook_endpoint",
                    SandboxObject.deleted.is_(False),
                )
            )
            self._endpoints = [
                r.data for r in rows if r.data.get("status") == "enabled"
            ]
        return self._endpoints

    def list(
        self, kind: str, params: Params, *filters: ColumnElement[bool], url: str
    ) -> Data:
        """A page of objects, newest first, with Stripe's cursor parameters and its
        `created` filter."""
        limit = check_limit(params)
        created = SandboxObject.data["created"].as_integer()
        query = select(SandboxObject).where(
            SandboxObject.object == kind,
            SandboxObject.deleted.is_(False),
            *filters,
            *created_filter(created, params.get("created")),
        )
        if "starting_after" in params:
            cursor = self.get(kind, params["starting_after"], param="starting_after")
            query = query.where(SandboxObject.created_ns < cursor.created_ns)
        if "ending_before" in params:
            cursor = self.get(kind, params["ending_before"], param="ending_before")
            query = query.where(SandboxObject.created_ns > cursor.created_ns)
            rows = list(
                self.session.scalars(
                    query.order_by(SandboxObject.created_ns.asc()).limit(limit + 1)
                )
            )[::-1]
            has_more = len(rows) > limit
            rows = rows[-limit:]
        else:
            rows = list(
                self.session.scalars(
                    query.order_by(SandboxObject.created_ns.desc()).limit(limit + 1)
                )
            )
            has_more = len(rows) > limit
            rows = rows[:limit]
        return {
            "object": "list",
            "data": [row.data for row in rows],
            "has_more": has_more,
            "url": url,
        }
