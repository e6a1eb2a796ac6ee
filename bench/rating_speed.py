"""Micro-benchmark of the pure billing rating core (billing.rating, billing.cdr): µs per
``Reading`` construction and per ``observe`` on the common path (a meter value with register,
power and current, far from any boundary), and µs per ``close`` + ``price`` + ``build_cdr`` of
a 20-reading session, for three tariffs: simple energy, the backfill's time-of-day tariff
(energy, time, parking, flat) and the OCPI complex example. Times are this process's CPU time
(the best of ``--rounds``), so that other load on the machine disturbs them less.

    python -m bench.rating_speed [--sessions 300]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing.cdr import SessionFacts, build_cdr
from billing.rating import Meter, Reading, close, observe, open_meter, price
from schemas.tariffs import Tariff

ZONE = "Europe/Berlin"
START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
"""A Monday, 10:30 in Berlin: twenty minutes from any boundary of the three tariffs."""

SIMPLE = {
    "country_code": "DE", "party_id": "ALL", "id": "16", "currency": "EUR",
    "elements": [{"price_components": [
        {"type": "ENERGY", "price": "0.25", "vat": "10.0", "step_size": 1}]}],
    "last_updated": "2018-12-17T11:16:55Z",
}  # fmt: skip
COMPLEX = {
    "country_code": "DE", "party_id": "ALL", "id": "14", "currency": "EUR", "type": "REGULAR",
    "elements": [
        {"price_components": [{"type": "FLAT", "price": "2.50", "vat": "15.0", "step_size": 1}]},
        {"price_components": [{"type": "TIME", "price": "1.00", "vat": "20.0",
                               "step_size": 900}], "restrictions": {"max_current": "32.00"}},
        {"price_components": [{"type": "TIME", "price": "2.00", "vat": "20.0", "step_size": 600}],
         "restrictions": {"min_current": "32.00", "day_of_week": [
             "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
        {"price_components": [{"type": "TIME", "price": "1.25", "vat": "20.0", "step_size": 600}],
         "restrictions": {"min_current": "32.00", "day_of_week": ["SATURDAY", "SUNDAY"]}},
        {"price_components": [
            {"type": "PARKING_TIME", "price": "5.00", "vat": "10.0", "step_size": 300}],
         "restrictions": {"start_time": "09:00", "end_time": "18:00", "day_of_week": [
             "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
        {"price_components": [
            {"type": "PARKING_TIME", "price": "6.00", "vat": "10.0", "step_size": 300}],
         "restrictions": {"start_time": "10:00", "end_time": "17:00",
                          "day_of_week": ["SATURDAY"]}},
    ],
    "last_updated": "2015-06-29T20:39:09Z",
}  # fmt: skip
TIME_OF_DAY = {
    "country_code": "NL", "party_id": "CSM", "id": "BENCH", "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "FLAT", "price": "0.35", "vat": 21, "step_size": 1}]},
        {"price_components": [{"type": "ENERGY", "price": "0.44", "vat": 21, "step_size": 1},
                              {"type": "TIME", "price": "0.60", "vat": 21, "step_size": 60}],
         "restrictions": {"start_time": "07:00", "end_time": "22:00"}},
        {"price_components": [{"type": "ENERGY", "price": "0.29", "vat": 21, "step_size": 1},
                              {"type": "PARKING_TIME", "price": "3.00", "vat": 21,
                               "step_size": 300}]},
    ],
    "last_updated": "2026-11-01T00:00:00Z",
}  # fmt: skip
"""bench/billing_backfill.py's tariff (version 2), copied so that this bench stays the same."""
TARIFFS: dict[str, Callable[[], Tariff]] = {
    "simple energy": lambda: Tariff.model_validate(SIMPLE),
    "time of day": lambda: Tariff.model_validate(TIME_OF_DAY),
    "OCPI complex": lambda: Tariff.model_validate(COMPLEX),
}


