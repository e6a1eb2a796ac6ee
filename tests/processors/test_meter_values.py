"""Meter values: canonical units, defaults, signed values (processors/meter_values.py)."""

from __future__ import annotations

import pytest

from processors.meter_values import canonical
from tests.processors.conftest import Harness


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


def test_v16_sample_keeps_the_original_and_applies_defaults(v16: Harness) -> None:
    assert v16.result("MeterValues", {"connectorId": 1, "meterValue": [{
        "timestamp": "2025-06-01T10:00:00Z", "sampledValue": [
            {"value": "12.5", "unit": "kWh"},
            {"value": "16", "measurand": "Current.Import", "phase": "L2", "unit": "A",
             "context": "Sample.Clock", "location": "Inlet"}]}]}) == {}
    mv = v16.only("MeterValuesReported")
    assert (mv["id"], mv["transaction_id"], mv["evse_id"]) == (None, None, 1)
    energy, current = mv["samples"]
    assert energy == {
        "sampled_at": "2025-06-01T10:00:00.000Z", "measurand": "Energy.Active.Import.Register",
        "phase": None, "context": "Sample.Periodic", "location": "Outlet", "value": "12.5",
        "unit": "kWh", "multiplier": None, "canonical_value": 12500, "canonical_unit": "Wh",
        "format": None, "signed_data": None,
    }
    assert current["phase"] == "L2" and current["context"] == "Sample.Clock"
    assert current["location"] == "Inlet" and current["canonical_value"] == 16


def test_v16_signed_data_is_kept_verbatim(v16: Harness) -> None:
    blob = "OCMF|{\"FV\":\"1.0\"}|{\"SA\":\"ECDSA\"}"
    v16.result("MeterValues", {"connectorId": 1, "meterValue": [{
        "timestamp": "2025-06-01T10:00:00Z",
        "sampledValue": [{"value": blob, "format": "SignedData"}]}]})
    [sample] = v16.only("MeterValuesReported")["samples"]
    assert sample["signed_data"] == blob and sample["value"] == blob
    assert sample["canonical_value"] is None


def test_v16_meter_values_attach_to_an_open_transaction(v16: Harness) -> None:
    txn = v16.result("StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0,
                                          "timestamp": "2025-06-01T10:00:00Z"})["transactionId"]
    v16.result("MeterValues", {"connectorId": 1, "transactionId": txn, "meterValue": [{
        "timestamp": "2025-06-01T10:01:00Z", "sampledValue": [{"value": "10"}]}]})
    assert v16.only("MeterValuesReported")["id"] == txn


def test_v201_signed_meter_value_and_multiplier(v201: Harness) -> None:
    signed = {"signedMeterData": "base64==", "signingMethod": "ECDSAP256SHA256",
              "encodingMethod": "OCMF", "publicKey": "pk=="}
    v201.result("MeterValues", {"evseId": 0, "meterValue": [{
        "timestamp": "2025-06-01T10:00:00Z", "sampledValue": [
            {"value": 42, "unitOfMeasure": {"unit": "Wh", "multiplier": 3},
             "signedMeterValue": signed}]}]})
    mv = v201.only("MeterValuesReported")
    [sample] = mv["samples"]
    assert mv["evse_id"] == 0 and sample["value"] == "42" and sample["multiplier"] == 3
    assert (sample["canonical_value"], sample["canonical_unit"]) == (42000, "Wh")
    assert sample["signed_data"] == signed
