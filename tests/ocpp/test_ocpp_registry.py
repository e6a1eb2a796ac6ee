"""ocpp.registry and the generated model packages: ACTIONS, model_for, typed models."""

from __future__ import annotations

from enum import StrEnum

import pydantic
import pytest

import ocpp.v16
import ocpp.v201
from ocpp import OcppModel, OcppVersion, known_actions, model_for, to_model, to_payload
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import AuthorizationStatus, ChargePointStatus, Measurand, UnitOfMeasure
from ocpp.v16.requests import BootNotificationRequest, StatusNotificationRequest
from ocpp.v16.responses import AuthorizeResponse
from ocpp.v201.datatypes import ChargingStationType, CustomDataType
from ocpp.v201.enums import BootReasonEnumType
from ocpp.v201.requests import BootNotificationRequest as BootNotification201

V16, V201 = OcppVersion.V16, OcppVersion.V201


def test_actions_registry_matches_the_schemas() -> None:
    assert set(ocpp.v16.ACTIONS) == known_actions(V16)
    assert set(ocpp.v201.ACTIONS) == known_actions(V201)
    for registry in (ocpp.v16.ACTIONS, ocpp.v201.ACTIONS):
        for action, (request, response) in registry.items():
            assert request.__name__ == f"{action}Request"
            assert response.__name__ == f"{action}Response"
            assert request.action == response.action == action


def test_model_for(version: OcppVersion) -> None:
    assert model_for(version, "Heartbeat", response=True).__name__ == "HeartbeatResponse"
    with pytest.raises(KeyError):
        model_for(version, "Nope", response=False)


def test_enums_are_wire_strings() -> None:
    assert issubclass(ChargePointStatus, StrEnum)
    assert ChargePointStatus.SUSPENDED_EVSE.value == "SuspendedEVSE"
    assert Measurand.ENERGY_ACTIVE_IMPORT_REGISTER.value == "Energy.Active.Import.Register"
    assert str(ChargePointStatus.FAULTED) == "Faulted"
    # StopTransaction's list lacks "Hertz"; the model enum is the union.
    assert {"Celcius", "Celsius", "Hertz"} <= {u.value for u in UnitOfMeasure}


def test_models_use_snake_case_names_and_camel_case_wire_names() -> None:
    request = BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")
    assert to_payload(request) == {"chargePointVendor": "V", "chargePointModel": "M"}
    parsed = BootNotificationRequest.model_validate(
        {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    assert parsed == request


def test_models_are_frozen_and_closed() -> None:
    info = IdTagInfo(status=AuthorizationStatus.ACCEPTED)
    with pytest.raises(pydantic.ValidationError):
        info.status = AuthorizationStatus.BLOCKED  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        IdTagInfo.model_validate({"status": "Accepted", "bogus": 1})
    with pytest.raises(pydantic.ValidationError):
        StatusNotificationRequest.model_validate(
            {"connectorId": 1, "errorCode": "NoError", "status": "Dancing"}
        )


def test_v16_inline_types_are_named_like_the_spec() -> None:
    fields = AuthorizeResponse.model_fields
    assert fields["id_tag_info"].annotation is IdTagInfo


def test_v201_custom_data_keeps_vendor_properties() -> None:
    payload = {
        "customData": {"vendorId": "com.example", "firmwareChannel": "beta", "n": 2.5},
        "chargingStation": {"model": "M", "vendorName": "V"},
        "reason": "PowerUp",
    }
    model = to_model(V201, "BootNotification", payload, response=False)
    assert isinstance(model, BootNotification201)
    assert isinstance(model.custom_data, CustomDataType)
    assert model.reason is BootReasonEnumType.POWER_UP
    assert isinstance(model.charging_station, ChargingStationType)
    assert to_payload(model) == payload


def test_numbers_keep_their_json_type() -> None:
    period = {"startPeriod": 0, "limit": 16}
    payload = {
        "status": "Accepted",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [period]},
    }
    model = to_model(V16, "GetCompositeSchedule", payload, response=True)
    assert isinstance(model, OcppModel)
    assert to_payload(model) == payload
    limit = to_payload(model)["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
    assert type(limit) is int


def test_committed_models_are_what_the_generator_makes() -> None:
    """``python -m ocpp.codegen.generate`` is the one way to change ocpp/v16 and ocpp/v201."""
    from ocpp.codegen.generate import main

    assert main(["--check"]) == 0
