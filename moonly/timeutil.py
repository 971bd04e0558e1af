"""Time helpers: timezone-aware UTC everywhere."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; Moonly stores every datetime in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, with a Z."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")
