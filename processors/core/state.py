"""Per-station state kept in the processor's Faust table (keyed by station id).

It is rebuilt from the station's events (``evolve``) plus the admin ``StationConfigured``
events (``registration_status``). Histories are bounded: the state of a station stays a
few kilobytes however long it lives.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from processors.core import triggers
from processors.core.pipe import PIPE_EVENTS, Pipe, evolve_pipe
from schemas.envelopes import EventEnvelope

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


def evolve(state: StationState, event: EventEnvelope) -> StationState:
    """Apply one of the station's events to its state."""
    d = event.data
    if event.type in PIPE_EVENTS:
        return state.model_copy(update={"pipe": evolve_pipe(state.pipe, event.type, d)})
    match event.type:
        case "StationConnected":
            return state.model_copy(update={
                "connected": True, "ocpp_version": d["ocpp_version"],
                "gateway_id": d["gateway_id"], "connection_id": d["connection_id"],
            })  # fmt: skip
        case "StationDisconnected" if d["connection_id"] == state.connection_id:
            return state.model_copy(update={"connected": False})
        case "StationBooted":
            return state.model_copy(update={
                "boot_status": d["status"], "ocpp_version": d["ocpp_version"], "triggered": {},
            })  # fmt: skip
        case "TriggerAnswered" if d["status"] == "Accepted":
            return _triggered(state, d["requested_message"], event.occurred_at)
        case "StationConfigured" if d.get("registration_status") is not None:
            return state.model_copy(update={"registration_status": d["registration_status"]})
        case "TransactionStarted":
            return _started(state, d)
        case "TransactionUpdated":
            return _updated(state, d)
        case "TransactionEnded":
            return _ended(state, d)
    return state


def _triggered(state: StationState, requested: str, at: datetime) -> StationState:
    until = at + triggers.WINDOW
    live = {a: t for a, t in state.triggered.items() if t > at}
    added = dict.fromkeys(triggers.requested_actions(requested), until)
    return state.model_copy(update={"triggered": {**live, **added}})


def _started(state: StationState, d: dict[str, object]) -> StationState:
    start_key = d.get("start_key")
    txn = OpenTransaction.model_validate({
        "id": d["id"], "transaction_id": d["transaction_id"], "evse_id": d.get("evse_id"),
        "connector_id": d.get("connector_id"), "id_token": d.get("id_token"),
        "meter_start_wh": d.get("meter_start_wh"), "first_register_wh": d.get("meter_start_wh"),
        "last_register_wh": d.get("meter_start_wh"), "last_seq_no": d.get("seq_no"),
    })  # fmt: skip
    starts = state.recent_starts
    if isinstance(start_key, str):
        starts = (*starts, (start_key, txn.id))[-RECENT:]
    return state.model_copy(update={
        "transactions": {**state.transactions, txn.transaction_id: txn}, "recent_starts": starts,
    })  # fmt: skip


def _updated(state: StationState, d: dict[str, object]) -> StationState:
    wire = str(d["transaction_id"])
    txn = state.transactions.get(wire) or OpenTransaction.model_validate(
        {"id": d["id"], "transaction_id": wire}
    )
    register = d.get("register_wh")
    changes: dict[str, object] = {
        "last_seq_no": d.get("last_seq_no", txn.last_seq_no),
        "missing_seq_nos": tuple(_ints(d.get("missing_seq_nos"))),
    }
    for name in ("evse_id", "connector_id", "id_token"):
        if d.get(name) is not None:
            changes[name] = d[name]
    if register is not None:
        changes["last_register_wh"] = register
        if txn.first_register_wh is None:
            changes["first_register_wh"] = register
    updated = txn.model_copy(update=changes)
    return state.model_copy(update={"transactions": {**state.transactions, wire: updated}})


def _ints(value: object) -> list[int]:
    return [int(v) for v in value] if isinstance(value, list) else []


def _ended(state: StationState, d: dict[str, object]) -> StationState:
    wire = str(d["transaction_id"])
    remaining = {k: v for k, v in state.transactions.items() if k != wire}
    ended = (*state.recent_ended, (wire, int(d["id"])))[-RECENT:]  # type: ignore[call-overload]
    return state.model_copy(update={"transactions": remaining, "recent_ended": ended})


def evolve_all(state: StationState, events: tuple[EventEnvelope, ...]) -> StationState:
    for event in events:
        state = evolve(state, event)
    return state

