"""The sandbox's state: Stripe objects, idempotent results, events and their deliveries.

The tables belong to the sandbox alone (their own metadata, created on first use in the
sandbox's own database); the app that uses the sandbox never sees them.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .shapes import Data


class Base(DeclarativeBase):
    metadata = MetaData()


class SandboxObject(Base):
    """One Stripe object (customer, product, price, coupon, …) as the API returns it."""

    __tablename__ = "sandbox_objects"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    object: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[Data] = mapped_column(JSON)
    # Nanoseconds since the epoch: lists are newest first, also within one second.
    created_ns: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    # Columns the API filters on.
    email: Mapped[str | None] = mapped_column(String(512), index=True)
    lookup_key: Mapped[str | None] = mapped_column(String(255), unique=True)


class SandboxIdempotencyKey(Base):
    """The saved result of a request made with an `Idempotency-Key`."""

    __tablename__ = "sandbox_idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[int] = mapped_column(BigInteger)


class SandboxEvent(Base):
    """An event as `GET /v1/events/{id}` returns it."""

    __tablename__ = "sandbox_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(128), index=True)
    data: Mapped[Data] = mapped_column(JSON)
    created: Mapped[int] = mapped_column(BigInteger, index=True)
    created_ns: Mapped[int] = mapped_column(BigInteger, index=True)


class SandboxDelivery(Base):
    """One event on its way to one webhook endpoint, retried as Stripe retries."""

    __tablename__ = "sandbox_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(255), index=True)
    endpoint_id: Mapped[str] = mapped_column(String(255), index=True)
    created_ns: Mapped[int] = mapped_column(BigInteger, index=True)
    # Due when next_attempt_at <= now and neither delivered nor abandoned (None).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[int | None] = mapped_column(BigInteger, index=True)
    claimed_until: Mapped[int | None] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
