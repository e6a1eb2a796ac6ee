"""OCPP 1.6 transactions: StartTransaction (§4.8) and StopTransaction (§4.10).

- The CSMS allocates the transaction id (``Context.transaction_ids``): unique across
  stations, never reused.
- A StartTransaction retried after a reconnect (same station, connector, idTag and
  timestamp; OCPP 1.6 §4.8 / OCPP-J §4.1.1 "a message may be resent") gets the id it got
  the first time and records nothing new.
- The transaction is recorded whatever the idTag's status (the station may already be
  charging, §4.8: it decides to stop on a non-Accepted idTagInfo).
- Energy = meterStop − meterStart (:func:`processors.core.transactions.energy_wh`). A meterStop
  below meterStart is accepted on the wire (§4.10 offers no rejection) but flagged
  ``meter_stop_below_start`` and no energy is summed.
- A StopTransaction for a transaction the CSMS does not know is still recorded, under a
  fresh CSMS id, flagged ``unknown_transaction``; one for a transaction that just ended is
  a retry: same answer, nothing new recorded.
- Tariff and cost: a StartTransaction resolves the transaction's tariff (``TariffApplied``
  with its ``TransactionStarted``, :mod:`processors.core.tariffs`); a station with cost
  messages on gets the California Pricing messages (:mod:`processors.ocpp16.cost_messages`):
  SetUserPrice after the start, FinalCost after the stop.
"""

from __future__ import annotations

from ocpp import Call
from ocpp.v16.requests import StartTransactionRequest, StopTransactionRequest
from ocpp.v16.responses import StartTransactionResponse, StopTransactionResponse
from processors.core.authorization import authorize
from processors.core.decision import Context, Decision, answer
from processors.core.meter_values import meter_values_event
from processors.core.state import OpenTransaction, StationState
from processors.core.tariffs import tariff_applied
from processors.core.transactions import UNKNOWN_TRANSACTION, energy_wh
from processors.ocpp16 import cost_messages
from processors.ocpp16.authorization import id_tag_info
from processors.ocpp16.meter_values import stored_samples
from schemas.events import DomainEvent, EventEnvelope, TransactionEnded, TransactionStarted

DEFAULT_STOP_REASON = "Local"  # §7.39: "MAY only be omitted when the Reason is Local"


def start_key(req: StartTransactionRequest) -> str:
    """What identifies a retried StartTransaction of one station."""
    return f"{req.connector_id}|{req.id_tag}|{req.timestamp}"


def decide_start(state: StationState, call: Call, ctx: Context) -> Decision:
    req = StartTransactionRequest.model_validate(call.payload)
    auth = authorize(req.id_tag, None, ctx)
    key = start_key(req)
    known = state.started_id(key)
    if known is not None:
        reply = StartTransactionResponse(id_tag_info=id_tag_info(auth), transaction_id=known)
        return Decision(reply=answer(call, reply))
    csms_id = ctx.transaction_ids.nth(0)
    event = ctx.event(TransactionStarted(
        id=csms_id, transaction_id=str(csms_id), ocpp_version=ctx.version.value,
        evse_id=req.connector_id, connector_id=req.connector_id, id_token=req.id_tag,
        id_token_type=None, id_token_status=auth.status,
        started_at=ctx.station_time(req.timestamp), meter_start_wh=float(req.meter_start),
        reservation_id=req.reservation_id, remote_start_id=None, seq_no=None,
        charging_state=None, trigger_reason=None, offline=False, start_key=key,
    ))  # fmt: skip
    applied = tariff_applied(state, event.data, ctx)
    price = cost_messages.set_user_price(state, auth, req.connector_id, ctx,
                                         event.data.started_at)  # fmt: skip
    reply = StartTransactionResponse(id_tag_info=id_tag_info(auth), transaction_id=csms_id)
    events = (event, *([applied] if applied is not None else []), *price.events)
    return Decision(events=events, reply=answer(call, reply), transaction_ids_used=1,
                    send=price.send)  # fmt: skip


def decide_stop(state: StationState, call: Call, ctx: Context) -> Decision:
    req = StopTransactionRequest.model_validate(call.payload)
    # §4.10: idTagInfo only when the request carried an idTag.
    info = None if req.id_tag is None else id_tag_info(authorize(req.id_tag, None, ctx))
    reply = answer(call, StopTransactionResponse(id_tag_info=info))
    wire = str(req.transaction_id)
    txn = state.transactions.get(wire)
    if txn is None and state.ended_id(wire) is not None:
        return Decision(reply=reply)  # a retry of the stop just recorded
    csms_id = txn.id if txn is not None else ctx.transaction_ids.nth(0)
    ended = _ended(req, txn, csms_id, ctx)
    events: list[EventEnvelope[DomainEvent]] = [ctx.event(ended)]
    if req.transaction_data:
        events.append(meter_values_event(
            ctx, stored_samples(req.transaction_data, ctx), source="StopTransaction", id=csms_id,
            transaction_id=wire, evse_id=txn.evse_id if txn else None,
            connector_id=txn.connector_id if txn else None,
        ))  # fmt: skip
    final = cost_messages.final_cost_message(state, txn, ended, ctx)
    return Decision(events=(*events, *final.events), reply=reply, send=final.send,
                    transaction_ids_used=0 if txn is not None else 1)  # fmt: skip


def _ended(req: StopTransactionRequest, txn: OpenTransaction | None, csms_id: int,
           ctx: Context) -> TransactionEnded:  # fmt: skip
    anomalies = [] if txn is not None else [UNKNOWN_TRANSACTION]
    meter_start = txn.meter_start_wh if txn is not None else None
    energy = energy_wh(meter_start, float(req.meter_stop), anomalies)
    return TransactionEnded(
        id=csms_id, transaction_id=str(req.transaction_id), ocpp_version=ctx.version.value,
        evse_id=txn.evse_id if txn else None, connector_id=txn.connector_id if txn else None,
        stopped_at=ctx.station_time(req.timestamp), meter_start_wh=meter_start,
        meter_stop_wh=float(req.meter_stop), energy_wh=energy,
        stop_reason=req.reason.value if req.reason else DEFAULT_STOP_REASON,
        stop_id_token=req.id_tag, seq_no=None, missing_seq_nos=(), trigger_reason=None,
        charging_state=None, offline=False, anomalies=tuple(anomalies),
    )  # fmt: skip
