"""What a domain event says about a charging session, as :class:`billing.rating.Reading`s.

The processor (running cost on the station) and the billing projection (CDRs) both rate a
session by feeding its events through :func:`readings_of`, so both see the same readings and
state the same amounts (docs/BILLING.md).

| event | readings |
|---|---|
| ``TransactionStarted`` | one at ``started_at``: ``meter_start_wh``, the charging state |
| ``TransactionUpdated`` | one at ``at`` when it states a register or a charging state |
| ``MeterValuesReported`` | one per ``sampled_at``: the register, the power, the current |
| ``TransactionEnded`` | the stop: ``stopped_at``, ``meter_stop_wh`` |
| ``ConnectorStatusChanged`` | one at ``status_at`` for a 1.6 charging status (*) |

(*) The caller maps the connector to its transaction.

Samples are read in their canonical units (:class:`schemas.events.Sample`): the whole-meter
Energy.Active.Import.Register (no phase), Power.Active.Import (the whole-meter value, else the
sum of the phases) and Current.Import (summed over the phases, else the whole-meter value).
Floats become :class:`~decimal.Decimal` through their shortest text (``Decimal(repr(x))``), so
1100.1 Wh is exactly ``Decimal("1100.1")``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import singledispatch

from billing.rating import Reading
from schemas.events import (
    ConnectorStatusChanged,
    DomainEvent,
    MeterValuesReported,
    Sample,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"

CHARGING_STATES: dict[str, bool] = {
    "Charging": True, "EVConnected": False, "SuspendedEV": False, "SuspendedEVSE": False,
    "Idle": False,
}  # fmt: skip
"""OCPP 2.0.1 ChargingStateEnumType → whether the EV takes energy."""

CHARGING_STATUSES: dict[str, bool] = {
    "Charging": True, "SuspendedEV": False, "SuspendedEVSE": False, "Finishing": False,
}  # fmt: skip
"""OCPP 1.6 ChargePointStatus (§7.7) of a connector with a transaction → whether the EV takes
energy; other statuses say nothing about it."""

LINES: dict[str, str] = {"L1": "L1", "L2": "L2", "L3": "L3",
                         "L1-N": "L1", "L2-N": "L2", "L3-N": "L3"}  # fmt: skip
"""A sample's phase → the line it measures (a line counted once in a sum over phases)."""


def readings_of(event: DomainEvent) -> list[Reading]:
    """The readings ``event`` states, in time order for one sampled message."""
    return _readings(event)


def decimal(value: float | None) -> Decimal | None:
    """``value`` exactly as its shortest text reads."""
    if value is None:
        return None
    if not value or type(value) is not float:  # 0.0 and -0.0, 5 and 5.0: equal keys, read apart
        return Decimal(repr(value))
    found = _EXACT.get(value)
    if found is None:
        if len(_EXACT) >= _EXACT_SIZE:
            _EXACT.clear()
        found = _EXACT[value] = Decimal(repr(value))
    return found


_EXACT: dict[float, Decimal] = {}
"""Recent values read (a station's currents and powers repeat): a dict lookup instead of a
float's shortest text and its parse."""
_EXACT_SIZE = 4096


def charging_of(charging_state: str | None) -> bool | None:
    """2.0.1 chargingState → charging (None: not stated, or a state this does not know)."""
    return None if charging_state is None else CHARGING_STATES.get(charging_state)


@singledispatch
def _readings(event: DomainEvent) -> list[Reading]:
    return []


@_readings.register
def _started(event: TransactionStarted) -> list[Reading]:
    return [Reading.of(at=event.started_at, energy_wh=decimal(event.meter_start_wh),
                       charging=charging_of(event.charging_state))]  # fmt: skip


@_readings.register
def _updated(event: TransactionUpdated) -> list[Reading]:
    charging = charging_of(event.charging_state)
    if event.register_wh is None and charging is None:
        return []
    return [Reading.of(at=event.at, energy_wh=decimal(event.register_wh), charging=charging)]


@_readings.register
def _ended(event: TransactionEnded) -> list[Reading]:
    return [Reading.of(at=event.stopped_at, energy_wh=decimal(event.meter_stop_wh))]


@_readings.register
def _status(event: ConnectorStatusChanged) -> list[Reading]:
    charging = CHARGING_STATUSES.get(event.status)
    return [] if charging is None else [Reading.of(at=event.status_at, charging=charging)]


@_readings.register
def _meter_values(event: MeterValuesReported) -> list[Reading]:
    by_time: dict[datetime, list[Sample]] = {}
    for sample in event.samples:
        if sample.canonical_value is not None:
            by_time.setdefault(sample.sampled_at, []).append(sample)
    readings = (_sampled(at, samples) for at, samples in sorted(by_time.items()))
    return [r for r in readings if r is not None]


def _sampled(at: datetime, samples: list[Sample]) -> Reading | None:
    energy = _whole(samples, ENERGY, "Wh")
    power = _whole(samples, POWER, "W")
    current = _phase_sum(samples, CURRENT, "A")
    if power is None:
        power = _phase_sum(samples, POWER, "W")
    if current is None:
        current = _whole(samples, CURRENT, "A")
    if energy is None and power is None and current is None:
        return None
    return Reading.of(at=at, energy_wh=energy, power_w=power, current_a=current)


def _of(samples: Iterable[Sample], measurand: str, unit: str) -> list[Sample]:
    return [s for s in samples if s.measurand == measurand and s.canonical_unit == unit]


def _whole(samples: list[Sample], measurand: str, unit: str) -> Decimal | None:
    """The last whole-meter (no phase) value of ``measurand``."""
    values = [s.canonical_value for s in _of(samples, measurand, unit) if s.phase is None]
    return decimal(values[-1]) if values else None


def _phase_sum(samples: list[Sample], measurand: str, unit: str) -> Decimal | None:
    """The sum over the lines of ``measurand``'s per-phase values (each line's last value)."""
    per_line: dict[str, Decimal] = {}
    for s in _of(samples, measurand, unit):
        line = LINES.get(s.phase or "")
        value = decimal(s.canonical_value)
        if line is not None and value is not None:
            per_line[line] = value
    return sum(per_line.values(), Decimal(0)) if per_line else None
