"""A pure harness for the handlers: frames in as text, replies (as text) and events out.

It does what the Faust agent does (processors/runtime/app.py) without Kafka: builds the Context,
calls ``decide_record``, evolves the station state and advances the transaction-id counter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

import ocpp
from ocpp import OcppVersion
from processors.core.decision import Context, HandlerConfig, TransactionIds
from processors.core.reference import Token
from processors.core.state import StationState, evolve, evolve_all
from processors.dispatch import decide_record
from schemas.envelopes import Direction, FrameRecord
from schemas.events import DomainEvent, EventEnvelope, StationConfigured, envelope

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = HandlerConfig(heartbeat_interval_s=300, boot_retry_interval_s=45)


@dataclass
class Harness:
    version: OcppVersion
    station_id: str = "CP-1"
    partition: int = 1
    partitions: int = 4
    now: datetime = NOW
    tokens: dict[str, Token] = field(default_factory=dict)
    state: StationState = field(default_factory=StationState)
    next_seq: int = 1
    offset: int = 0
    events: list[EventEnvelope[DomainEvent]] = field(default_factory=list)
    last_events: list[EventEnvelope[DomainEvent]] = field(default_factory=list)

    def send(self, action: str, payload: dict[str, Any], unique_id: str = "m1") -> list[Any]:
        """The station sends a Call (as text); returns the CSMS's answer frame as JSON."""
        raw = json.dumps([2, unique_id, action, payload])
        record = FrameRecord(station_id=self.station_id, direction=Direction.IN,
                             ocpp_version=self.version.value, gateway_id="gw", connection_id="c1",
                             at=self.now, raw=raw)  # fmt: skip
        self.offset += 1
        ctx = Context(
            station_id=self.station_id, version=self.version, now=self.now,
            causation_id=f"frames/{self.partition}/{self.offset}", correlation_id=unique_id,
            config=CONFIG, tokens=self.tokens.get,
            transaction_ids=TransactionIds(self.partition, self.partitions, self.next_seq),
        )  # fmt: skip
        decision = decide_record(self.state, record, ctx)
        self.next_seq += decision.transaction_ids_used
        self.state = evolve_all(self.state, decision.events)
        self.last_events = list(decision.events)
        self.events.extend(decision.events)
        assert decision.reply is not None
        answer: list[Any] = json.loads(ocpp.serialize(decision.reply))
        if answer[0] == 3:  # every CallResult the CSMS sends is schema-valid
            assert ocpp.validate_payload(self.version, action, answer[2], response=True) is None
        return answer

    def result(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self.send(action, payload)
        assert answer[0] == 3, answer
        result: dict[str, Any] = answer[2]
        return result

    def configure(self, **data: Any) -> None:
        """An admin StationConfigured event, as the processor applies it."""
        self.apply(StationConfigured(**data))

    def apply(self, event: DomainEvent) -> None:
        """An event of the station (e.g. a Pipe result, an admin event) applied to its state."""
        self.state = evolve(self.state, envelope(
            event, event_id=UUID(int=2), station_id=self.station_id, occurred_at=self.now,
            causation_id="t/0/0", correlation_id="x",
        ))  # fmt: skip

    def types(self) -> list[type[DomainEvent]]:
        return [type(e.data) for e in self.last_events]

    def only(self, event_type: type[DomainEvent]) -> dict[str, Any]:
        """The data of the one event of ``event_type`` the last Call caused, as the events
        log carries it."""
        [event] = [e for e in self.last_events if isinstance(e.data, event_type)]
        return wire_data(event)


def wire_data(event: EventEnvelope[DomainEvent]) -> dict[str, Any]:
    """An event's ``data`` as the processor writes it on the events log."""
    data: dict[str, Any] = json.loads(event.encode())["data"]
    return data


@pytest.fixture
def v16() -> Harness:
    return Harness(OcppVersion.V16)


@pytest.fixture
def v201() -> Harness:
    return Harness(OcppVersion.V201, station_id="CS-1")




def token(status: str = "Accepted", type: str = "ISO14443", **extra: Any) -> Token:  # noqa: A002
    return Token(type=type, status=status, **extra)
