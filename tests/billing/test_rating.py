"""billing.rating: the worked examples of OCPI 2.2.1 mod_tariffs, and the edge cases of real
sessions (midnight, DST, resets, missing registers, sessions still going, late readings)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.rating import (
    Cost,
    Meter,
    Reading,
    close,
    observe,
    open_meter,
    price,
    rate,
)
from schemas.tariffs import Tariff, TariffDimensionType
from tests.billing.ocpi_examples import example
from tests.billing.sessions import REGISTER_AT_START, Phase, Session, local, session

D = Decimal
H = 3600
M = 60
BERLIN = "Europe/Berlin"
MONDAY = local("2019-03-04 09:30")
"""A Monday morning, before every example tariff's end date."""


def _kwh(kwh: str) -> Decimal:
    return D(kwh) * 1000


@dataclass(frozen=True)
class Example:
    """A worked example: tariff file, session, and the totals the text states."""

    name: str
    tariff: str
    started_at: datetime
    phases: list[Phase]
    excl: str
    incl: str | None
    reserved_minutes: int | None = None


EXAMPLES = [
    # "This tariff will result in costs of 5.00 euro (excl. VAT) or 5.50 euro (incl. VAT) when
    # 20 kWh are charged."
    Example("0.25/kWh", "tariff_8_simple_025kwh", MONDAY, [Phase(H, _kwh("20"))], "5.00", "5.50"),
    Example("0.25/kWh + start fee", "tariff_9_025kwh_start", MONDAY, [Phase(H, _kwh("20"))],
            "5.50", "6.10"),
    Example("min price, 20 kWh", "tariff_12_025kwh_min_price", MONDAY, [Phase(H, _kwh("20"))],
            "5.00", "5.50"),
    Example("min price, < 2 kWh", "tariff_12_025kwh_min_price", MONDAY,
            [Phase(15 * M, _kwh("1.5"))], "0.50", "0.55"),
    # "the vehicle is parked for 40 minutes after the session ended ... 7.00 / 7.90"
    Example("parking + start fee", "tariff_10_025kwh_parking_start", MONDAY,
            [Phase(H, _kwh("20")), Phase(40 * M, charging=False)], "7.00", "7.90"),
    Example("max price, 50 kWh", "tariff_6_025kwh_start_max_price", MONDAY,
            [Phase(2 * H, _kwh("50"))], "10.00", "11.00"),
    Example("max price, 30 kWh", "tariff_6_025kwh_start_max_price", MONDAY,
            [Phase(2 * H, _kwh("30"))], "8.00", "8.85"),
    Example("2 euro per hour", "tariff_1_simple_2hour", MONDAY, [Phase(150 * M, _kwh("25"))],
            "5.00", "5.50"),
    Example("3 euro per hour, 5 euro per hour parking", "tariff_13_simple_3hour_5parking",
            MONDAY, [Phase(150 * M, _kwh("25")), Phase(42 * M, charging=False)],
            "11.25", "12.75"),
    Example("ad hoc 1.90 per hour", "tariff_2_alt_text", MONDAY, [Phase(150 * M, _kwh("18"))],
            "4.75", "5.00"),
    # tariff_3_alt_url as published: 0.50 start fee + 20.5 kWh billed (step_size 100 Wh).
    Example("alternative URL, 20.45 kWh", "tariff_3_alt_url", MONDAY,
            [Phase(H, _kwh("20.45"))], "5.63", "6.24"),
    # "For a charging session on a Monday morning starting at 09:30 which takes 2.45 hours,
    # where the driver uses a maximum of 16A ... parking for additional 42 minutes"
    Example("complex, Monday", "tariff_4_complex", MONDAY,
            [Phase(147 * M, _kwh("27"), current_a=D(16)), Phase(42 * M, charging=False)],
            "8.75", "10.00"),
    Example("complex, Saturday", "tariff_4_complex", local("2019-03-09 13:30"),
            [Phase(114 * M, _kwh("55"), current_a=D(43)), Phase(71 * M, charging=False)],
            "12.50", "14.13"),
    Example("free of charge", "tariff_5_free_of_charge", MONDAY,
            [Phase(H, _kwh("11")), Phase(H, charging=False)], "0.00", "0.00"),
    # The example counts the free hour of parking from the end of charging, which its
    # min/max_duration restrictions (session duration) only give when the charging takes no
    # time: here 20 kWh in 4 seconds.
    Example("first hour free energy", "tariff_7_first_hour_kwh_free", MONDAY,
            [Phase(4, _kwh("20")), Phase(2 * H + 45 * M, charging=False)], "7.30", None),
    Example("reservation 5 euro per hour", "tariff_15_reservation_5_euro_per_hour", MONDAY,
            [Phase(H, _kwh("20"))], "6.75", "7.60", reserved_minutes=15),
    Example("reservation fee and 5 euro per hour",
            "tariff_16_reservation_2_euro_fee_5_euro_per_hour", MONDAY, [Phase(H, _kwh("20"))],
            "8.75", "10.00", reserved_minutes=13),
    Example("reservation with expire fee", "tariff_17_reservation_with_expire_fee", MONDAY,
            [Phase(H, _kwh("20"))], "6.50", "7.30", reserved_minutes=22),
    Example("reservation with expire time", "tariff_18_reservation_with_expire_time", MONDAY,
            [Phase(H, _kwh("20"))], "7.00", "7.90", reserved_minutes=22),
    # step_size: "switching to different Tariff Element #1": 0.50; "#2": 1.30; "switching to
    # Free-of-Charge Tariff Element": 0.60.
    Example("step_size switching #1", "tariff_14_step_size", local("2019-03-04 16:55"),
            [Phase(10 * M, _kwh("3")), Phase(2 * M, charging=False)], "0.50", None),
    Example("step_size switching #2", "tariff_14_step_size", local("2019-03-04 16:35"),
            [Phase(35 * M, _kwh("9"))], "1.30", None),
    Example("step_size switching to free", "tariff_14_step_size", local("2019-03-04 19:55"),
            [Phase(10 * M, _kwh("3")), Phase(2 * M, charging=False)], "0.60", None),
    # "the EV charges the first kWh with a power of 6 kW, increases the power to 48 kW for the
    # next 40 kWh and reduces it again to 4 kW after that for another 0.5 kWh ... 20.30"
    Example("max_power", "tariffrestriction_example_max_power", MONDAY,
            [Phase(10 * M, _kwh("1")), Phase(50 * M, _kwh("40")), Phase(450, _kwh("0.5"))],
            "20.30", "24.36"),
    # "a duration of 40 minutes where 5 kWh are charged during the first 30 minutes and another
    # 1.2 kWh in the remaining 10 minutes ... 0.30"
    Example("max_duration", "tariffrestriction_example_max_duration", MONDAY,
            [Phase(30 * M, _kwh("5")), Phase(10 * M, _kwh("1.2"))], "0.30", "0.36"),
]  # fmt: skip


