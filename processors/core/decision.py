"""What a handler is given (``Context``) and what it returns (``Decision``).

A handler's events are domain event models (:mod:`schemas.events`), each put in its
envelope by :meth:`Context.event`; ``EventEnvelope.encode`` writes one as the events log
carries it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from uuid import UUID, uuid5

from ocpp import Call, CallError, CallResult, OcppModel, OcppVersion, to_payload
from ocpp.timestamps import format_datetime, parse_datetime
from processors.core.reference import OcpiTokenRef, TariffBook, Token
from schemas.events import DomainEvent, EventEnvelope, envelope

# Event ids are derived from what caused them, so reprocessing a record yields the same ids.
EVENT_NAMESPACE = UUID("5b0f7a0c-6c1e-4d7c-9a55-0f3c2f7d9e11")

TokenLookup = Callable[[str], Token | None]
OcpiTokenLookup = Callable[[str], tuple[OcpiTokenRef, ...]]
"""The tokens OCPI partners pushed with this uid (any case)."""
E = TypeVar("E", bound=DomainEvent)


def _no_tokens(_: str) -> Token | None:
    return None


def _no_ocpi_tokens(_: str) -> tuple[OcpiTokenRef, ...]:
    return ()


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    heartbeat_interval_s: int = 300
    boot_retry_interval_s: int = 60
    call_response_timeout_s: float = 30.0
    cost_update_interval_s: float = 60.0
    """At most this often (on the station's meter time) a running cost is sent: OCPP 2.0.1
    CostUpdated (I02), OCPP 1.6 California Pricing RunningCost."""


@dataclass(frozen=True, slots=True)
class TransactionIds:
    """The CSMS transaction ids this record may allocate (docs/SESSIONS.md, "Transaction ids").

    Each partition of the frames log owns the ids ``seq * stride + partition`` (``stride`` =
    the partition count, ``seq`` = 1, 2, ... from a counter kept in the processor's keyed
    state and committed with the events that use it), so ids are unique across stations and
    partitions, survive restarts and are never reused.
    """

    partition: int = 0
    stride: int = 1
    next_seq: int = 1

    def nth(self, index: int) -> int:
        """The ``index``-th (0-based) id this record may use."""
        return (self.next_seq + index) * self.stride + self.partition


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a pure handler may depend on besides state and message."""

    station_id: str
    version: OcppVersion
    now: datetime
    causation_id: str
    correlation_id: str
    config: HandlerConfig = field(default_factory=HandlerConfig)
    tokens: TokenLookup = _no_tokens
    transaction_ids: TransactionIds = field(default_factory=TransactionIds)
    tariffs: TariffBook = field(default_factory=TariffBook)
    ocpi_tokens: OcpiTokenLookup = _no_ocpi_tokens

    def event(self, data: E, *, seq: int = 0) -> EventEnvelope[E]:
        """``data`` as an event caused by the current record. Its id is derived from the cause,
        the type and ``seq`` (the n-th event of that type for the record)."""
        event_id = uuid5(EVENT_NAMESPACE, f"{self.causation_id}#{data.type_name}#{seq}")
        return envelope(data, event_id=event_id, station_id=self.station_id,
                        occurred_at=self.now, causation_id=self.causation_id,
                        correlation_id=self.correlation_id)  # fmt: skip

    @property
    def wire_now(self) -> str:
        """``now`` as an OCPP date-time: RFC 3339, UTC, millisecond precision, 'Z'."""
        return format_datetime(self.now)

    def station_time(self, text: str) -> datetime:
        """A date-time the station reported (1.6: naive = UTC); ``now`` if unreadable."""
        try:
            return parse_datetime(text)
        except ValueError:
            return self.now


@dataclass(frozen=True, slots=True)
class Decision:
    """A handler's output: events to append, the frame to answer the station with, a
    CSMS-initiated call to send (on the station's current connection, see
    :mod:`processors.core.calls`), and how many CSMS transaction ids (from
    ``Context.transaction_ids``) the events use."""

    events: tuple[EventEnvelope[DomainEvent], ...] = ()
    reply: CallResult | CallError | None = None
    transaction_ids_used: int = 0
    send: Call | None = None
    supersede: tuple[str, str] | None = None
    """(gateway id, connection id) of a connection a newer one replaces on another gateway."""


def answer(call: Call, response: OcppModel) -> CallResult:
    """The CallResult to ``call``: ``response`` is the action's generated response model
    (:mod:`ocpp.v16.responses`, :mod:`ocpp.v201.responses`), sent with its wire names."""
    return CallResult(call.unique_id, to_payload(response))

