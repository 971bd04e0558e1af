"""The user and organization tables, and the invite-link visit a signup followed."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..ids import public_id
from ..timeutil import utcnow


class Organization(Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent to Stripe as `new_user_organization_id`.
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=partial(public_id, "org")
    )
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class InviteVisit(Model):
    """An invite-link visit, so a demo can show when and how a referral arrived."""

    __tablename__ = "invite_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    ucc: Mapped[str] = mapped_column(String(64), index=True)
    product_id: Mapped[str | None] = mapped_column(String(64))
    referrer_name: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    # The earlier invite's ucc this link replaced in this browser (the latest counts).
    replaced_ucc: Mapped[str | None] = mapped_column(String(64))
    visited_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent to Stripe as `new_user_id`; Cello's `productUserId` for this user.
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=partial(public_id, "usr")
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    organization: Mapped[Organization | None] = relationship()

    # The referral code (Cello's ucc) and where the server got it: "form" or "cookie"
    # (the signup page), or "app" (the mobile API).
    ucc: Mapped[str | None] = mapped_column(String(64))
    ucc_source: Mapped[str | None] = mapped_column(String(16))

    # The invite-link visit this signup followed, when the same browser made both.
    invite_visit_id: Mapped[int | None] = mapped_column(ForeignKey("invite_visits.id"))
    invite_visit: Mapped[InviteVisit | None] = relationship()

    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The last failed attempt to create the Stripe customer, kept until one succeeds.
    stripe_customer_error: Mapped[str | None] = mapped_column(Text)
    stripe_customer_attempts: Mapped[int] = mapped_column(default=0)
    # Customers of this user deleted in Stripe: the next one gets a new idempotency key.
    stripe_customers_deleted: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when the user deleted the account: personal data is gone from then on. The
    # deletion is finished once Stripe deleted the customer (the id stays, as history).
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deletion_finished_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True)
    )

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    # Part of every session's login id; logout and a password change add one, so every
    # session made before stops working.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    def get_id(self) -> str:
        """The login id a session holds: which user, and which of their sessions."""
        return f"{self.public_id}:{self.session_version}"

    @property
    def organization_public_id(self) -> str | None:
        return self.organization.public_id if self.organization else None
