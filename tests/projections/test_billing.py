"""The billing projection's pure parts: meter values read straight from their JSON give the
readings the event model gives (billing.readings), for random samples; a TariffApplied read
with its tariff validated once per version is the event the model gives."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest

from billing.readings import readings_of
from projections.billing import meter_readings, tariff_applied
from schemas.events import (
    EventError,
    MeterValuesReported,
    Sample,
    TariffApplied,
    envelope,
    event_from_json,
)
from schemas.tariffs import Tariff
from tests.processors.conftest import energy_element, tariff

T0 = datetime(2026, 11, 3, 16, 40, tzinfo=UTC)
MEASURANDS = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import",
              "Voltage", "SoC", "Energy.Active.Export.Register"]  # fmt: skip
UNITS = ["Wh", "W", "A", "V", "%", None]
PHASES = [None, None, "L1", "L2", "L3", "L1-N", "L2-N", "N", "L1-L2"]


def _sample(rng: random.Random) -> Sample:
    value = rng.choice([None, rng.randint(0, 90_000), rng.random() * 22_000, 1e21, 0.1])
    return Sample(
        sampled_at=T0 + timedelta(seconds=rng.choice([0, 0, 30, 60, 61])),
        measurand=rng.choice(MEASURANDS), phase=rng.choice(PHASES), context="Sample.Periodic",
        location="Outlet", value=str(value), unit=None, multiplier=None,
        canonical_value=None if value is None else float(value),
        canonical_unit=rng.choice(UNITS), format=None, signed_data=None,
    )  # fmt: skip


def test_meter_values_read_from_json_give_the_models_readings() -> None:
    rng = random.Random(20261202)
    for case in range(2000):
        event = envelope(MeterValuesReported(
            id=rng.choice([None, 17]), transaction_id="tx", evse_id=1, connector_id=1,
            source="MeterValues", samples=tuple(_sample(rng) for _ in range(rng.randint(0, 9))),
        ), event_id=uuid.uuid4(), station_id="S", occurred_at=T0, causation_id="c",
            correlation_id="c")  # fmt: skip
        read = meter_readings(orjson.loads(event.encode()))
        assert read.readings == readings_of(event.data), case
        assert [r.model_dump_json() for r in read.readings] == [
            r.model_dump_json() for r in readings_of(event.data)], case
        assert (read.session_id, read.event_id, read.occurred_at) == (
            event.data.id, event.event_id, event.occurred_at)


def _applied(t: Tariff, version: int = 1, session: int = 7) -> dict[str, Any]:
    event = envelope(TariffApplied(
        id=session, transaction_id=f"tx{session}", tariff_id=t.id, tariff_version=version,
        assigned_by="default", group_id=None, time_zone="Europe/Amsterdam", tariff=t,
    ), event_id=uuid.uuid4(), station_id="S", occurred_at=T0, causation_id="c",
        correlation_id="c")  # fmt: skip
    raw: dict[str, Any] = orjson.loads(event.encode())
    return raw


def test_tariff_applied_decodes_as_the_model_does_and_validates_each_version_once() -> None:
    first, second = _applied(tariff("TA"), session=7), _applied(tariff("TA"), session=8)
    a, b = tariff_applied(first), tariff_applied(second)
    assert a == event_from_json(first) and b == event_from_json(second)
    assert isinstance(a.data, TariffApplied) and isinstance(b.data, TariffApplied)
    assert a.data.tariff is b.data.tariff  # one validation for the version


def test_tariff_applied_with_another_body_for_a_known_version_is_its_own() -> None:
    tariff_applied(_applied(tariff("TB", energy_element("0.30"))))
    other = tariff_applied(_applied(tariff("TB", energy_element("0.45"))))
    assert isinstance(other.data, TariffApplied)
    assert other.data.tariff.elements[0].price_components[0].price == Decimal("0.45")


def test_tariff_applied_refuses_what_the_model_refuses() -> None:
    raw = _applied(tariff("TC"))
    raw["data"]["tariff"]["currency"] = "EURO"
    with pytest.raises(EventError, match="currency"):
        tariff_applied(raw)
    del raw["data"]["tariff"]
    with pytest.raises(EventError):
        tariff_applied(raw)