def _rated(e: Example, s: Session) -> Cost:
    return rate(example(e.tariff), BERLIN, s.started_at, s.readings, s.stop,
                reserved_at=_reserved_at(e))  # fmt: skip


def _reserved_at(e: Example) -> datetime | None:
    if e.reserved_minutes is None:
        return None
    return e.started_at - timedelta(minutes=e.reserved_minutes)


@pytest.mark.parametrize("e", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_the_worked_examples_of_the_specification(e: Example) -> None:
    cost = _rated(e, session(e.started_at, e.phases))
    assert (cost.excl_vat, cost.incl_vat) == (D(e.excl), None if e.incl is None else D(e.incl))


# Not the max_power example: a reading that straddles its change of power averages the two
# powers, so its restriction sees neither.
SPLITTABLE = [e for e in EXAMPLES if e.tariff != "tariffrestriction_example_max_power"]


@pytest.mark.parametrize("e", SPLITTABLE, ids=[e.name for e in SPLITTABLE])
def test_readings_every_seven_minutes_give_the_same_totals(e: Example) -> None:
    # Intervals that straddle the examples' boundaries (17:00, 30 minutes, 1 kWh) are split
    # there exactly.
    cost = _rated(e, session(e.started_at, e.phases, every=7 * M))
    assert cost.excl_vat == D(e.excl)


def test_the_real_time_price_of_the_alternative_url_example() -> None:
    # "With an assumed current energy price of 0.22 euro per kWh (excl. VAT) ... the resulting
    # costs will be 4.51 euro (excl. VAT) or 4.96 euro (incl. VAT)": 20.5 kWh billed for 20.45.
    tariff = Tariff.model_validate({
        **example("tariff_3_alt_url").model_dump(mode="json"),
        "elements": [{"price_components": [
            {"type": "ENERGY", "price": "0.22", "vat": "10", "step_size": 100}]}],
    })  # fmt: skip
    s = session(MONDAY, [Phase(H, _kwh("20.45"))])
    cost = rate(tariff, BERLIN, s.started_at, s.readings, s.stop)
    assert (cost.excl_vat, cost.incl_vat) == (D("4.51"), D("4.96"))
    assert cost.dimensions[0].billed_volume == D("20.5")


def test_step_size_example_1_bills_the_parking_inside_the_rounded_charging_time() -> None:
    e = EXAMPLES[[x.name for x in EXAMPLES].index("step_size switching #1")]
    cost = _rated(e, session(e.started_at, e.phases))
    by_type = {d.type: d for d in cost.dimensions}
    time_ = by_type[TariffDimensionType.TIME]
    parking = by_type[TariffDimensionType.PARKING_TIME]
    assert (time_.billed_volume, time_.excl_vat) == (D("0.25"), D("0.50"))
    assert (parking.volume * 60, parking.billed_volume, parking.excl_vat) == (D(2), D(0), D(0))


def test_the_complex_example_bills_its_rounded_volumes() -> None:
    e = EXAMPLES[[x.name for x in EXAMPLES].index("complex, Saturday")]
    cost = _rated(e, session(e.started_at, e.phases))
    billed = {d.type: d.billed_volume * 60 for d in cost.dimensions}
    assert billed == {TariffDimensionType.FLAT: 60, TariffDimensionType.TIME: 120,
                      TariffDimensionType.PARKING_TIME: 75}  # fmt: skip


# Edge cases

ENERGY_BY_HOUR = Tariff.model_validate({
    "country_code": "DE", "party_id": "CSM", "id": "night", "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": "0.20", "step_size": 1}],
         "restrictions": {"start_time": "23:00", "end_time": "07:00"}},
        {"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]},
        {"price_components": [{"type": "TIME", "price": "1.00", "step_size": 1}],
         "restrictions": {"day_of_week": ["SUNDAY"]}},
    ],
    "last_updated": "2024-01-01T00:00:00Z",
})  # fmt: skip


