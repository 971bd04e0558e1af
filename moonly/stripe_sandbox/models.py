"""The sandbox's state: Stripe objects, idempotent results and events, in the app's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SandboxObject(db.Model):
    """One Stripe object (customer, product, price, coupon, …) as the API returns it."""

    __tablename__ = "sandbox_objects"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    object: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Nanoseconds since the epoch: lists are newest first, also within one second.
    created_ns: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    # Columns the API filters on.
    email: Mapped[str | None] = mapped_column(String(512), index=True)
    lookup_key: Mapped[str | None] = mapped_column(String(255), unique=True)


class SandboxIdempotencyKey(db.Model):
    """The saved result of a request made with an `Idempotency-Key`."""

    __tablename__ = "sandbox_idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[int] = mapped_column(BigInteger)


class SandboxEvent(db.Model):
    """An event, and the state of its delivery to the app's webhook endpoint."""

    __tablename__ = "sandbox_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_ns: Mapped[int] = mapped_column(BigInteger, index=True)
    # Delivery: due when next_attempt_at <= now and not delivered or abandoned.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[int | None] = mapped_column(BigInteger, index=True)
    claimed_until: Mapped[int | None] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
