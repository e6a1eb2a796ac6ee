"""OCPP 1.6 MeterValues as stored samples (processors/ocpp16/meter_values.py)."""

from __future__ import annotations

from schemas.events import MeterValuesReported
from tests.processors.conftest import Harness


def test_v16_sample_keeps_the_original_and_applies_defaults(v16: Harness) -> None:
    assert v16.result("MeterValues", {"connectorId": 1, "meterValue": [{
        "timestamp": "2025-06-01T10:00:00Z", "sampledValue": [
            {"value": "12.5", "unit": "kWh"},
            {"value": "16", "measurand": "Current.Import", "phase": "L2", "unit": "A",
             "context": "Sample.Clock", "location": "Inlet"}]}]}) == {}
    mv = v16.only(MeterValuesReported)
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
    [sample] = v16.only(MeterValuesReported)["samples"]
    assert sample["signed_data"] == blob and sample["value"] == blob
    assert sample["canonical_value"] is None


def test_v16_meter_values_attach_to_an_open_transaction(v16: Harness) -> None:
    txn = v16.result("StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0,
                                          "timestamp": "2025-06-01T10:00:00Z"})["transactionId"]
    v16.result("MeterValues", {"connectorId": 1, "transactionId": txn, "meterValue": [{
        "timestamp": "2025-06-01T10:01:00Z", "sampledValue": [{"value": "10"}]}]})
    assert v16.only(MeterValuesReported)["id"] == txn
