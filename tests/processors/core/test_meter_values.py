"""Meter values: canonical units (processors/core/meter_values.py)."""

from __future__ import annotations

import pytest

from processors.core.meter_values import canonical


@pytest.mark.parametrize(("value", "unit", "measurand", "multiplier", "expected"), [
    (1.1, "kWh", "Energy.Active.Import.Register", 0, (1100, "Wh")),
    (16, "Wh", "Energy.Active.Import.Register", 3, (16000, "Wh")),
    (7.4, "kW", "Power.Active.Import", 0, (7400, "W")),
    (32, None, "Current.Import", 0, (32, "A")),
    (230, None, "Voltage", 0, (230, "V")),
    (80, "Percent", "SoC", 0, (80, "%")),
    (5, None, "Energy.Active.Import.Register", 0, (5, "Wh")),
    (300, "K", "Temperature", 0, (26.85, "Celsius")),
    (212, "Fahrenheit", "Temperature", 0, (100, "Celsius")),
    (0.95, None, "Power.Factor", 0, (None, None)),
    (3, "furlongs", "Energy.Active.Import.Register", 0, (None, None)),
])  # fmt: skip
def test_canonical(value: float, unit: str | None, measurand: str, multiplier: int,
                   expected: tuple[float | None, str | None]) -> None:  # fmt: skip
    assert canonical(value, unit, measurand, multiplier) == expected
