"""ocpp.timestamps: reading the date-time strings the models keep verbatim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ocpp.timestamps import format_datetime, parse_datetime


def test_parse_aware_and_naive() -> None:
    assert parse_datetime("2024-05-01T12:30:00.123Z") == datetime(
        2024, 5, 1, 12, 30, 0, 123000, UTC
    )
    assert parse_datetime("2024-05-01T14:30:00+02:00") == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert parse_datetime("2024-05-01T12:30:00").tzinfo is UTC


def test_format_is_rfc3339_utc_millis() -> None:
    value = datetime(2024, 5, 1, 14, 30, 0, 123456, timezone(timedelta(hours=2)))
    assert format_datetime(value) == "2024-05-01T12:30:00.123Z"
    with pytest.raises(ValueError):
        format_datetime(datetime(2024, 5, 1))
