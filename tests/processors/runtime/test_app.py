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
    TariffAssigned,
    TariffDeleted,
    TariffPublished,
    TariffUnassigned,
    TokenDeleted,
    TokenUpserted,
    envelope,
)
from tests.processors.conftest import energy_element, tariff

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


def test_station_configured_sets_time_zone_and_cost_messages_only_when_given() -> None:
    t = tables()
    apply_admin(record(StationConfigured(time_zone="America/Los_Angeles", cost_messages=True),
                       "CP-1"), t)  # fmt: skip
    state = t.state("CP-1")
    assert (state.time_zone, state.cost_messages) == ("America/Los_Angeles", True)
    apply_admin(record(StationConfigured(registration_status="Pending"), "CP-1"), t)
    state = t.state("CP-1")
    assert (state.time_zone, state.cost_messages) == ("America/Los_Angeles", True)
    assert state.registration_status == "Pending"
    apply_admin(record(StationConfigured(cost_messages=None), "CP-1"), t)  # back to the default
    state = t.state("CP-1")
    assert (state.time_zone, state.cost_messages) == ("America/Los_Angeles", None)


def test_tariff_events_fill_the_tariff_tables_and_a_lost_race_is_ignored() -> None:
    t = tables()
    apply_admin(record(TariffPublished(version=1, tariff=tariff("T1")), "T1"), t)
    apply_admin(record(TariffPublished(version=1, tariff=tariff("T1", energy_element("9"))),
                       "T1"), t)  # fmt: skip
    apply_admin(record(TariffAssigned(target="station", station_id="CP-1", tariff_id="T1"),
                       "CP-1"), t)  # fmt: skip
    applied = t.book.assigned("station:CP-1")
    assert applied is not None and applied.version == 1
    assert applied.tariff.elements == tariff("T1").elements
    apply_admin(record(TariffDeleted(tariff_id="T1"), "T1"), t)
    assert t.book.assigned("station:CP-1") is None
    apply_admin(record(TariffUnassigned(target="station", station_id="CP-1"), "CP-1"), t)
    assert t.assignments == {}