def test_a_session_across_a_time_of_day_boundary_and_midnight() -> None:
    # Saturday 22:30 to Sunday 00:30 at 12 kW, a reading every 7 minutes (none at 23:00 or
    # 00:00): 6 kWh at 0.30 before 23:00, 18 kWh at 0.20 after; TIME from Sunday 00:00.
    s = session(local("2024-06-08 22:30"), [Phase(2 * H, _kwh("24"))], every=7 * M)
    cost = rate(ENERGY_BY_HOUR, BERLIN, s.started_at, s.readings, s.stop)
    assert cost.excl_vat == D("1.80") + D("3.60") + D("0.50")
    starts = [p.start_date_time.astimezone(UTC).strftime("%H:%M") for p in cost.periods]
    assert starts == ["20:30", "21:00", "22:00"]  # 22:30, 23:00, 00:00 in Berlin (CEST)


DST_TARIFF = Tariff.model_validate({
    "country_code": "DE", "party_id": "CSM", "id": "dst", "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": "0.10", "step_size": 1}],
         "restrictions": {"start_time": "02:00", "end_time": "03:00"}},
        {"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]},
    ],
    "last_updated": "2024-01-01T00:00:00Z",
})  # fmt: skip


@pytest.mark.parametrize(("case", "start", "hours", "excl"), [
    # 31 March 2024: 02:00 CET becomes 03:00 CEST, the cheap hour never comes.
    ("spring forward", datetime(2024, 3, 31, 0, 0, tzinfo=UTC), 2, "6.00"),
    # 27 October 2024: 03:00 CEST becomes 02:00 CET, the cheap hour comes twice.
    ("fall back", datetime(2024, 10, 26, 23, 30, tzinfo=UTC), 3, "5.00"),
])  # fmt: skip
def test_a_session_across_a_change_of_daylight_saving_time(
    case: str, start: datetime, hours: int, excl: str
) -> None:
    s = session(start, [Phase(hours * H, _kwh(str(10 * hours)))], every=25 * M)
    assert rate(DST_TARIFF, BERLIN, s.started_at, s.readings, s.stop).excl_vat == D(excl)


