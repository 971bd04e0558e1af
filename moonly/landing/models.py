"""Invite-link visits, so a demo can show when and how a referral arrived."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class InviteVisit(db.Model):
    __tablename__ = "invite_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    ucc: Mapped[str] = mapped_column(String(64), index=True)
    product_id: Mapped[str | None] = mapped_column(String(64))
    referrer_name: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    # The earlier invite's ucc this link replaced in the same browser (the latest counts).
    replaced_ucc: Mapped[str | None] = mapped_column(String(64))
    visited_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
