"""What the agent does with the admin log's records (processors/runtime/app.py): reference
data into the tables, decoded as typed events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from processors.core.reference import Token
from processors.runtime.app import Tables, apply_admin
from schemas.events import (
    DomainEvent,
    EventError,
    StationConfigured,
    TokenDeleted,
    TokenUpserted,
    envelope,
)

AT = datetime(2026, 1, 1, tzinfo=UTC)


def record(data: DomainEvent, key: str) -> bytes:
    return envelope(data, event_id=UUID(int=7), station_id=key, occurred_at=AT,
                    causation_id="api/r1", correlation_id="r1").encode()  # fmt: skip


def tables() -> Tables:
    no_rows: dict[str, Any] = {}
    return Tables(states={}, tokens=no_rows, seqs={}, deadlines={})


def test_a_station_configured_event_sets_the_stations_registration_status() -> None:
    t = tables()
    apply_admin(record(StationConfigured(registration_status="Pending"), "CP-1"), t)
    assert t.state("CP-1").registration_status == "Pending"
    apply_admin(record(StationConfigured(security_profile=2), "CP-1"), t)
    assert t.state("CP-1").registration_status == "Pending"  # only the fields given change


def test_tokens_are_issued_changed_and_withdrawn() -> None:
    t = tables()
    issued = TokenUpserted(id_token="T1", type="ISO14443", status="Accepted",
                           expires_at=AT, group_id="FLEET")  # fmt: skip
    apply_admin(record(issued, "T1"), t)
    assert t.token("T1") == Token(type="ISO14443", status="Accepted", expires_at=AT,
                                  group_id="FLEET")  # fmt: skip
    apply_admin(record(TokenDeleted(id_token="T1"), "T1"), t)
    assert t.token("T1") is None
    apply_admin(record(TokenDeleted(id_token="T1"), "T1"), t)  # withdrawn twice: nothing


def test_a_record_that_is_no_event_is_refused() -> None:
    with pytest.raises(EventError):
        apply_admin(b'{"type": "NoSuchEvent"}', tables())
