"""OCPP 2.0.1 MeterValues as stored samples (processors/ocpp201/meter_values.py)."""

from __future__ import annotations

from schemas.events import MeterValuesReported
from tests.processors.conftest import Harness


def test_v201_signed_meter_value_and_multiplier(v201: Harness) -> None:
    signed = {"signedMeterData": "base64==", "signingMethod": "ECDSAP256SHA256",
              "encodingMethod": "OCMF", "publicKey": "pk=="}
    v201.result("MeterValues", {"evseId": 0, "meterValue": [{
        "timestamp": "2025-06-01T10:00:00Z", "sampledValue": [
            {"value": 42, "unitOfMeasure": {"unit": "Wh", "multiplier": 3},
             "signedMeterValue": signed}]}]})
    mv = v201.only(MeterValuesReported)
    [sample] = mv["samples"]
    assert mv["evse_id"] == 0 and sample["value"] == "42" and sample["multiplier"] == 3
    assert (sample["canonical_value"], sample["canonical_unit"]) == (42000, "Wh")
    assert sample["signed_data"] == signed
