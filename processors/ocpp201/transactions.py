"""OCPP 2.0.1 transactions: TransactionEventRequest Started / Updated / Ended (use cases
E01-E15, and E07/E08 for offline events).

- A transaction is keyed by the station's ``transactionId``; the CSMS gives it its own
  unique ``id`` (``Context.transaction_ids``) on the first event it sees of it.
- Updated / Ended for a transaction the CSMS never saw start is still recorded, flagged
  ``unknown_transaction`` (e.g. a Started lost, or sent before a CSMS migration).
- ``seqNo`` is tracked per transaction: numbers skipped between the highest seen and a new
  one are recorded as missing (``missing_seq_nos``) until they arrive; a seqNo seen already
  is a resent message: answered again, nothing new recorded.
- Energy = the Energy.Active.Import.Register reading at the end (context Transaction.End
  preferred, else the last one seen) − the one at the start (Transaction.Begin preferred,
  else the first one seen; ``meter_start_missing`` when the Started event carried none). A
  stop reading below the start one is flagged ``meter_stop_below_start``, no energy summed.
- ``idTokenInfo`` is answered whenever the request carried an ``idToken`` (E01 /
  TransactionEventResponse: "SHALL be sent when the request contained an idToken").
- Tariff and cost (block I, :mod:`processors.ocpp201.costs`): the first event seen of a
  transaction resolves its tariff (``TariffApplied`` with its ``TransactionStarted``); the
  answer carries the tariff as ``personalMessage`` (I01) and, on Ended, the ``totalCost``
  (I03); an Updated event with a reading may queue a ``CostUpdated`` call (I02).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ocpp import Call
from ocpp.v201.enums import TransactionEventEnumType
from ocpp.v201.requests import TransactionEventRequest
from ocpp.v201.responses import TransactionEventResponse
from processors.core.authorization import Authorization, authorize
from processors.core.decision import Context, Decision, answer
from processors.core.meter_values import energy_register_wh, meter_values_event
from processors.core.state import MAX_MISSING_SEQ_NOS, OpenTransaction, StationState
from processors.core.tariffs import tariff_applied
from processors.core.transactions import METER_START_MISSING, UNKNOWN_TRANSACTION, energy_wh
from processors.ocpp201 import costs
from processors.ocpp201.authorization import id_token_info
from processors.ocpp201.meter_values import stored_samples
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    Sample,
    TariffApplied,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)

DEFAULT_STOP_REASON = "Local"  # TransactionType.stoppedReason "MAY only be omitted when Local"


def track_seq(txn: OpenTransaction | None, seq_no: int) -> tuple[int, list[int], bool]:
    """(highest seqNo seen, missing seqNos, whether ``seq_no`` was seen already)."""
    if txn is None or txn.last_seq_no is None:
        return seq_no, [], False
    missing = list(txn.missing_seq_nos)
    if seq_no in missing:
        missing.remove(seq_no)
        return txn.last_seq_no, missing, False
    if seq_no <= txn.last_seq_no:
        return txn.last_seq_no, missing, True
    missing.extend(range(txn.last_seq_no + 1, seq_no))
    return seq_no, missing[-MAX_MISSING_SEQ_NOS:], False


def decide_transaction_event(state: StationState, call: Call, ctx: Context) -> Decision:
    req = TransactionEventRequest.model_validate(call.payload)
    token = req.id_token
    auth = None if token is None else authorize(token.id_token, token.type.value, ctx)
    wire = req.transaction_info.transaction_id
    txn = state.transactions.get(wire)
    last_seq, missing, seen = track_seq(txn, req.seq_no)
    if seen or (txn is None and state.ended_id(wire) is not None):
        # A resent event, or one of a transaction just ended.
        resent = _response(state, txn, None, auth, None, ctx, req.timestamp)
        return Decision(reply=answer(call, resent))
    csms_id, used = (txn.id, 0) if txn is not None else (ctx.transaction_ids.nth(0), 1)
    samples = stored_samples(req.meter_value or (), ctx)
    common = _common(req, txn, csms_id, ctx)
    fact = _fact(req, txn, common, auth, samples, (last_seq, missing), ctx)
    events: list[EventEnvelope[DomainEvent]] = [ctx.event(fact)]
    applied = tariff_applied(state, fact, ctx) if isinstance(fact, TransactionStarted) else None
    if applied is not None:
        events.append(applied)
    if samples:
        events.append(meter_values_event(
            ctx, samples, source="TransactionEvent", id=csms_id, transaction_id=wire,
            evse_id=common["evse_id"], connector_id=common["connector_id"],
        ))  # fmt: skip
    reply = answer(call, _response(state, txn, fact, auth, applied, ctx, req.timestamp))
    running = Decision()
    if isinstance(fact, TransactionUpdated) and not req.offline:
        running = costs.cost_updated(state, events, wire, ctx)  # I02
    return Decision(events=(*events, *running.events), reply=reply, transaction_ids_used=used,
                    send=running.send)  # fmt: skip


def _response(state: StationState, txn: OpenTransaction | None, fact: DomainEvent | None,
              auth: Authorization | None, applied: EventEnvelope[TariffApplied] | None,
              ctx: Context, timestamp: str | None = None) -> TransactionEventResponse:  # fmt: skip
    """idTokenInfo (with the tariff, I01: its prices at the event's time) when the request
    carried a token; the final cost on Ended (I03)."""
    info = None
    if auth is not None:
        tariff = applied.data.tariff if applied else costs.transaction_tariff(txn, ctx)
        at = ctx.station_time(timestamp) if timestamp else ctx.now
        info = costs.with_tariff(id_token_info(auth), auth, tariff, state, at)
    total = None
    if isinstance(fact, TransactionEnded):
        total = costs.total_cost(state, txn, fact, ctx)
    return TransactionEventResponse(id_token_info=info, total_cost=total)


def _fact(req: TransactionEventRequest, txn: OpenTransaction | None, common: dict[str, Any],
          auth: Authorization | None, samples: Sequence[Sample], seqs: tuple[int, list[int]],
          ctx: Context) -> DomainEvent:  # fmt: skip
    """Started for a transaction seen for the first time (E01-E05), Ended (E06), else
    Updated (also a second Started of an open transaction)."""
    at = ctx.station_time(req.timestamp)
    if req.event_type is TransactionEventEnumType.STARTED and txn is None:
        return _started(common, _token(auth), at, samples, req)
    if req.event_type is TransactionEventEnumType.ENDED:
        return _ended(common, auth, at, samples, txn, req, seqs)
    return TransactionUpdated(
        **common, **_token(auth), at=at, last_seq_no=seqs[0], missing_seq_nos=tuple(seqs[1]),
        register_wh=energy_register_wh(samples),
        anomalies=(UNKNOWN_TRANSACTION,) if txn is None else (),
    )  # fmt: skip


def _common(req: TransactionEventRequest, txn: OpenTransaction | None, csms_id: int,
            ctx: Context) -> dict[str, Any]:  # fmt: skip
    """The fields Started, Updated and Ended share; the EVSE is the last one named."""
    evse = req.evse
    info = req.transaction_info
    return {
        "id": csms_id, "transaction_id": info.transaction_id, "ocpp_version": ctx.version.value,
        "evse_id": evse.id if evse else (txn.evse_id if txn else None),
        "connector_id": evse.connector_id if evse and evse.connector_id is not None
        else (txn.connector_id if txn else None),
        "seq_no": req.seq_no, "trigger_reason": req.trigger_reason.value,
        "charging_state": info.charging_state.value if info.charging_state else None,
        "offline": bool(req.offline),
    }  # fmt: skip


def _token(auth: Authorization | None) -> dict[str, Any]:
    """The token the event carried, and the verdict on it (all None without one)."""
    return {
        "id_token": auth.id_token if auth else None,
        "id_token_type": auth.id_token_type if auth else None,
        "id_token_status": auth.status if auth else None,
    }  # fmt: skip


def _started(common: dict[str, Any], token: dict[str, Any], at: datetime,
             samples: Sequence[Sample],
             req: TransactionEventRequest) -> TransactionStarted:  # fmt: skip
    return TransactionStarted(
        **common, **token, started_at=at,
        meter_start_wh=energy_register_wh(samples, prefer_context="Transaction.Begin"),
        reservation_id=req.reservation_id,
        remote_start_id=req.transaction_info.remote_start_id, start_key=None,
    )  # fmt: skip


def _ended(common: dict[str, Any], auth: Authorization | None, at: datetime,
           samples: Sequence[Sample], txn: OpenTransaction | None, req: TransactionEventRequest,
           seqs: tuple[int, list[int]]) -> TransactionEnded:  # fmt: skip
    anomalies = [UNKNOWN_TRANSACTION] if txn is None else []
    start = txn.meter_start_wh if txn else None
    if txn is not None and start is None:
        start = txn.first_register_wh
        anomalies.append(METER_START_MISSING)
    stop = energy_register_wh(samples, prefer_context="Transaction.End")
    if stop is None and txn is not None:
        stop = txn.last_register_wh
    energy = energy_wh(start, stop, anomalies)
    reason = req.transaction_info.stopped_reason
    return TransactionEnded(
        **common, stopped_at=at, meter_start_wh=start, meter_stop_wh=stop, energy_wh=energy,
        stop_reason=reason.value if reason else DEFAULT_STOP_REASON,
        stop_id_token=auth.id_token if auth else None, last_seq_no=seqs[0],
        missing_seq_nos=tuple(seqs[1]), anomalies=tuple(anomalies),
    )  # fmt: skip
