"""OCPP 2.0.1 MeterValues (J01) and the 2.0.1 MeterValueType / SampledValueType /
UnitOfMeasureType as stored samples; units, defaults and signed values as
:mod:`processors.core.meter_values` says.

``signedMeterValue`` is kept as the whole object.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ocpp import Call, to_payload
from ocpp.v201.datatypes import MeterValueType, SampledValueType
from ocpp.v201.requests import MeterValuesRequest
from ocpp.v201.responses import MeterValuesResponse
from processors.core.decision import Context, Decision, answer
from processors.core.meter_values import (
    DEFAULT_CONTEXT,
    DEFAULT_LOCATION,
    ENERGY_REGISTER,
    canonical,
    meter_values_event,
)
from processors.core.state import StationState
from schemas.events import Sample


def stored_samples(meter_values: Sequence[MeterValueType], ctx: Context) -> list[Sample]:
    """OCPP 2.0.1 MeterValueType → stored samples."""
    out: list[Sample] = []
    for mv in meter_values:
        at = ctx.station_time(mv.timestamp)
        out.extend(_sample(sv, at) for sv in mv.sampled_value)
    return out


def _sample(sv: SampledValueType, at: datetime) -> Sample:
    measurand = sv.measurand.value if sv.measurand else ENERGY_REGISTER
    uom = sv.unit_of_measure
    unit = uom.unit if uom else None
    multiplier = uom.multiplier if uom else None
    value, target = canonical(float(sv.value), unit, measurand, multiplier or 0)
    return Sample(
        sampled_at=at, measurand=measurand, phase=sv.phase.value if sv.phase else None,
        context=sv.context.value if sv.context else DEFAULT_CONTEXT,
        location=sv.location.value if sv.location else DEFAULT_LOCATION, value=str(sv.value),
        unit=unit, multiplier=multiplier, canonical_value=value, canonical_unit=target,
        format=None,
        signed_data=to_payload(sv.signed_meter_value) if sv.signed_meter_value else None,
    )  # fmt: skip


def decide_meter_values(state: StationState, call: Call, ctx: Context) -> Decision:
    """J01: MeterValuesRequest (outside transactions; evseId 0 = main meter)."""
    req = MeterValuesRequest.model_validate(call.payload)
    event = meter_values_event(ctx, stored_samples(req.meter_value, ctx), source="MeterValues",
                               evse_id=req.evse_id)  # fmt: skip
    return Decision(events=(event,), reply=answer(call, MeterValuesResponse()))
