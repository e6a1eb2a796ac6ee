"""Routing (processors/dispatch.py): every station-initiated action of the charging-session
flow has a handler."""

from __future__ import annotations

import pytest

from ocpp import OcppVersion
from processors.dispatch import HANDLERS
from tests.processors.conftest import Harness, wire_data

SESSION_ACTIONS = {
    OcppVersion.V16: ["BootNotification", "Heartbeat", "StatusNotification", "Authorize",
                      "StartTransaction", "StopTransaction", "MeterValues", "DataTransfer",
                      "DiagnosticsStatusNotification", "FirmwareStatusNotification"],
    OcppVersion.V201: ["BootNotification", "Heartbeat", "StatusNotification", "Authorize",
                       "TransactionEvent", "MeterValues", "NotifyReport", "NotifyEvent",
                       "SecurityEventNotification", "DataTransfer", "FirmwareStatusNotification",
                       "LogStatusNotification"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("version", "action"), [(v, a) for v, actions in SESSION_ACTIONS.items() for a in actions]
)
def test_handler_registered(version: OcppVersion, action: str) -> None:
    assert (version, action) in HANDLERS


def test_unhandled_action_is_not_implemented(v16: Harness) -> None:
    assert v16.send("Reset", {"type": "Hard"}, unique_id="r")[:3] == [4, "r", "NotImplemented"]


def test_connecting_through_another_gateway_supersedes_the_open_connection() -> None:
    from datetime import UTC, datetime

    from ocpp import OcppVersion
    from processors.core.decision import Context
    from processors.core.state import StationState, evolve_all
    from processors.dispatch import decide_record
    from schemas.envelopes import Direction, FrameRecord, RecordKind

    def connected(gateway_id: str, connection_id: str) -> FrameRecord:
        return FrameRecord(kind=RecordKind.CONNECTED, station_id="CP-1", direction=Direction.IN,
                           ocpp_version="ocpp1.6", gateway_id=gateway_id,
                           connection_id=connection_id, at=datetime.now(UTC))  # fmt: skip

    def ctx(n: int) -> Context:
        return Context(station_id="CP-1", version=OcppVersion.V16, now=datetime.now(UTC),
                       causation_id=f"t.frames/0/{n}", correlation_id="c")  # fmt: skip

    first = decide_record(StationState(), connected("gw-a", "c1"), ctx(1))
    assert first.supersede is None
    state = evolve_all(StationState(), first.events)
    same_gateway = decide_record(state, connected("gw-a", "c2"), ctx(2))
    assert same_gateway.supersede is None  # the gateway itself replaces its own connection
    moved = decide_record(state, connected("gw-b", "c3"), ctx(3))
    assert moved.supersede == ("gw-a", "c1")


def test_connected_event_carries_how_the_gateway_admitted_the_station() -> None:
    from datetime import UTC, datetime

    from processors.core.decision import Context
    from processors.core.state import StationState
    from processors.dispatch import decide_record
    from schemas.envelopes import Direction, FrameRecord, RecordKind

    record = FrameRecord(kind=RecordKind.CONNECTED, station_id="CP-1", direction=Direction.IN,
                         ocpp_version="ocpp2.0.1", gateway_id="gw-a", connection_id="c1",
                         at=datetime.now(UTC), remote_address="10.0.0.7:5555",
                         reason="security profile 2: Basic auth")  # fmt: skip
    ctx = Context(station_id="CP-1", version=OcppVersion.V201, now=datetime.now(UTC),
                  causation_id="frames/0/1", correlation_id="c1")  # fmt: skip
    [event] = decide_record(StationState(), record, ctx).events
    assert (event.type, event.schema_version) == ("StationConnected", 2)
    assert wire_data(event) == {"ocpp_version": "ocpp2.0.1", "gateway_id": "gw-a",
                                "connection_id": "c1", "remote_address": "10.0.0.7:5555",
                                "reason": "security profile 2: Basic auth",
                                "security_profile": 2}  # fmt: skip


@pytest.mark.parametrize(("stated", "reason", "profile"), [
    (3, "client certificate CN=CP-1", 3),  # stated by the gateway
    (None, "security profile 1: Basic auth", 1),  # a record from before it was stated
    (None, None, None),  # open mode, or an old record that does not say
    (7, None, None),  # no such profile: recorded as none, not crashed on
])  # fmt: skip
def test_connected_event_takes_the_security_profile_from_the_record(
    stated: int | None, reason: str | None, profile: int | None
) -> None:
    from datetime import UTC, datetime

    from processors.core.decision import Context
    from processors.core.state import StationState
    from processors.dispatch import decide_record
    from schemas.envelopes import Direction, FrameRecord, RecordKind
    from schemas.events import StationConnected

    record = FrameRecord(kind=RecordKind.CONNECTED, station_id="CP-1", direction=Direction.IN,
                         ocpp_version="ocpp1.6", gateway_id="gw-a", connection_id="c1",
                         at=datetime.now(UTC), reason=reason,
                         security_profile=stated)  # fmt: skip
    ctx = Context(station_id="CP-1", version=OcppVersion.V16, now=datetime.now(UTC),
                  causation_id="frames/0/1", correlation_id="c1")  # fmt: skip
    [event] = decide_record(StationState(), record, ctx).events
    assert isinstance(event.data, StationConnected)
    assert event.data.security_profile == profile
