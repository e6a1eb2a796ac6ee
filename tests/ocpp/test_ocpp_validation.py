"""ocpp.validation: schema coverage, rule -> CallError code mapping, date-time formats."""

from __future__ import annotations

import importlib.resources
from typing import Any

import pytest

from ocpp import OcppVersion, is_known_action, known_actions, validate_payload
from ocpp.validation import load_schema

V16, V201 = OcppVersion.V16, OcppVersion.V201

V16_PROFILES = {
    "Core": {
        "Authorize",
        "BootNotification",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "DataTransfer",
        "GetConfiguration",
        "Heartbeat",
        "MeterValues",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "Reset",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        "UnlockConnector",
    },
    "Firmware Management": {
        "GetDiagnostics",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "UpdateFirmware",
    },
    "Local Auth List Management": {"GetLocalListVersion", "SendLocalList"},
    "Reservation": {"CancelReservation", "ReserveNow"},
    "Smart Charging": {"ClearChargingProfile", "GetCompositeSchedule", "SetChargingProfile"},
    "Remote Trigger": {"TriggerMessage"},
    "Security Whitepaper": {
        "SecurityEventNotification",
        "SignCertificate",
        "CertificateSigned",
        "InstallCertificate",
        "DeleteCertificate",
        "GetInstalledCertificateIds",
        "GetLog",
        "LogStatusNotification",
        "SignedUpdateFirmware",
        "SignedFirmwareStatusNotification",
        "ExtendedTriggerMessage",
    },
}


def test_v16_covers_every_profile_and_the_security_whitepaper() -> None:
    expected = set().union(*V16_PROFILES.values())
    assert known_actions(V16) == expected
    assert len(expected) == 39


def test_v201_covers_all_64_messages() -> None:
    actions = known_actions(V201)
    assert len(actions) == 64
    assert {"TransactionEvent", "NotifyReport", "Get15118EVCertificate"} <= actions


@pytest.mark.parametrize(("folder", "count"), [("ocpp16", 78), ("ocpp201", 128)])
def test_schema_files_ship_as_package_data(folder: str, count: int) -> None:
    root = importlib.resources.files("schemas").joinpath(folder)
    names = [p.name for p in root.iterdir()]
    assert sum(name.endswith(".json") for name in names) == count
    assert "README.md" in names


def test_request_file_names_differ_per_version() -> None:
    assert load_schema(V16, "BootNotification", response=False)["title"] == (
        "BootNotificationRequest"
    )
    assert "chargingStation" in load_schema(V201, "BootNotification", response=False)["properties"]


def test_unknown_action(version: OcppVersion) -> None:
    assert not is_known_action(version, "Nope")
    error = validate_payload(version, "Nope", {}, response=False)
    assert error is not None and error.code == "NotImplemented"
    with pytest.raises(KeyError):
        load_schema(version, "Nope", response=False)


BOOT16 = {"chargePointVendor": "Vendor", "chargePointModel": "Model"}


@pytest.mark.parametrize(
    ("payload", "code16"),
    [
        ({"chargePointVendor": "Vendor"}, "OccurenceConstraintViolation"),
        ({**BOOT16, "chargePointVendor": 5}, "TypeConstraintViolation"),
        ({**BOOT16, "chargePointVendor": "V" * 21}, "PropertyConstraintViolation"),
        ({**BOOT16, "extra": "x"}, "PropertyConstraintViolation"),
    ],
)
def test_v16_rule_mapping(payload: dict[str, object], code16: str) -> None:
    error = validate_payload(V16, "BootNotification", payload, response=False)
    assert error is not None
    assert error.code == code16


def test_v201_rule_mapping() -> None:
    boot = {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"}
    assert validate_payload(V201, "BootNotification", boot, response=False) is None
    cases: dict[str, dict[str, Any]] = {
        "OccurrenceConstraintViolation": {"reason": "PowerUp"},
        "TypeConstraintViolation": {**boot, "reason": 3},
        "PropertyConstraintViolation": {**boot, "reason": "Bored"},
    }
    for code, payload in cases.items():
        error = validate_payload(V201, "BootNotification", payload, response=False)
        assert error is not None and error.code == code, payload
    nested = {"chargingStation": {"model": "M"}, "reason": "PowerUp"}
    error = validate_payload(V201, "BootNotification", nested, response=False)
    assert error is not None
    assert error.details == {"path": "payload.chargingStation", "rule": "required"}


def test_min_items_is_an_occurrence_violation() -> None:
    payload = {"connectorId": 1, "meterValue": []}
    error = validate_payload(V16, "MeterValues", payload, response=False)
    assert error is not None and error.code == "OccurenceConstraintViolation"


def test_multiple_of_tolerates_float_representation() -> None:
    period = {"startPeriod": 0, "limit": 0.3}
    payload = {
        "status": "Accepted",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [period]},
    }
    assert validate_payload(V16, "GetCompositeSchedule", payload, response=True) is None


@pytest.mark.parametrize(
    ("timestamp", "ok16", "ok201"),
    [
        ("2024-05-01T12:30:00Z", True, True),
        ("2024-05-01T12:30:00.123+02:00", True, True),
        ("2024-05-01T12:30:00", True, False),  # 1.6: ISO 8601 without zone is accepted
        ("2024-05-01 12:30:00Z", False, False),
        ("yesterday", False, False),
    ],
)
def test_date_time_format(timestamp: str, ok16: bool, ok201: bool) -> None:
    error16 = validate_payload(V16, "Heartbeat", {"currentTime": timestamp}, response=True)
    error201 = validate_payload(V201, "Heartbeat", {"currentTime": timestamp}, response=True)
    assert (error16 is None) == ok16
    assert (error201 is None) == ok201
    for error in (error16, error201):
        assert error is None or error.code == "TypeConstraintViolation"


def test_schema_defaults_are_not_written_into_the_payload() -> None:
    # GetVariableDataType.attributeType has "default": "Actual" in the 2.0.1 schema.
    item = {"component": {"name": "EVSE"}, "variable": {"name": "Power"}}
    payload = {"getVariableData": [item]}
    assert validate_payload(V201, "GetVariables", payload, response=False) is None
    assert payload == {
        "getVariableData": [{"component": {"name": "EVSE"}, "variable": {"name": "Power"}}]
    }


def test_descriptions_name_offending_properties_in_a_stable_order() -> None:
    from ocpp import OcppVersion, Rejection, parse

    rejected = parse('[2,"m1","Heartbeat",{"b":1,"a":2,"c":3}]', OcppVersion.V16)
    assert isinstance(rejected, Rejection)
    assert rejected.error.description == "payload must not contain ['a', 'b', 'c'] properties"
