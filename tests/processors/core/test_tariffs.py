"""Which tariff prices a transaction, and its prices in words (processors/core/tariffs.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ocpp import OcppVersion
from processors.core.decision import Context
from processors.core.state import StationState
from processors.core.tariffs import cost_messages_on, price_text, prices_at, resolve, summary
from schemas.events import TariffAssigned, TariffDeleted, TariffPublished
from schemas.tariffs import DisplayText, PriceComponent, TariffDimensionType, TariffElement
from tests.processors.conftest import Harness, energy_element, tariff, token

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # a Monday


def ctx(h: Harness) -> Context:
    return Context(station_id=h.station_id, version=h.version, now=NOW, causation_id="f/0/1",
                   correlation_id="m1", tokens=h.tokens.get, tariffs=h.book)  # fmt: skip


def all_targets(h: Harness) -> None:
    for t in ("TG", "TE", "TS", "TD"):
        h.admin(TariffPublished(version=1, tariff=tariff(t)))
    h.admin(TariffAssigned(target="token_group", group_id="FLEET", tariff_id="TG"))
    h.admin(TariffAssigned(target="evse", station_id=h.station_id, evse_id=1, tariff_id="TE"))
    h.admin(TariffAssigned(target="station", station_id=h.station_id, tariff_id="TS"))
    h.admin(TariffAssigned(target="default", tariff_id="TD"))
    h.tokens["T1"] = token(group_id="FLEET")
    h.tokens["T2"] = token()


@pytest.mark.parametrize(("evse_id", "id_token", "expected"), [
    (1, "T1", ("TG", "token_group")),  # the token's group first
    (1, "T2", ("TE", "evse")),  # a token without a group: the EVSE
    (1, None, ("TE", "evse")),
    (2, None, ("TS", "station")),  # an EVSE without a tariff: the station
    (None, "UNKNOWN", ("TS", "station")),
])  # fmt: skip
def test_resolution_order(v201: Harness, evse_id: int | None, id_token: str | None,
                          expected: tuple[str, str]) -> None:  # fmt: skip
    all_targets(v201)
    applied = resolve(ctx(v201), evse_id=evse_id, id_token=id_token)
    assert applied is not None
    assert (applied.tariff.id, applied.assigned_by) == expected


def test_the_default_prices_what_nothing_else_does_and_no_default_prices_nothing(
    v201: Harness,
) -> None:
    all_targets(v201)
    other = Context(station_id="CS-OTHER", version=v201.version, now=NOW, causation_id="f/0/1",
                    correlation_id="m1", tariffs=v201.book)  # fmt: skip
    applied = resolve(other, evse_id=1, id_token=None)
    assert applied is not None and applied.assigned_by == "default"
    assert resolve(ctx(Harness(OcppVersion.V201)), evse_id=1, id_token=None) is None


def test_a_deleted_tariff_falls_through_to_the_next_target(v201: Harness) -> None:
    all_targets(v201)
    v201.admin(TariffDeleted(tariff_id="TG"))
    v201.admin(TariffDeleted(tariff_id="TE"))
    applied = resolve(ctx(v201), evse_id=1, id_token="T1")
    assert applied is not None and applied.tariff.id == "TS"


def test_the_newest_version_applies(v201: Harness) -> None:
    v201.admin(TariffPublished(version=1, tariff=tariff("T")))
    v201.admin(TariffPublished(version=2, tariff=tariff("T", energy_element("0.50"))))
    v201.admin(TariffAssigned(target="default", tariff_id="T"))
    applied = resolve(ctx(v201), evse_id=None, id_token=None)
    assert applied is not None and applied.version == 2


@pytest.mark.parametrize(("configured", "version", "on"), [
    (None, OcppVersion.V201, True), (None, OcppVersion.V16, False),
    (False, OcppVersion.V201, False), (True, OcppVersion.V16, True),
])  # fmt: skip
def test_cost_messages_default_by_version(configured: bool | None, version: OcppVersion,
                                          on: bool) -> None:  # fmt: skip
    assert cost_messages_on(StationState(cost_messages=configured), version) is on


def component(kind: TariffDimensionType, price: str, vat: str | None = None) -> PriceComponent:
    return PriceComponent(type=kind, price=Decimal(price),
                          vat=None if vat is None else Decimal(vat), step_size=1)  # fmt: skip


def time_of_day() -> Any:
    night = energy_element("0.20", start_time="22:00", end_time="07:00")
    weekend = energy_element("0.25", day_of_week=("SATURDAY", "SUNDAY"))
    day = TariffElement(price_components=(
        component(TariffDimensionType.ENERGY, "0.40", "21"),
        component(TariffDimensionType.FLAT, "1.00", "21"),
        component(TariffDimensionType.PARKING_TIME, "2.00"),
    ))  # fmt: skip
    return tariff("TOD", night, weekend, day)


@pytest.mark.parametrize(("local", "energy"), [
    (datetime(2025, 6, 2, 12, 0), Decimal("0.40")),  # Monday noon: the day element
    (datetime(2025, 6, 2, 23, 30), Decimal("0.20")),  # the night spans midnight
    (datetime(2025, 6, 3, 6, 59), Decimal("0.20")),
    (datetime(2025, 6, 3, 7, 0), Decimal("0.40")),  # end_time is exclusive
    (datetime(2025, 6, 7, 12, 0), Decimal("0.25")),  # Saturday
])  # fmt: skip
def test_prices_at_a_local_time_take_the_first_element_whose_clock_holds(
    local: datetime, energy: Decimal,
) -> None:
    prices = prices_at(time_of_day(), local)
    assert prices[TariffDimensionType.ENERGY].price == energy
    assert prices[TariffDimensionType.FLAT].price == Decimal("1.00")  # only the day element has one


def test_a_summary_states_prices_incl_vat_only_when_the_tariff_states_vat_throughout() -> None:
    # The parking price states no VAT: every price is shown excl. VAT (as the amounts are).
    assert summary(time_of_day(), datetime(2025, 6, 2, 12, 0)) == (
        "0.40 EUR/kWh, 2.00 EUR/h parking, 1.00 EUR per session"
    )
    with_vat = tariff("V", TariffElement(price_components=(
        component(TariffDimensionType.ENERGY, "0.40", "21"),
        component(TariffDimensionType.FLAT, "1.00", "21"),
    )))  # fmt: skip
    assert summary(with_vat, datetime(2025, 6, 2, 12, 0)) == (
        "0.484 EUR/kWh, 1.21 EUR per session (incl. VAT)"
    )
    free = tariff("F", TariffElement(price_components=(
        component(TariffDimensionType.ENERGY, "0"),), restrictions=None))  # fmt: skip
    assert summary(free, datetime(2025, 6, 2, 12, 0)) == "0.00 EUR/kWh"


def test_alt_text_is_the_tariffs_own() -> None:
    t = tariff("A", tariff_alt_text=(DisplayText(language="nl", text="0,30 EUR per kWh"),))
    assert price_text(t, StationState(), NOW) == ("nl", "0,30 EUR per kWh")
    assert price_text(tariff("B"), StationState(time_zone="Europe/Amsterdam"), NOW) == (
        "en", "0.363 EUR/kWh (incl. VAT)")