@dataclass(frozen=True)
class Session:
    started_at: datetime
    start: Reading
    common: list[Reading]
    """Meter values while charging: the common path."""
    rest: list[Reading]
    """A change to parking, meter values while parked."""
    stop: Reading


def reading(at: datetime, energy_wh: Decimal | None = None, power_w: Decimal | None = None,
            current_a: Decimal | None = None, charging: bool | None = None) -> Reading:  # fmt: skip
    of = getattr(Reading, "of", None)  # the fast constructor, where there is one
    if of is not None:
        built: Reading = of(at, energy_wh, power_w, current_a, charging)
        return built
    return Reading(at=at, energy_wh=energy_wh, power_w=power_w, current_a=current_a,
                   charging=charging)  # fmt: skip


def session(n: int) -> Session:
    """Session ``n``: 15 meter values a minute apart while charging at 11 kW, a change to
    parking, 3 meter values parked, the stop (20 readings)."""
    started_at = START + timedelta(seconds=n)
    register = Decimal(1_000_000 + n)
    common = []
    for minute in range(1, 16):
        register += Decimal("183.333")
        common.append(reading(started_at + timedelta(minutes=minute), register,
                              Decimal(11000), Decimal("48.0")))  # fmt: skip
    parked_at = started_at + timedelta(minutes=15, seconds=30)
    rest = [reading(parked_at, charging=False)]
    rest += [reading(parked_at + timedelta(minutes=m), register, Decimal(0), Decimal(0))
             for m in (1, 2, 3)]  # fmt: skip
    stop = reading(parked_at + timedelta(minutes=4), register)
    return Session(started_at, reading(started_at, Decimal(1_000_000 + n), charging=True),
                   common, rest, stop)


def facts(s: Session) -> SessionFacts:
    return SessionFacts(transaction_pk=1, station_id="CP-1", evse_id=1, connector_id=1,
                        id_token="04A2B3C4", id_token_type="ISO14443",
                        auth_method="WHITELIST", start_date_time=s.started_at,
                        end_date_time=s.stop.at)  # fmt: skip


def measure(name: str, make: Callable[[], Tariff], sessions: list[Session]) -> dict[str, float]:
    t = make()
    observe_s = 0.0
    observed = 0
    meters: list[Meter] = []
    for s in sessions:
        meter = open_meter(t, ZONE, s.started_at, s.start)
        begun = time.process_time()
        for r in s.common:
            meter = observe(meter, t, r)
        observe_s += time.process_time() - begun
        observed += len(s.common)
        for r in s.rest:
            meter = observe(meter, t, r)
        meters.append(meter)
    begun = time.process_time()
    for s, meter in zip(sessions, meters, strict=True):
        cost = price(close(meter, t, s.stop), t)
        build_cdr("CDR", facts(s), t, 1, cost, s.stop.at)
    ending_s = time.process_time() - begun
    return {"observe_us": observe_s / observed * 1e6, "end_us": ending_s / len(sessions) * 1e6}


def reading_us(sessions: list[Session]) -> float:
    rows = [(r.at, r.energy_wh, r.power_w, r.current_a) for s in sessions for r in s.common]
    begun = time.process_time()
    for at, energy, power, current in rows:
        reading(at, energy, power, current)
    return (time.process_time() - begun) / len(rows) * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sessions", type=int, default=300)
    p.add_argument("--rounds", type=int, default=5, help="the best of this many rounds")
    args = p.parse_args()
    sessions = [session(n) for n in range(args.sessions)]
    print(f"Reading construction: {min(reading_us(sessions) for _ in range(args.rounds)):.2f} µs")
    for name, make in TARIFFS.items():
        rounds = [measure(name, make, sessions) for _ in range(args.rounds)]
        best_observe = min(r["observe_us"] for r in rounds)
        best_end = min(r["end_us"] for r in rounds)
        print(f"{name:>14}: observe {best_observe:6.2f} µs/reading, "
              f"close + price + build_cdr {best_end:7.1f} µs/session")  # fmt: skip


if __name__ == "__main__":
    main()
