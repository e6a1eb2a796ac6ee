"""Per-station state kept in the processor's Faust table (keyed by station id).

It is rebuilt from the station's events (``evolve``) plus the admin ``StationConfigured``
events (``registration_status``, ``time_zone``, ``cost_messages``). ``evolve`` dispatches on
the event's class: each class that changes the state has its function below (the Pipe's
events go to :func:`processors.core.pipe.evolve_pipe`); any other event leaves the state as it
is. Then the readings an event states advance the meter of the priced transaction it belongs
to (:mod:`processors.core.pricing`); that needs the tariff version that priced it, looked up
by id and version (versions never change, so the state stays a function of the events).
Histories are bounded: the state of a station stays a few kilobytes however long it lives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import singledispatch

from pydantic import BaseModel, ConfigDict

from billing.rating import Reading
from billing.readings import charging_of, decimal, readings_of
from processors.core import triggers
from processors.core.pipe import PIPE_EVENTS, Pipe, evolve_pipe
from processors.core.pricing import PricedSession, observed, open_session, running_cost_call
from schemas.events import (
    CallQueued,
    ConnectorStatusChanged,
    DomainEvent,
    EventEnvelope,
    MeterValuesReported,
    StationBooted,
    StationConfigured,
    StationConnected,
    StationDisconnected,
    TariffApplied,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
    TriggerAnswered,
)
from schemas.tariffs import Tariff

log = logging.getLogger(__name__)

TariffVersions = Callable[[str, int], Tariff | None]
"""A tariff version by (id, version): what advances a priced transaction's meter."""


def no_tariffs(tariff_id: str, version: int) -> Tariff | None:
    return None


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
    started_at: datetime | None = None
    start_charging: bool | None = None
    """What the start stated of the charging state (the start reading of a priced session)."""
    priced: PricedSession | None = None
    """The tariff that prices it and its meter (:mod:`processors.core.pricing`)."""

    def start_reading(self) -> Reading | None:
        """The reading of its TransactionStarted (as :func:`billing.readings.readings_of`)."""
        if self.started_at is None:
            return None
        return Reading(at=self.started_at, energy_wh=decimal(self.meter_start_wh),
                       charging=self.start_charging)  # fmt: skip


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
    time_zone: str | None = None
    """IANA zone the station stands in (tariff restrictions' local times); UTC when None."""
    cost_messages: bool | None = None
    """Whether the station is sent its running and final cost; None: its version's default
    (on for 2.0.1, off for 1.6)."""

    def started_id(self, start_key: str) -> int | None:
        return next((i for k, i in reversed(self.recent_starts) if k == start_key), None)

    def ended_id(self, transaction_id: str) -> int | None:
        return next((i for t, i in reversed(self.recent_ended) if t == transaction_id), None)


def evolve(state: StationState, event: EventEnvelope[DomainEvent],
           tariffs: TariffVersions = no_tariffs) -> StationState:  # fmt: skip
    """Apply one of the station's events to its state."""
    after = _apply(event.data, state, event.occurred_at)
    if any(t.priced is not None for t in after.transactions.values()):
        after = _read(event.data, after, tariffs)
    return after


def evolve_all(state: StationState, events: Iterable[EventEnvelope[DomainEvent]],
               tariffs: TariffVersions = no_tariffs) -> StationState:  # fmt: skip
    for event in events:
        state = evolve(state, event, tariffs)
    return state


@singledispatch
def _apply(event: DomainEvent, state: StationState, at: datetime) -> StationState:
    """An event of a type that changes nothing the handlers read."""
    return state


def _pipe(event: DomainEvent, state: StationState, at: datetime) -> StationState:
    return state.model_copy(update={"pipe": evolve_pipe(state.pipe, event)})


for _pipe_event in PIPE_EVENTS:
    if _pipe_event is not CallQueued:
        _apply.register(_pipe_event, _pipe)


@_apply.register
def _call_queued(event: CallQueued, state: StationState, at: datetime) -> StationState:
    """A queued call; a running cost of a priced transaction marks when it was priced for."""
    state = _pipe(event, state, at)
    wire = running_cost_call(event.action, event.payload)
    txn = None if wire is None else state.transactions.get(wire)
    if txn is None or txn.priced is None:
        return state
    priced = txn.priced.model_copy(update={"cost_sent_for": txn.priced.read_at})
    return _with_transaction(state, txn.model_copy(update={"priced": priced}))


def _with_transaction(state: StationState, txn: OpenTransaction) -> StationState:
    transactions = {**state.transactions, txn.transaction_id: txn}
    return state.model_copy(update={"transactions": transactions})


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


CONFIGURED_FIELDS = ("time_zone", "cost_messages")
"""The ``StationConfigured`` fields the state keeps as given (null included: back to the
default), besides ``registration_status``."""


@_apply.register
def _configured(event: StationConfigured, state: StationState, at: datetime) -> StationState:
    """Only the fields the event was given change (``model_fields_set``)."""
    given = event.model_fields_set
    changes = {name: getattr(event, name) for name in CONFIGURED_FIELDS if name in given}
    if event.registration_status is not None:
        changes["registration_status"] = event.registration_status
    return state.model_copy(update=changes) if changes else state


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
        started_at=event.started_at, start_charging=charging_of(event.charging_state),
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


@_apply.register
def _tariff_applied(event: TariffApplied, state: StationState, at: datetime) -> StationState:
    """The transaction is priced from its start on (once: a later token does not re-price)."""
    txn = state.transactions.get(event.transaction_id)
    start = None if txn is None else txn.start_reading()
    if txn is None or start is None or txn.priced is not None:
        return state
    try:
        session = open_session(event, start)
    except RATING_ERRORS:
        log.exception("transaction %s: its meter could not be opened", txn.transaction_id)
        return state
    return _with_transaction(state, txn.model_copy(update={"priced": session}))


RATING_ERRORS = (ArithmeticError, KeyError, TypeError, ValueError)
"""What a rating defect may raise: logged, and the station's stream goes on (its meter stays
as it was; the billing projection rates the session from the events on its own)."""


# -- readings of priced transactions -----------------------------------------------------------


def _read(event: DomainEvent, state: StationState, tariffs: TariffVersions) -> StationState:
    """The readings ``event`` states into the meter of the priced transaction it is about."""
    txn = _priced_transaction(event, state)
    if txn is None or txn.priced is None:
        return state
    readings = readings_of(event)
    if not readings:
        return state
    priced = txn.priced
    tariff = tariffs(priced.tariff_id, priced.tariff_version)
    if tariff is None:
        log.warning("tariff %s@%d of transaction %s is not in the tariffs table: its meter "
                    "stays as it was", priced.tariff_id, priced.tariff_version,
                    txn.transaction_id)  # fmt: skip
        return state
    try:
        session = observed(priced, tariff, readings)
    except RATING_ERRORS:
        log.exception("transaction %s: readings not rated", txn.transaction_id)
        return state
    return _with_transaction(state, txn.model_copy(update={"priced": session}))


def _priced_transaction(event: DomainEvent, state: StationState) -> OpenTransaction | None:
    match event:
        case TransactionUpdated() | MeterValuesReported() if event.transaction_id is not None:
            return state.transactions.get(event.transaction_id)
        case ConnectorStatusChanged():
            # OCPP 1.6 §4.9: a connector's status is its transaction's (connector N is EVSE N).
            return next((t for t in state.transactions.values()
                         if t.priced is not None and t.evse_id == event.evse_id), None)  # fmt: skip
    return None
