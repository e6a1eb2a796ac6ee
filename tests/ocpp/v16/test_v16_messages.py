"""Every OCPP 1.6 message: a valid example validates and round-trips; broken ones fail right."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ocpp import Call, OcppVersion, parse, serialize, to_model, to_payload, validate_payload
from ocpp.schema_examples import example_payload, invalid_examples
from ocpp.v16 import ACTIONS
from ocpp.v16.enums import Measurand, Reason
from ocpp.v16.requests import MeterValuesRequest, StopTransactionRequest

V16 = OcppVersion.V16
MESSAGES = [(a, r) for a in sorted(ACTIONS) for r in (False, True)]
IDS = [f"{a}{'Response' if r else 'Request'}" for a, r in MESSAGES]


def canonical(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def assert_round_trip(action: str, payload: dict[str, Any], *, response: bool) -> None:
    assert validate_payload(V16, action, payload, response=response) is None
    text = orjson.dumps(payload).decode()
    model = to_model(V16, action, orjson.loads(text), response=response)
    assert canonical(to_payload(model)) == canonical(payload)


@pytest.mark.parametrize(("action", "response"), MESSAGES, ids=IDS)
@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
def test_example_validates_and_round_trips(action: str, response: bool, full: bool) -> None:
    assert_round_trip(
        action, example_payload(V16, action, response=response, full=full), response=response
    )


@pytest.mark.parametrize(("action", "response"), MESSAGES, ids=IDS)
def test_invalid_variants_get_the_right_code(action: str, response: bool) -> None:
    cases = invalid_examples(V16, action, response=response)
    assert cases
    for case in cases:
        error = validate_payload(V16, action, case.payload, response=response)
        assert error is not None, case.label
        assert error.code == case.code, case.label


def test_boot_notification_frame() -> None:
    text = (
        '[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":'
        '"SingleSocketCharger","chargePointSerialNumber":"cp-0001","firmwareVersion":"1.2.3",'
        '"iccid":"8931080019073497795","imsi":"204080109432513","meterType":"ABB B23"}]'
    )
    call = parse(text, V16)
    assert isinstance(call, Call)
    model = to_model(V16, call.action, call.payload, response=False)
    assert serialize(Call(call.unique_id, call.action, to_payload(model))) == text


METER_VALUES_10 = {
    "connectorId": 1,
    "transactionId": 4711,
    "meterValue": [
        {
            "timestamp": "2024-05-01T12:30:00Z",
            "sampledValue": [
                {
                    "value": "15234.5",
                    "context": "Sample.Periodic",
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                },
                {
                    "value": "7360",
                    "context": "Sample.Periodic",
                    "measurand": "Power.Active.Import",
                    "unit": "W",
                },
                {"value": "16.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": "16.0", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
                {"value": "15.9", "measurand": "Current.Import", "phase": "L3", "unit": "A"},
                {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
                {"value": "229.8", "measurand": "Voltage", "phase": "L2-N", "unit": "V"},
                {"value": "231.0", "measurand": "Voltage", "phase": "L3-N", "unit": "V"},
                {"value": "54", "measurand": "SoC", "location": "EV", "unit": "Percent"},
                {
                    "value": "31.5",
                    "measurand": "Temperature",
                    "location": "Body",
                    "unit": "Celsius",
                },
            ],
        }
    ],
}


def test_meter_values_with_ten_sampled_values() -> None:
    text = serialize(Call("mv-1", "MeterValues", METER_VALUES_10))
    call = parse(text, V16)
    assert isinstance(call, Call)
    model = to_model(V16, "MeterValues", call.payload, response=False)
    assert isinstance(model, MeterValuesRequest)
    samples = model.meter_value[0].sampled_value
    assert len(samples) == 10
    assert samples[0].measurand is Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
    assert serialize(Call("mv-1", "MeterValues", to_payload(model))) == text


def test_start_transaction_and_response() -> None:
    request = {
        "connectorId": 1,
        "idTag": "04A2B3C4D5E6F7",
        "meterStart": 15234,
        "timestamp": "2024-05-01T12:00:00.000Z",
        "reservationId": 3,
    }
    response = {
        "transactionId": 4711,
        "idTagInfo": {
            "status": "Accepted",
            "expiryDate": "2024-06-01T00:00:00Z",
            "parentIdTag": "FLEET-1",
        },
    }
    assert_round_trip("StartTransaction", request, response=False)
    assert_round_trip("StartTransaction", response, response=True)


def test_stop_transaction_with_transaction_data() -> None:
    payload = {
        "transactionId": 4711,
        "idTag": "04A2B3C4D5E6F7",
        "meterStop": 27210,
        "timestamp": "2024-05-01T13:00:00Z",
        "reason": "EVDisconnected",
        "transactionData": [
            {
                "timestamp": "2024-05-01T12:00:00Z",
                "sampledValue": [{"value": "15234", "context": "Transaction.Begin", "unit": "Wh"}],
            },
            {
                "timestamp": "2024-05-01T13:00:00Z",
                "sampledValue": [{"value": "27210", "context": "Transaction.End", "unit": "Wh"}],
            },
        ],
    }
    assert_round_trip("StopTransaction", payload, response=False)
    model = to_model(V16, "StopTransaction", payload, response=False)
    assert isinstance(model, StopTransactionRequest)
    assert model.reason is Reason.EV_DISCONNECTED
    assert model.transaction_data is not None and len(model.transaction_data) == 2


def test_naive_timestamp_from_a_16_station_round_trips_verbatim() -> None:
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2024-05-01T12:30:00", "sampledValue": [{"value": "1"}]}],
    }
    assert_round_trip("MeterValues", payload, response=False)
