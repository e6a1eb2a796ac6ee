"""Realistic readings of a charging session, built from its phases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.rating import Reading

REGISTER_AT_START = Decimal(1_234_567)
"""Wh: a meter that has served for a while."""


@dataclass(frozen=True)
class Phase:
    """``seconds`` of charging (or not) with ``wh`` delivered evenly, at ``current_a``."""

    seconds: int
    wh: Decimal = Decimal(0)
    charging: bool = True
    current_a: Decimal | None = None
    power_w: Decimal | None = None


@dataclass(frozen=True)
class Session:
    started_at: datetime
    readings: list[Reading]
    stop: Reading

    @property
    def ended_at(self) -> datetime:
        return self.stop.at


def local(text: str, zone: str = "Europe/Berlin") -> datetime:
    """A wall time ("2024-03-04 09:30") of ``zone`` (fold 0)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def session(started_at: datetime, phases: list[Phase], every: int = 60,
            registers: bool = True) -> Session:  # fmt: skip
    """Readings as a station sends them: the start (register, state), a meter value every
    ``every`` seconds within each phase (register, and power or current where given), a
    state change without a register where the charging state changes, and the stop."""
    register = REGISTER_AT_START
    at = started_at
    first = Reading(at=at, energy_wh=register if registers else None,
                    charging=phases[0].charging)  # fmt: skip
    readings = [first]
    for n, phase in enumerate(phases):
        if n and phase.charging != phases[n - 1].charging:
            readings.append(Reading(at=at, charging=phase.charging))
        for t in range(every, phase.seconds + every, every):
            done = min(t, phase.seconds)
            wh = register + (phase.wh * done / phase.seconds).quantize(Decimal("0.001"))
            if done == phase.seconds:
                wh = register + phase.wh
            readings.append(Reading(
                at=at + timedelta(seconds=done), energy_wh=wh if registers else None,
                power_w=phase.power_w if phase.charging else None,
                current_a=phase.current_a if phase.charging else None,
            ))  # fmt: skip
        at += timedelta(seconds=phase.seconds)
        register += phase.wh
    stop = Reading(at=at, energy_wh=register if registers else None)
    return Session(started_at, readings, stop)