def test_a_meter_reset_counts_the_energy_since_it() -> None:
    t = example("tariff_8_simple_025kwh")
    start = MONDAY
    readings = [Reading(at=start + timedelta(minutes=m), energy_wh=D(wh))
                for m, wh in ((0, 5000), (10, 6000), (20, 200), (30, 1200))]  # fmt: skip
    cost = rate(t, BERLIN, start, readings, Reading(at=start + timedelta(minutes=40)))
    assert (cost.energy_kwh, cost.resets, cost.excl_vat) == (D("2.2"), 1, D("0.55"))


def test_only_start_and_stop_registers_put_the_energy_in_the_charging_time() -> None:
    # The state changes carry no register: the stop's register is spread over the charging
    # hour only, not over the 40 minutes parked.
    s = session(MONDAY, [Phase(H, _kwh("20")), Phase(40 * M, charging=False)])
    sparse = [s.readings[0], *(r for r in s.readings if r.energy_wh is None)]
    cost = rate(example("tariff_10_025kwh_parking_start"), BERLIN, MONDAY, sparse, s.stop)
    assert (cost.excl_vat, cost.incl_vat) == (D("7.00"), D("7.90"))
    assert [d.volume for d in cost.periods[0].dimensions if d.type == "ENERGY"] == [D(20)]


def test_no_register_at_all_prices_the_times() -> None:
    s = session(MONDAY, [Phase(150 * M), Phase(42 * M, charging=False)], registers=False)
    cost = rate(example("tariff_13_simple_3hour_5parking"), BERLIN, MONDAY, s.readings, s.stop)
    assert (cost.excl_vat, cost.incl_vat, cost.energy_kwh) == (D("11.25"), D("12.75"), D(0))


def test_a_session_still_going_is_priced_up_to_until() -> None:
    t = example("tariff_1_simple_2hour")
    s = session(MONDAY, [Phase(H, _kwh("10"))])
    meter = open_meter(t, BERLIN, MONDAY)
    for r in s.readings:
        meter = observe(meter, t, r)
    assert price(meter, t).excl_vat == D("2.00")
    assert price(meter, t, until=MONDAY + timedelta(minutes=150)).excl_vat == D("5.00")
    assert price(meter, t, until=MONDAY).excl_vat == D("2.00")  # never before the last reading


def test_a_reading_older_than_the_last_is_ignored() -> None:
    t = example("tariff_8_simple_025kwh")
    s = session(MONDAY, [Phase(H, _kwh("20"))])
    late = Reading(at=MONDAY + timedelta(minutes=5), energy_wh=REGISTER_AT_START + 99_000)
    shuffled = [*s.readings[:30], late, *s.readings[30:]]
    assert rate(t, BERLIN, MONDAY, shuffled, s.stop) == rate(t, BERLIN, MONDAY, s.readings, s.stop)


def test_an_unknown_state_at_the_start_is_charging() -> None:
    t = example("tariff_13_simple_3hour_5parking")
    readings = [Reading(at=MONDAY + timedelta(minutes=60), energy_wh=D(10_000))]
    cost = rate(t, BERLIN, MONDAY, readings, Reading(at=MONDAY + timedelta(minutes=60)),
                start=Reading(at=MONDAY, energy_wh=D(0)))  # fmt: skip
    assert (cost.charging_hours, cost.parking_hours, cost.excl_vat) == (D(1), D(0), D("3.00"))


