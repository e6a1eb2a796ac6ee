"""A pure harness for the handlers: frames in as text, replies (as text) and events out.

It does what the Faust agent does (processors/runtime/app.py) without Kafka: builds the Context,
calls ``decide_record``, evolves the station state and advances the transaction-id counter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

import ocpp
from ocpp import Call, OcppVersion
from processors.core.decision import Context, Decision, HandlerConfig, TransactionIds
from processors.core.reference import (
    OcpiTokenRef,
    TariffBook,
    Token,
    apply_ocpi_token,
    apply_tariff_event,
    ocpi_tokens_of,
)
from processors.core.state import StationState, evolve, evolve_all
from processors.dispatch import decide_record
from schemas.envelopes import Direction, FrameRecord, RecordKind
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    OcpiTokenUpserted,
    StationConfigured,
    TariffAssigned,
    TariffDeleted,
    TariffPublished,
    TariffUnassigned,
    envelope,
)
from schemas.tariffs import (
    PriceComponent,
    Tariff,
    TariffDimensionType,
    TariffElement,
    TariffRestrictions,
)

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
    config: HandlerConfig = CONFIG
    tariffs: dict[str, Any] = field(default_factory=dict)
    assignments: dict[str, Any] = field(default_factory=dict)
    ocpi_tokens: dict[str, Any] = field(default_factory=dict)
    """The ``ocpi-tokens`` table (tokens OCPI partners pushed)."""
    last_send: Call | None = None
    """The CSMS-initiated call the last record sent, if any."""

    @property
    def book(self) -> TariffBook:
        return TariffBook(self.tariffs, self.assignments)

    def admin(self, event: TariffPublished | TariffDeleted | TariffAssigned | TariffUnassigned,
              ) -> None:  # fmt: skip
        """A tariff admin event, as the processor applies it to its tables."""
        apply_tariff_event(self.tariffs, self.assignments, event)

    def push(self, event: OcpiTokenUpserted) -> None:
        """A token an OCPI partner pushed, as the processor applies it to its table."""
        apply_ocpi_token(self.ocpi_tokens, event)

    def ocpi_token(self, uid: str) -> tuple[OcpiTokenRef, ...]:
        return ocpi_tokens_of(self.ocpi_tokens.get(uid.upper()))

    def send(self, action: str, payload: dict[str, Any], unique_id: str = "m1") -> list[Any]:
        """The station sends a Call (as text); returns the CSMS's answer frame as JSON."""
        decision = self.record(json.dumps([2, unique_id, action, payload]), unique_id)
        assert decision.reply is not None
        answer: list[Any] = json.loads(ocpp.serialize(decision.reply))
        if answer[0] == 3:  # every CallResult the CSMS sends is schema-valid
            assert ocpp.validate_payload(self.version, action, answer[2], response=True) is None
        return answer

    def answer_call(self, payload: dict[str, Any]) -> None:
        """The station answers the CSMS-initiated call in flight with a CallResult."""
        call = self.state.pipe.in_flight
        assert call is not None
        decision = self.record(json.dumps([3, call.call_id, payload]), call.call_id)
        assert decision.reply is None

    def record(self, raw: str, unique_id: str) -> Decision:
        record = FrameRecord(station_id=self.station_id, direction=Direction.IN,
                             ocpp_version=self.version.value, gateway_id="gw", connection_id="c1",
                             at=self.now, raw=raw)  # fmt: skip
        self.offset += 1
        book = self.book
        ctx = Context(
            station_id=self.station_id, version=self.version, now=self.now,
            causation_id=f"frames/{self.partition}/{self.offset}", correlation_id=unique_id,
            config=self.config, tokens=self.tokens.get,
            transaction_ids=TransactionIds(self.partition, self.partitions, self.next_seq),
            tariffs=book, ocpi_tokens=self.ocpi_token,
        )  # fmt: skip
        decision = decide_record(self.state, record, ctx)
        self.next_seq += decision.transaction_ids_used
        self.state = evolve_all(self.state, decision.events, book.version)
        self.last_events = list(decision.events)
        self.last_send = decision.send
        self.events.extend(decision.events)
        return decision

    def result(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self.send(action, payload)
        assert answer[0] == 3, answer
        result: dict[str, Any] = answer[2]
        return result

    def connect(self) -> None:
        """The station connects (connection "c1", as its frames say): the Pipe may send."""
        self.record_kind(RecordKind.CONNECTED)

    def record_kind(self, kind: RecordKind) -> None:
        record = FrameRecord(kind=kind, station_id=self.station_id, direction=Direction.IN,
                             ocpp_version=self.version.value, gateway_id="gw", connection_id="c1",
                             at=self.now)  # fmt: skip
        self.offset += 1
        ctx = Context(station_id=self.station_id, version=self.version, now=self.now,
                      causation_id=f"frames/{self.partition}/{self.offset}",
                      correlation_id="c1", config=self.config)  # fmt: skip
        decision = decide_record(self.state, record, ctx)
        self.state = evolve_all(self.state, decision.events)

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


def tariff(tariff_id: str = "T1", *elements: TariffElement, currency: str = "EUR",
           **extra: Any) -> Tariff:
    """An OCPI tariff; by default 0.30 EUR/kWh + 21 % VAT."""
    return Tariff(country_code="NL", party_id="CSM", id=tariff_id, currency=currency,
                  elements=elements or (energy_element("0.30"),),
                  last_updated=datetime(2025, 1, 1, tzinfo=UTC), **extra)  # fmt: skip


def energy_element(price: str, vat: str | None = "21", **restrictions: Any) -> TariffElement:
    component = PriceComponent(type=TariffDimensionType.ENERGY, price=Decimal(price),
                               vat=None if vat is None else Decimal(vat), step_size=1)  # fmt: skip
    return TariffElement(price_components=(component,),
                         restrictions=TariffRestrictions(**restrictions) if restrictions else None)


def publish(h: Harness, t: Tariff, version: int = 1, **assignment: Any) -> None:
    """Publish ``t`` (as ``version``) and assign it (``target=...``, its fields)."""
    h.admin(TariffPublished(version=version, tariff=t))
    if assignment:
        h.admin(TariffAssigned(tariff_id=t.id, **assignment))
