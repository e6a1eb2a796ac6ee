"""Meter values: every sampled value kept with its measurand, phase, unit, context,
location and time, converted to a canonical unit while keeping the original
(OCPP 1.6 §4.7, §7.31-7.33, §7.45; OCPP 2.0.1 J01, SampledValueType, UnitOfMeasureType).

Defaults the specs give for absent fields are applied to the stored measurand, context and
location (measurand Energy.Active.Import.Register, context Sample.Periodic, location
Outlet); the original ``unit`` is kept as sent (None when absent), and the canonical unit is
derived from it, or from the measurand when absent (1.6: "Default = Wh if the (default)
measurand is an Energy type"; 2.0.1 UnitOfMeasureType: unit default "Wh", multiplier 0).

Signed values are stored verbatim: 1.6 ``format = SignedData`` keeps the value text as the
signed data (it has no numeric value); 2.0.1 ``signedMeterValue`` keeps the whole object.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from processors.core.decision import Context
from schemas.events import EventEnvelope, MeterValuesReported, Sample

MeterValuesSource = Literal["MeterValues", "StopTransaction", "TransactionEvent"]
"""The message the samples came in (``MeterValuesReported.source``)."""

ENERGY_REGISTER = "Energy.Active.Import.Register"
DEFAULT_CONTEXT = "Sample.Periodic"
DEFAULT_LOCATION = "Outlet"
SIGNED_DATA = "SignedData"

# unit as sent → (canonical unit, factor); temperatures are converted separately.
UNITS: dict[str, tuple[str, int]] = {
    "Wh": ("Wh", 1), "kWh": ("Wh", 1000), "varh": ("varh", 1), "kvarh": ("varh", 1000),
    "W": ("W", 1), "kW": ("W", 1000), "VA": ("VA", 1), "kVA": ("VA", 1000),
    "var": ("var", 1), "kvar": ("var", 1000), "A": ("A", 1), "V": ("V", 1),
    "Percent": ("%", 1), "Hertz": ("Hz", 1), "Celsius": ("Celsius", 1),
    "Celcius": ("Celsius", 1),  # sic, the OCPP 1.6 spelling
}  # fmt: skip

# measurand prefix → the unit a value without one is in.
MEASURAND_UNITS: tuple[tuple[str, str], ...] = (
    ("Energy.Active", "Wh"), ("Energy.Reactive", "varh"), ("Power.Active", "W"),
    ("Power.Offered", "W"), ("Power.Reactive", "var"), ("Current", "A"), ("Voltage", "V"),
    ("SoC", "Percent"), ("Frequency", "Hertz"), ("Temperature", "Celsius"),
)  # fmt: skip


def canonical(value: float, unit: str | None, measurand: str,
              multiplier: int = 0) -> tuple[float | None, str | None]:  # fmt: skip
    """``value`` (× 10^multiplier) in its canonical unit: Wh, varh, W, VA, var, A, V, %, Hz,
    Celsius; (None, None) for a unit without one (e.g. Power.Factor, RPM) or a non-finite value.

    Computed in decimal from the value's shortest text, so 1.1 kWh is 1100 Wh, not
    1100.0000000000002."""
    if not math.isfinite(value):
        return None, None
    unit = unit or _measurand_unit(measurand)
    scaled = Decimal(repr(value)).scaleb(multiplier)
    if unit == "K":
        return float(scaled - Decimal("273.15")), "Celsius"
    if unit == "Fahrenheit":
        return round(float((scaled - 32) * 5 / 9), 6), "Celsius"
    if unit not in UNITS:
        return None, None
    target, factor = UNITS[unit]
    return float(scaled * factor), target


def _measurand_unit(measurand: str) -> str | None:
    return next((u for prefix, u in MEASURAND_UNITS if measurand.startswith(prefix)), None)


def number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def energy_register_wh(samples: Sequence[Sample], *,
                       prefer_context: str | None = None) -> float | None:  # fmt: skip
    """The whole-meter Energy.Active.Import.Register reading (Wh) among ``samples``: the last
    one in ``prefer_context`` if any, else the last one (per-phase readings are ignored)."""
    readings = [(s.context, s.canonical_value) for s in samples
                if s.measurand == ENERGY_REGISTER and s.phase is None
                and s.canonical_unit == "Wh" and s.canonical_value is not None]  # fmt: skip
    preferred = [r for r in readings if r[0] == prefer_context]
    chosen = preferred or readings
    return float(chosen[-1][1]) if chosen else None


def meter_values_event(ctx: Context, samples: Sequence[Sample], *, source: MeterValuesSource,
                       id: int | None = None, transaction_id: str | None = None,  # noqa: A002
                       evse_id: int | None = None,
                       connector_id: int | None = None,
                       ) -> EventEnvelope[MeterValuesReported]:  # fmt: skip
    return ctx.event(MeterValuesReported(
        id=id, transaction_id=transaction_id, evse_id=evse_id, connector_id=connector_id,
        source=source, samples=tuple(samples),
    ))  # fmt: skip
