"""Result handlers (processors/core/results.py): requests + responses → domain events, each
as the events log carries it (an optional fact the answer does not state is left out)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ocpp import OcppVersion
from processors.core.results import RESULT_HANDLERS

V16, V201 = OcppVersion.V16, OcppVersion.V201

# (version, action, request, response, expected events (type, data) or types only)
CASES: list[tuple[OcppVersion, str, dict[str, Any], dict[str, Any], list[Any]]] = [
    (V16, "GetConfiguration", {"key": ["A", "B"]},
     {"configurationKey": [{"key": "A", "readonly": True, "value": "1"}], "unknownKey": ["B"]},
     [("ConfigurationRead", {"keys": [{"key": "A", "value": "1", "readonly": True}],
                             "unknown_keys": ["B"]})]),
    (V16, "ChangeConfiguration", {"key": "A", "value": "2"}, {"status": "Rejected"}, []),
    (V16, "ChangeConfiguration", {"key": "A", "value": "2"}, {"status": "RebootRequired"},
     [("ConfigurationChanged", {"key": "A", "value": "2", "status": "RebootRequired"})]),
    (V201, "SetVariables", {"setVariableData": [
        {"component": {"name": "C", "evse": {"id": 1}}, "variable": {"name": "V"},
         "attributeValue": "9"}]},
     {"setVariableResult": [{"component": {"name": "C", "evse": {"id": 1}},
                             "variable": {"name": "V"}, "attributeStatus": "Accepted"}]},
     [("VariablesSet", {"results": [{"component": "C", "evse_id": 1, "variable": "V",
                                     "attribute_type": "Actual", "status": "Accepted",
                                     "value": "9"}]})]),
    (V201, "GetVariables", {"getVariableData": []}, {"getVariableResult": [
        {"component": {"name": "C"}, "variable": {"name": "V"},
         "attributeStatus": "UnknownVariable"}]},
     [("VariablesGot", {"results": [{"component": "C", "variable": "V", "attribute_type": "Actual",
                                     "status": "UnknownVariable"}]})]),
    (V16, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, {"status": "Scheduled"},
     [("AvailabilityChanged", {"evse_id": 0, "connector_id": 0, "operational": "Inoperative",
                               "status": "Scheduled"})]),
    (V201, "ChangeAvailability", {"operationalStatus": "Operative"}, {"status": "Accepted"},
     [("AvailabilityChanged", {"evse_id": None, "connector_id": None,
                               "operational": "Operative", "status": "Accepted"})]),
    (V16, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 3, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile"}},
     {"status": "Accepted"}, ["ChargingProfileSet"]),
    (V201, "SetChargingProfile", {"evseId": 1, "chargingProfile": {
        "id": 3, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile"}},
     {"status": "Rejected"}, []),
    (V201, "ClearChargingProfile", {"chargingProfileCriteria": {"evseId": 2}},
     {"status": "Accepted"}, [("ChargingProfilesCleared", {"evse_id": 2})]),
    (V16, "SendLocalList", {"listVersion": 4, "updateType": "Full"}, {"status": "Accepted"},
     [("LocalListUpdated", {"version": 4, "update_type": "Full", "entries": 0})]),
    (V201, "GetLocalListVersion", {}, {"versionNumber": 8},
     [("LocalListVersionReported", {"version": 8})]),
    (V201, "ReserveNow", {"id": 5, "expiryDateTime": "2030-01-01T00:00:00Z",
                          "idToken": {"idToken": "T", "type": "ISO14443"}}, {"status": "Occupied"},
     [("ReservationAnswered", {"reservation_id": 5, "id_token": "T",
                               "expires_at": "2030-01-01T00:00:00Z", "status": "Occupied"})]),
    (V16, "CancelReservation", {"reservationId": 5}, {"status": "Accepted"},
     [("ReservationCancelled", {"reservation_id": 5})]),
    (V201, "RequestStartTransaction", {"idToken": {"idToken": "T", "type": "ISO14443"},
                                       "remoteStartId": 12}, {"status": "Accepted",
                                                              "transactionId": "tx-1"},
     [("RemoteStartAnswered", {"id_token": "T", "remote_start_id": 12, "status": "Accepted",
                               "transaction_id": "tx-1"})]),
    (V16, "RemoteStopTransaction", {"transactionId": 42}, {"status": "Rejected"},
     [("RemoteStopAnswered", {"transaction_id": "42", "status": "Rejected"})]),
    (V16, "UpdateFirmware", {"location": "u", "retrieveDate": "2030-01-01T00:00:00Z"}, {},
     ["FirmwareUpdateRequested"]),
    (V201, "GetLog", {"logType": "SecurityLog", "requestId": 1, "log": {"remoteLocation": "u"}},
     {"status": "Accepted", "filename": "f"}, ["LogRequested"]),
    (V16, "GetCompositeSchedule", {"connectorId": 1, "duration": 60}, {"status": "Rejected"},
     [("CompositeScheduleReported", {"evse_id": 1, "status": "Rejected"})]),
    (V201, "DataTransfer", {"vendorId": "V"}, {"status": "Accepted", "data": [1]},
     [("DataTransferAnswered", {"vendor_id": "V", "status": "Accepted", "data": [1]})]),
]  # fmt: skip


@pytest.mark.parametrize(("version", "action", "request_", "response", "expected"), CASES)
def test_result_handler(version: OcppVersion, action: str, request_: dict[str, Any],
                        response: dict[str, Any], expected: list[Any]) -> None:  # fmt: skip
    events = RESULT_HANDLERS[(version, action)](request_, response)
    wire = [(e.type_name, e.model_dump(mode="json", exclude_unset=True)) for e in events]
    if expected and isinstance(expected[0], str):
        assert [t for t, _ in wire] == expected
    else:
        assert wire == expected


def test_a_fact_its_event_refuses_is_not_recorded() -> None:
    with pytest.raises(ValidationError):  # calls.decide_answer then records CallAnswered only
        RESULT_HANDLERS[(V16, "SendLocalList")]({"listVersion": 1, "updateType": "Partial"},
                                                 {"status": "Accepted"})  # fmt: skip
