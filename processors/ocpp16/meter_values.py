"""OCPP 1.6 MeterValues (§4.7) and the 1.6 MeterValue / SampledValue (§7.31-7.33, §7.45) as
stored samples; units, defaults and signed values as :mod:`processors.core.meter_values`
says.

1.6 ``format = SignedData`` keeps the value text as the signed data (it has no numeric
value).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ocpp import Call
from ocpp.v16.datatypes import MeterValue, SampledValue
from ocpp.v16.requests import MeterValuesRequest
from ocpp.v16.responses import MeterValuesResponse
from processors.core.decision import Context, Decision, answer
from processors.core.meter_values import (
    DEFAULT_CONTEXT,
    DEFAULT_LOCATION,
    ENERGY_REGISTER,
    SIGNED_DATA,
    canonical,
    meter_values_event,
    number,
)
from processors.core.state import StationState
from processors.ocpp16 import cost_messages
from schemas.events import DomainEvent, EventEnvelope, Sample


def stored_samples(meter_values: Sequence[MeterValue], ctx: Context) -> list[Sample]:
    """OCPP 1.6 MeterValue → stored samples."""
    out: list[Sample] = []
    for mv in meter_values:
        at = ctx.station_time(mv.timestamp)
        out.extend(_sample(sv, at) for sv in mv.sampled_value)
    return out


def _sample(sv: SampledValue, at: datetime) -> Sample:
    measurand = sv.measurand.value if sv.measurand else ENERGY_REGISTER
    unit = sv.unit.value if sv.unit else None
    fmt = sv.format.value if sv.format else None
    signed = sv.value if fmt == SIGNED_DATA else None
    read = None if signed is not None else number(sv.value)
    value, target = (None, None) if read is None else canonical(read, unit, measurand)
    return Sample(
        sampled_at=at, measurand=measurand, phase=sv.phase.value if sv.phase else None,
        context=sv.context.value if sv.context else DEFAULT_CONTEXT,
        location=sv.location.value if sv.location else DEFAULT_LOCATION, value=sv.value,
        unit=unit, multiplier=None, canonical_value=value, canonical_unit=target, format=fmt,
        signed_data=signed,
    )  # fmt: skip


def decide_meter_values(state: StationState, call: Call, ctx: Context) -> Decision:
    """§4.7: MeterValues.req, optionally for a transaction; answered empty. The meter values
    of a priced transaction may bring its running cost (California Pricing RunningCost)."""
    req = MeterValuesRequest.model_validate(call.payload)
    wire = None if req.transaction_id is None else str(req.transaction_id)
    txn = state.transactions.get(wire) if wire is not None else None
    csms_id = txn.id if txn else state.ended_id(wire) if wire is not None else None
    event = meter_values_event(ctx, stored_samples(req.meter_value, ctx), source="MeterValues",
                               id=csms_id, transaction_id=wire, evse_id=req.connector_id,
                               connector_id=req.connector_id)  # fmt: skip
    events: tuple[EventEnvelope[DomainEvent], ...] = (event,)
    running = Decision() if wire is None else cost_messages.running_cost(state, events, wire, ctx)
    return Decision(events=(*events, *running.events), reply=answer(call, MeterValuesResponse()),
                    send=running.send)  # fmt: skip
