"""Read OCPP date-time strings (kept as ``str`` in the models, see :mod:`ocpp.models`)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_datetime", "parse_datetime"]


def parse_datetime(value: str, *, assume_utc: bool = True) -> datetime:
    """Parse an OCPP date-time; a naive one (seen from 1.6 stations) is taken as UTC.

    Raises ValueError if ``value`` is not an ISO 8601 date-time.
    """
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None and assume_utc:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_datetime(value: datetime) -> str:
    """RFC 3339 text in UTC with millisecond precision and a "Z" (OCPP 2.0.1 Part 2 §2.1.5)."""
    if value.tzinfo is None:
        raise ValueError("refusing to format a naive datetime")
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    # isoformat of a UTC time ends in "+00:00"; it runs once per meter sample on the hot path,
    # several times faster than strftime.
    return utc.isoformat(timespec="milliseconds")[:-6] + "Z"
