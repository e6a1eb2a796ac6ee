"""Every OCPP 2.0.1 message: a valid example validates and round-trips; broken ones fail right."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ocpp import Call, OcppVersion, parse, serialize, to_model, to_payload, validate_payload
from ocpp.schema_examples import example_payload, invalid_examples
from ocpp.v201 import ACTIONS
from ocpp.v201.enums import TransactionEventEnumType, TriggerReasonEnumType
from ocpp.v201.requests import TransactionEventRequest

V201 = OcppVersion.V201
MESSAGES = [(a, r) for a in sorted(ACTIONS) for r in (False, True)]
IDS = [f"{a}{'Response' if r else 'Request'}" for a, r in MESSAGES]


def canonical(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def assert_round_trip(action: str, payload: dict[str, Any], *, response: bool) -> None:
    assert validate_payload(V201, action, payload, response=response) is None
    text = orjson.dumps(payload).decode()
    model = to_model(V201, action, orjson.loads(text), response=response)
    assert canonical(to_payload(model)) == canonical(payload)


@pytest.mark.parametrize(("action", "response"), MESSAGES, ids=IDS)
@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
def test_example_validates_and_round_trips(action: str, response: bool, full: bool) -> None:
    assert_round_trip(
        action, example_payload(V201, action, response=response, full=full), response=response
    )


@pytest.mark.parametrize(("action", "response"), MESSAGES, ids=IDS)
def test_invalid_variants_get_the_right_code(action: str, response: bool) -> None:
    cases = invalid_examples(V201, action, response=response)
    assert cases
    for case in cases:
        error = validate_payload(V201, action, case.payload, response=response)
        assert error is not None, case.label
        assert error.code == case.code, case.label


def test_boot_notification_frame() -> None:
    text = (
        '[2,"19223201","BootNotification",{"reason":"PowerUp","chargingStation":{"model":'
        '"SingleSocketCharger","vendorName":"VendorX","serialNumber":"cs-0001",'
        '"firmwareVersion":"2.0.1-rc3","modem":{"iccid":"8931080019073497795","imsi":"204080109432513"}}}]'
    )
    call = parse(text, V201)
    assert isinstance(call, Call)
    model = to_model(V201, call.action, call.payload, response=False)
    again = serialize(Call(call.unique_id, call.action, to_payload(model)))
    assert orjson.loads(again) == orjson.loads(text)


def sampled(value: float, measurand: str, **extra: Any) -> dict[str, Any]:
    return {"value": value, "measurand": measurand, **extra}


TRANSACTION_EVENT_UPDATED = {
    "eventType": "Updated",
    "timestamp": "2024-05-01T12:30:00.000Z",
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 7,
    "transactionInfo": {
        "transactionId": "f1c6f2a8-0b2e-4a1e-9a55-1c2d3e4f5a6b",
        "chargingState": "Charging",
    },
    "evse": {"id": 1, "connectorId": 1},
    "meterValue": [
        {
            "timestamp": "2024-05-01T12:30:00.000Z",
            "sampledValue": [
                sampled(
                    15234.5,
                    "Energy.Active.Import.Register",
                    context="Sample.Periodic",
                    unitOfMeasure={"unit": "Wh"},
                ),
                sampled(7360, "Power.Active.Import", unitOfMeasure={"unit": "W", "multiplier": 0}),
                sampled(16.1, "Current.Import", phase="L1"),
                sampled(16, "Current.Import", phase="L2"),
                sampled(15.9, "Current.Import", phase="L3"),
                sampled(230.1, "Voltage", phase="L1-N"),
                sampled(54, "SoC", location="EV"),
                sampled(
                    11.04, "Power.Offered", customData={"vendorId": "com.example", "source": "EMS"}
                ),
            ],
        }
    ],
    "customData": {"vendorId": "com.example", "tariffId": "T-12"},
}


def test_transaction_event_updated_with_meter_values() -> None:
    text = serialize(Call("te-7", "TransactionEvent", TRANSACTION_EVENT_UPDATED))
    call = parse(text, V201)
    assert isinstance(call, Call)
    model = to_model(V201, "TransactionEvent", call.payload, response=False)
    assert isinstance(model, TransactionEventRequest)
    assert model.event_type is TransactionEventEnumType.UPDATED
    assert model.trigger_reason is TriggerReasonEnumType.METER_VALUE_PERIODIC
    assert model.meter_value is not None and len(model.meter_value[0].sampled_value) == 8
    assert_round_trip("TransactionEvent", TRANSACTION_EVENT_UPDATED, response=False)
    # ints stay ints, floats stay floats
    assert canonical(to_payload(model)) == canonical(TRANSACTION_EVENT_UPDATED)
