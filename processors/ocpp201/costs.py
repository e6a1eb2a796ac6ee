"""OCPP 2.0.1 Tariff and Cost (Part 2, block I) with the cost calculated by the CSMS.

- I01 (show the EV driver-specific tariff): an authorized token (status Accepted) that a
  tariff applies to gets it in ``idTokenInfo.personalMessage`` (format UTF8, the language of
  the tariff's alternative text, its text or a short price summary) in the AuthorizeResponse
  (the tariff the token would start a session under at this station: its group, the station,
  the default; an Authorize names no EVSE) and in the TransactionEventResponse (the tariff
  that priced the transaction). Not gated on cost messages: it is the price, not a cost.
- I02 (running cost): ``CostUpdatedRequest(totalCost, transactionId)`` queued through the
  Pipe when a TransactionEvent Updated of a priced transaction brings a reading and
  ``cost_update_interval_s`` has passed on the station's meter time since the last one (events
  the station sends as ``offline`` are about the past: no running cost for them).
- I03 (final cost): ``TransactionEventResponse.totalCost`` on the Ended event of a priced
  transaction: the final cost including VAT when the tariff states it, else excluding VAT
  (the spec asks for "including taxes"; 0.00 for a free session, omitted when the CSMS cannot
  tell, i.e. for a transaction no tariff priced).

I02 and I03 go only to stations with cost messages on (the default for 2.0.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ocpp import to_payload
from ocpp.v201.datatypes import IdTokenInfoType, MessageContentType
from ocpp.v201.enums import MessageFormatEnumType
from ocpp.v201.requests import CostUpdatedRequest
from processors.core.authorization import ACCEPTED, Authorization
from processors.core.calls import queue_call
from processors.core.decision import Context, Decision
from processors.core.pricing import COST_UPDATED, amount
from processors.core.state import OpenTransaction, StationState
from processors.core.tariffs import (
    cost_messages_on,
    final_cost_of,
    price_text,
    resolve,
    running_cost_expiry,
    running_cost_to_send,
    tariff_of,
)
from schemas.events import DomainEvent, EventEnvelope, TransactionEnded
from schemas.tariffs import Tariff


def personal_message(tariff: Tariff, state: StationState, at: datetime) -> MessageContentType:
    """I01: the tariff as a message to the driver."""
    language, text = price_text(tariff, state, at)
    return MessageContentType(format=MessageFormatEnumType.UTF8, language=language,
                              content=text)  # fmt: skip


def with_tariff(info: IdTokenInfoType, auth: Authorization, tariff: Tariff | None,
                state: StationState, at: datetime) -> IdTokenInfoType:  # fmt: skip
    """I01: ``info`` with the tariff in its personalMessage when the token is authorized; a
    generated summary states the prices asked at ``at``."""
    if tariff is None or auth.status != ACCEPTED:
        return info
    message = personal_message(tariff, state, at)
    return info.model_copy(update={"personal_message": message})


def tariff_for_token(auth: Authorization, ctx: Context) -> Tariff | None:
    """The tariff a session of this token at this station would start under (I01, Authorize)."""
    applied = resolve(ctx, evse_id=None, id_token=auth.id_token)
    return None if applied is None else applied.tariff


def transaction_tariff(txn: OpenTransaction | None, ctx: Context) -> Tariff | None:
    priced = None if txn is None else txn.priced
    return None if priced is None else tariff_of(priced, ctx)


def total_cost(state: StationState, txn: OpenTransaction | None, ended: TransactionEnded,
               ctx: Context) -> float | None:  # fmt: skip
    """I03: the final cost of a priced transaction, for a station with cost messages on."""
    if not cost_messages_on(state, ctx.version):
        return None
    final = final_cost_of(txn, ended, ctx)
    return None if final is None else float(amount(final[1]))


def cost_updated(state: StationState, events: Sequence[EventEnvelope[DomainEvent]], wire: str,
                 ctx: Context) -> Decision:  # fmt: skip
    """I02: a CostUpdated call when the running cost of ``wire`` is due after ``events``."""
    due = running_cost_to_send(state, events, wire, ctx)
    if due is None:
        return Decision()
    request = CostUpdatedRequest(total_cost=float(amount(due.cost)), transaction_id=wire)
    return queue_call(state, ctx, COST_UPDATED, to_payload(request),
                      expires_in=running_cost_expiry(ctx))  # fmt: skip
