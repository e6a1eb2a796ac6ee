"""Domain events as rating readings (billing/readings.py): what the processor and the billing
projection both rate a session by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from billing.rating import Reading
from billing.readings import decimal, readings_of
from schemas.events import (
    ConnectorStatusChanged,
    DomainEvent,
    MeterValuesReported,
    Sample,
    StationBooted,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
COMMON: dict[str, Any] = {
    "id": 5, "transaction_id": "tx-1", "ocpp_version": "ocpp2.0.1", "evse_id": 1,
    "connector_id": 1, "seq_no": 0, "trigger_reason": "Authorized", "offline": False,
}  # fmt: skip
TOKEN: dict[str, Any] = {"id_token": None, "id_token_type": None, "id_token_status": None}


def started(charging_state: str | None = "Charging", meter_start_wh: float | None = 1100.1,
            ) -> TransactionStarted:  # fmt: skip
    return TransactionStarted(
        **COMMON, **TOKEN, charging_state=charging_state, started_at=T0,
        meter_start_wh=meter_start_wh, reservation_id=None, remote_start_id=None,
        start_key=None,
    )  # fmt: skip


def updated(charging_state: str | None, register_wh: float | None) -> TransactionUpdated:
    return TransactionUpdated(
        **COMMON, **TOKEN, charging_state=charging_state, at=T1, last_seq_no=1,
        missing_seq_nos=(), register_wh=register_wh, anomalies=(),
    )  # fmt: skip


def sample(measurand: str, value: float, unit: str, *, phase: str | None = None,
           at: datetime = T1) -> Sample:  # fmt: skip
    return Sample(sampled_at=at, measurand=measurand, phase=phase, context="Sample.Periodic",
                  location="Outlet", value=str(value), unit=unit, multiplier=None,
                  canonical_value=value, canonical_unit=unit,
                  format=None, signed_data=None)  # fmt: skip


def meter_values(*samples: Sample) -> MeterValuesReported:
    return MeterValuesReported(id=5, transaction_id="tx-1", evse_id=1, connector_id=1,
                               source="MeterValues", samples=samples)  # fmt: skip


def status(value: str) -> ConnectorStatusChanged:
    return ConnectorStatusChanged(evse_id=1, connector_id=1, status=value, error_code="NoError",
                                  info=None, vendor_id=None, vendor_error_code=None,
                                  status_at=T1)  # fmt: skip


def test_a_start_reads_its_meter_start_and_charging_state_exactly() -> None:
    assert readings_of(started()) == [Reading(at=T0, energy_wh=Decimal("1100.1"), charging=True)]
    assert readings_of(started(None, None)) == [Reading(at=T0)]  # 1.6: no charging state


@pytest.mark.parametrize(("state", "charging"), [
    ("Charging", True), ("EVConnected", False), ("SuspendedEV", False),
    ("SuspendedEVSE", False), ("Idle", False), (None, None),
])  # fmt: skip
def test_an_update_reads_its_register_and_charging_state(
    state: str | None, charging: bool | None,
) -> None:
    assert readings_of(updated(state, 2000.0)) == [
        Reading(at=T1, energy_wh=Decimal("2000.0"), charging=charging)
    ]


def test_an_update_stating_neither_register_nor_state_reads_nothing() -> None:
    assert readings_of(updated(None, None)) == []


def test_an_end_reads_the_stop() -> None:
    ended = TransactionEnded(
        **COMMON, charging_state="EVConnected", stopped_at=T1, meter_start_wh=1100.1,
        meter_stop_wh=5000.25, energy_wh=3900.15, stop_reason="Local", stop_id_token=None,
        missing_seq_nos=(), anomalies=(),
    )  # fmt: skip
    assert readings_of(ended) == [Reading(at=T1, energy_wh=Decimal("5000.25"))]


def test_meter_values_read_one_reading_per_sampled_time_in_time_order() -> None:
    later = T1 + timedelta(minutes=1)
    event = meter_values(
        sample("Energy.Active.Import.Register", 3000.5, "Wh", at=later),
        sample("Energy.Active.Import.Register", 2000.0, "Wh"),
        sample("Energy.Active.Import.Register", 700.0, "Wh", phase="L1"),  # a phase: not the meter
        sample("Power.Active.Import", 7400.0, "W"),
        sample("Current.Import", 10.5, "A", phase="L1"),
        sample("Current.Import", 10.25, "A", phase="L2-N"),
        sample("Current.Import", 10.0, "A", phase="L3"),
        sample("Voltage", 230.0, "V"),
    )  # fmt: skip
    assert readings_of(event) == [
        Reading(at=T1, energy_wh=Decimal("2000.0"), power_w=Decimal("7400.0"),
                current_a=Decimal("30.75")),
        Reading(at=later, energy_wh=Decimal("3000.5")),
    ]  # fmt: skip


def test_power_is_the_sum_of_the_phases_without_a_whole_meter_value() -> None:
    event = meter_values(sample("Power.Active.Import", 2300.0, "W", phase="L1"),
                         sample("Power.Active.Import", 2300.5, "W", phase="L2"))  # fmt: skip
    assert readings_of(event) == [Reading(at=T1, power_w=Decimal("4600.5"))]


def test_samples_without_a_canonical_value_or_a_rated_measurand_read_nothing() -> None:
    soc = sample("SoC", 80.0, "%")
    unreadable = sample("Energy.Active.Import.Register", 1.0, "Wh").model_copy(
        update={"canonical_value": None, "canonical_unit": None})  # fmt: skip
    assert readings_of(meter_values(soc, unreadable)) == []


@pytest.mark.parametrize(("value", "charging"), [
    ("Charging", True), ("SuspendedEV", False), ("SuspendedEVSE", False), ("Finishing", False),
])  # fmt: skip
def test_a_16_charging_status_reads_the_charging_state(value: str, charging: bool) -> None:
    assert readings_of(status(value)) == [Reading(at=T1, charging=charging)]


@pytest.mark.parametrize("value", ["Available", "Preparing", "Faulted", "Occupied"])
def test_other_statuses_read_nothing(value: str) -> None:
    assert readings_of(status(value)) == []


def test_other_events_read_nothing() -> None:
    event: DomainEvent = StationBooted(ocpp_version="ocpp1.6", vendor="V", model="M",
                                       status="Accepted", interval=300)
    assert readings_of(event) == []


def test_decimal_reads_each_value_as_its_shortest_text_whatever_came_before() -> None:
    for first, then in ((0.0, -0.0), (-0.0, 0.0), (5, 5.0), (5.0, 5), (1100.1, 1100.1)):
        decimal(first)
        assert str(decimal(then)) == repr(then), (first, then)
    assert str(decimal(float("nan"))) == "NaN"