def test_measured_power_chooses_the_element() -> None:
    # The max_power example with the power sampled every minute: the reading that ends an
    # interval states its power.
    t = example("tariffrestriction_example_max_power")
    phases = [Phase(10 * M, _kwh("1"), power_w=D(6000)),
              Phase(50 * M, _kwh("40"), power_w=D(48000)),
              Phase(450, _kwh("0.5"), power_w=D(4000))]  # fmt: skip
    s = session(MONDAY, phases, every=30)
    cost = rate(t, BERLIN, MONDAY, s.readings, s.stop)
    assert cost.excl_vat == D("20.30")
    powers = [{d.type: d.volume for d in p.dimensions}["MAX_POWER"] for p in cost.periods]
    assert powers == [6, 48, 4]


def test_an_energy_limit_inside_an_interval_is_found_by_interpolation() -> None:
    # 6 kW, a reading every 7 minutes: 1 kWh (tariff_7's free energy) is reached at 10:00.
    t = example("tariff_7_first_hour_kwh_free")
    s = session(MONDAY, [Phase(30 * M, _kwh("3"))], every=7 * M)
    cost = rate(t, BERLIN, MONDAY, s.readings, s.stop)
    starts = [p.start_date_time - MONDAY for p in cost.periods]
    assert starts == [timedelta(), timedelta(minutes=10)]
    assert cost.excl_vat == D("0.40")


def _observed_one_by_one(tariff: Tariff, s: Session, reserved_at: datetime | None) -> Meter:
    meter = open_meter(tariff, BERLIN, s.started_at, reserved_at=reserved_at)
    for r in s.readings:
        meter = Meter.model_validate(observe(meter, tariff, r).model_dump(mode="json"))
    return close(meter, tariff, s.stop)


@pytest.mark.parametrize("e", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_observing_one_by_one_through_json_is_rating_at_once(e: Example) -> None:
    s = session(e.started_at, e.phases, every=7 * M)
    tariff = example(e.tariff)
    meter = _observed_one_by_one(tariff, s, _reserved_at(e))
    assert price(meter, tariff) == _rated(e, s)


def test_a_meter_round_trips_through_json_mid_session() -> None:
    t = example("tariff_4_complex")
    s = session(MONDAY, [Phase(H, _kwh("11"), current_a=D(40)), Phase(H, charging=False),
                         Phase(H, _kwh("5"), current_a=D(10))])  # fmt: skip
    meter = open_meter(t, BERLIN, MONDAY)
    for r in s.readings[:62]:  # up to the state change (without register)
        meter = observe(meter, t, r)
    meter = observe(meter, t, Reading(at=MONDAY + timedelta(minutes=65), current_a=D(0)))
    assert meter.pending
    assert Meter.model_validate(meter.model_dump(mode="json")) == meter
    assert Meter.model_validate_json(meter.model_dump_json()) == meter


def test_ten_thousand_readings_keep_a_small_meter() -> None:
    t = example("tariff_4_complex")
    s = session(MONDAY, [Phase(10_000 * 10, _kwh("300"), current_a=D(16))], every=10)
    assert len(s.readings) > 10_000
    meter = open_meter(t, BERLIN, MONDAY)
    for r in s.readings:
        meter = observe(meter, t, r)
    assert len(meter.periods) <= 2
    assert len(meter.model_dump_json()) < 2500
    assert price(close(meter, t, s.stop), t).charging_hours == D(100_000) / H


def test_observe_is_fast_on_the_common_path() -> None:
    t = example("tariff_4_complex")
    s = session(MONDAY, [Phase(5000 * 10, _kwh("200"), current_a=D(16))], every=10)
    meter = open_meter(t, BERLIN, MONDAY)
    begun = time.perf_counter()
    for r in s.readings:
        meter = observe(meter, t, r)
    per_reading = (time.perf_counter() - begun) / len(s.readings)
    assert per_reading < 200e-6  # about 15 µs here; a loose bound for slow CI machines
