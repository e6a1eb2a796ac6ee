"""Per-station state kept in the processor's Faust table (keyed by station id).

It is rebuilt from the station's events (``evolve``) plus the admin ``StationConfigured``
events (``registration_status``). ``evolve`` dispatches on the event's class: each class
that changes the state has its function below (the Pipe's events go to
:func:`processors.core.pipe.evolve_pipe`); any other event leaves the state as it is.
Histories are bounded: the state of a station stays a few kilobytes however long it lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatch

from pydantic import BaseModel, ConfigDict

from processors.core import triggers
from processors.core.pipe import PIPE_EVENTS, Pipe, evolve_pipe
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    StationBooted,
    StationConfigured,
    StationConnected,
    StationDisconnected,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
    TriggerAnswered,
)

RECENT = 32
"""How many recent 1.6 starts and ended transactions a station remembers (retry detection)."""

MAX_MISSING_SEQ_NOS = 100
"""At most this many missing 2.0.1 seqNo are tracked per transaction."""


class OpenTransaction(BaseModel):
    """A transaction the station has not ended yet."""

    model_config = ConfigDict(frozen=True)

    id: int
    transaction_id: str
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    meter_start_wh: float | None = None
    first_register_wh: float | None = None
    last_register_wh: float | None = None
    last_seq_no: int | None = None
    missing_seq_nos: tuple[int, ...] = ()


class StationState(BaseModel):
    """What the handlers need to know about one station, rebuilt from its events."""

    model_config = ConfigDict(frozen=True)

    ocpp_version: str | None = None
    connected: bool = False
    gateway_id: str | None = None
    connection_id: str | None = None
    boot_status: str | None = None
    registration_status: str = "Accepted"
    transactions: dict[str, OpenTransaction] = {}
    recent_starts: tuple[tuple[str, int], ...] = ()
    """(start key, CSMS id) of the last 1.6 StartTransactions, newest last."""
    recent_ended: tuple[tuple[str, int], ...] = ()
    """(wire transaction id, CSMS id) of the last ended transactions, newest last."""
    pipe: Pipe = Pipe()
    """CSMS-initiated calls in flight, queued, recently timed out (:mod:`processors.core.pipe`)."""
    triggered: dict[str, datetime] = {}
    """Actions a TriggerMessage the station accepted asked for, and until when a station
    not yet Accepted may send them (:mod:`processors.core.registration`)."""

    def started_id(self, start_key: str) -> int | None:
        return next((i for k, i in reversed(self.recent_starts) if k == start_key), None)

    def ended_id(self, transaction_id: str) -> int | None:
        return next((i for t, i in reversed(self.recent_ended) if t == transaction_id), None)


def evolve(state: StationState, event: EventEnvelope[DomainEvent]) -> StationState:
    """Apply one of the station's events to its state."""
    return _apply(event.data, state, event.occurred_at)


def evolve_all(state: StationState,
               events: Iterable[EventEnvelope[DomainEvent]]) -> StationState:  # fmt: skip
    for event in events:
        state = evolve(state, event)
    return state


@singledispatch
def _apply(event: DomainEvent, state: StationState, at: datetime) -> StationState:
    """An event of a type that changes nothing the handlers read."""
    return state


def _pipe(event: DomainEvent, state: StationState, at: datetime) -> StationState:
    return state.model_copy(update={"pipe": evolve_pipe(state.pipe, event)})


for _pipe_event in PIPE_EVENTS:
    _apply.register(_pipe_event, _pipe)


@_apply.register
def _connected(event: StationConnected, state: StationState, at: datetime) -> StationState:
    return state.model_copy(update={
        "connected": True, "ocpp_version": event.ocpp_version, "gateway_id": event.gateway_id,
        "connection_id": event.connection_id,
    })  # fmt: skip


@_apply.register
def _disconnected(event: StationDisconnected, state: StationState, at: datetime) -> StationState:
    if event.connection_id != state.connection_id:
        return state  # an older connection closed after the station reconnected
    return state.model_copy(update={"connected": False})


@_apply.register
def _booted(event: StationBooted, state: StationState, at: datetime) -> StationState:
    return state.model_copy(update={
        "boot_status": event.status, "ocpp_version": event.ocpp_version, "triggered": {},
    })  # fmt: skip


@_apply.register
def _configured(event: StationConfigured, state: StationState, at: datetime) -> StationState:
    if event.registration_status is None:
        return state
    return state.model_copy(update={"registration_status": event.registration_status})


@_apply.register
def _triggered(event: TriggerAnswered, state: StationState, at: datetime) -> StationState:
    if event.status != "Accepted":
        return state
    until = at + triggers.WINDOW
    live = {a: t for a, t in state.triggered.items() if t > at}
    added = dict.fromkeys(triggers.requested_actions(event.requested_message), until)
    return state.model_copy(update={"triggered": {**live, **added}})


@_apply.register
def _started(event: TransactionStarted, state: StationState, at: datetime) -> StationState:
    txn = OpenTransaction(
        id=event.id, transaction_id=event.transaction_id, evse_id=event.evse_id,
        connector_id=event.connector_id, id_token=event.id_token,
        meter_start_wh=event.meter_start_wh, first_register_wh=event.meter_start_wh,
        last_register_wh=event.meter_start_wh, last_seq_no=event.seq_no,
    )  # fmt: skip
    starts = state.recent_starts
    if event.start_key is not None:
        starts = (*starts, (event.start_key, txn.id))[-RECENT:]
    return state.model_copy(update={
        "transactions": {**state.transactions, txn.transaction_id: txn}, "recent_starts": starts,
    })  # fmt: skip


@_apply.register
def _updated(event: TransactionUpdated, state: StationState, at: datetime) -> StationState:
    wire = event.transaction_id
    txn = state.transactions.get(wire) or OpenTransaction(id=event.id, transaction_id=wire)
    changes: dict[str, object] = {
        "last_seq_no": event.last_seq_no, "missing_seq_nos": event.missing_seq_nos,
    }  # fmt: skip
    for name, value in (("evse_id", event.evse_id), ("connector_id", event.connector_id),
                        ("id_token", event.id_token)):  # fmt: skip
        if value is not None:
            changes[name] = value
    if event.register_wh is not None:
        changes["last_register_wh"] = event.register_wh
        if txn.first_register_wh is None:
            changes["first_register_wh"] = event.register_wh
    updated = txn.model_copy(update=changes)
    return state.model_copy(update={"transactions": {**state.transactions, wire: updated}})


@_apply.register
def _ended(event: TransactionEnded, state: StationState, at: datetime) -> StationState:
    wire = event.transaction_id
    remaining = {k: v for k, v in state.transactions.items() if k != wire}
    ended = (*state.recent_ended, (wire, event.id))[-RECENT:]
    return state.model_copy(update={"transactions": remaining, "recent_ended": ended})
