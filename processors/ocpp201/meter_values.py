"""OCPP 2.0.1 MeterValues (J01) and the 2.0.1 MeterValueType / SampledValueType /
UnitOfMeasureType as stored samples; units, defaults and signed values as
:mod:`processors.core.meter_values` says.

``signedMeterValue`` is kept as the whole object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocpp import Call, CallResult, to_payload
from ocpp.v201.datatypes import MeterValueType
from ocpp.v201.requests import MeterValuesRequest
from processors.core.decision import Context, Decision
from processors.core.meter_values import ENERGY_REGISTER, canonical, meter_values_event, sample
from processors.core.state import StationState


def stored_samples(meter_values: Sequence[MeterValueType], ctx: Context) -> list[dict[str, Any]]:
    """OCPP 2.0.1 MeterValueType → stored samples."""
    out: list[dict[str, Any]] = []
    for mv in meter_values:
        at = ctx.station_time(mv.timestamp)
        for sv in mv.sampled_value:
            measurand = sv.measurand.value if sv.measurand else ENERGY_REGISTER
            uom = sv.unit_of_measure
            unit = uom.unit if uom else None
            multiplier = uom.multiplier if uom and uom.multiplier is not None else 0
            value, target = canonical(float(sv.value), unit, measurand, multiplier)
            signed = to_payload(sv.signed_meter_value) if sv.signed_meter_value else None
            out.append(sample(at, measurand, sv.phase.value if sv.phase else None,
                              sv.context.value if sv.context else None,
                              sv.location.value if sv.location else None, str(sv.value),
                              unit, uom.multiplier if uom else None, value, target,
                              None, signed))  # fmt: skip
    return out


def decide_meter_values(state: StationState, call: Call, ctx: Context) -> Decision:
    """J01: MeterValuesRequest (outside transactions; evseId 0 = main meter)."""
    req = MeterValuesRequest.model_validate(call.payload)
    event = meter_values_event(ctx, stored_samples(req.meter_value, ctx), source="MeterValues",
                               evse_id=req.evse_id)  # fmt: skip
    return Decision(events=(event,), reply=CallResult(call.unique_id, {}))
