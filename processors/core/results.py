"""Result handlers: what a station's CallResult to a CSMS call means, as domain events.

The Pipe merges a CallResult with the call it answers (``CallAnswered``); the handler
registered for ``(version, action)`` then reads the request and the response and returns the
facts they establish (``(type, data)``, each with a schema in ``schemas/events``), e.g. a
1.6 ChangeConfiguration answered Accepted is ``ConfigurationChanged``. Handlers are pure
and only see payloads that passed the response schema.

Conventions shared with the read models: a 1.6 connector *N* is EVSE *N*, connector *N*
(docs/SESSIONS.md, "Connectors"); statuses are kept as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ocpp import OcppVersion
from processors.core.pipe import Event

Payload = dict[str, Any]
ResultHandler = Callable[[Payload, Payload], tuple[Event, ...]]

V16, V201 = OcppVersion.V16, OcppVersion.V201
CHANGED = frozenset({"Accepted", "RebootRequired"})


def _drop_none(data: Payload) -> Payload:
    return {k: v for k, v in data.items() if v is not None}


def _evse_16(connector_id: object) -> Payload:
    return {"evse_id": connector_id, "connector_id": connector_id}


def _evse_201(evse: object) -> Payload:
    if not isinstance(evse, dict):
        return {"evse_id": None, "connector_id": None}
    return {"evse_id": evse.get("id"), "connector_id": evse.get("connectorId")}


# -- configuration and device model --------------------------------------------------------


def get_configuration(req: Payload, res: Payload) -> tuple[Event, ...]:
    keys = [_drop_none({"key": k["key"], "value": k.get("value"), "readonly": k["readonly"]})
            for k in res.get("configurationKey", [])]  # fmt: skip
    return (("ConfigurationRead", {"keys": keys, "unknown_keys": res.get("unknownKey", [])}),)


def change_configuration(req: Payload, res: Payload) -> tuple[Event, ...]:
    if res["status"] not in CHANGED:
        return ()
    return (("ConfigurationChanged", {"key": req["key"], "value": req["value"],
                                      "status": res["status"]}),)  # fmt: skip


def _variable_ref(item: Payload) -> Payload:
    component, variable = item["component"], item["variable"]
    return _drop_none({
        "component": component["name"], "component_instance": component.get("instance"),
        "evse_id": (component.get("evse") or {}).get("id"),
        "connector_id": (component.get("evse") or {}).get("connectorId"),
        "variable": variable["name"], "variable_instance": variable.get("instance"),
        "attribute_type": item.get("attributeType", "Actual"),
    })  # fmt: skip


def get_variables(req: Payload, res: Payload) -> tuple[Event, ...]:
    results = [_drop_none({**_variable_ref(r), "status": r["attributeStatus"],
                           "value": r.get("attributeValue")})
               for r in res["getVariableResult"]]  # fmt: skip
    return (("VariablesGot", {"results": results}),)


def set_variables(req: Payload, res: Payload) -> tuple[Event, ...]:
    # SetVariablesResponse carries no values: take them from the request item with the same
    # (component, variable, attribute type).
    asked = {_key(_variable_ref(i)): i["attributeValue"] for i in req["setVariableData"]}
    results = []
    for r in res["setVariableResult"]:
        ref = _variable_ref(r)
        results.append({**ref, "status": r["attributeStatus"], "value": asked.get(_key(ref))})
    return (("VariablesSet", {"results": [_drop_none(r) for r in results]}),)


def _key(ref: Payload) -> tuple[object, ...]:
    return tuple(ref.get(k) for k in ("component", "component_instance", "evse_id",
                                      "connector_id", "variable", "variable_instance",
                                      "attribute_type"))  # fmt: skip


def get_base_report(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("BaseReportRequested", {"request_id": req["requestId"],
                                     "report_base": req["reportBase"],
                                     "status": res["status"]}),)  # fmt: skip


# -- availability, reset, unlock, trigger, cache -------------------------------------------


def change_availability_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return _availability(_evse_16(req["connectorId"]), req["type"], res["status"])


def change_availability_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    return _availability(_evse_201(req.get("evse")), req["operationalStatus"], res["status"])


def _availability(where: Payload, operational: str, status: str) -> tuple[Event, ...]:
    return (("AvailabilityChanged", {**where, "operational": operational, "status": status}),)


def reset(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("ResetAnswered", _drop_none({"type": req["type"], "evse_id": req.get("evseId"),
                                          "status": res["status"]})),)  # fmt: skip


def unlock_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("ConnectorUnlockAnswered", {**_evse_16(req["connectorId"]),
                                         "status": res["status"]}),)  # fmt: skip


def unlock_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("ConnectorUnlockAnswered", {"evse_id": req["evseId"],
                                         "connector_id": req["connectorId"],
                                         "status": res["status"]}),)  # fmt: skip


def trigger_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    connector = req.get("connectorId")
    where = _evse_16(connector) if connector is not None else {}
    return (("TriggerAnswered", {**where, "requested_message": req["requestedMessage"],
                                 "status": res["status"]}),)  # fmt: skip


def trigger_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    where = _drop_none(_evse_201(req.get("evse")))
    return (("TriggerAnswered", {**where, "requested_message": req["requestedMessage"],
                                 "status": res["status"]}),)  # fmt: skip


def clear_cache(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("CacheClearAnswered", {"status": res["status"]}),)


# -- remote start / stop --------------------------------------------------------------------


def remote_start_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    connector = req.get("connectorId")
    where = _evse_16(connector) if connector is not None else {}
    return (("RemoteStartAnswered", {**where, "id_token": req["idTag"],
                                     "status": res["status"]}),)  # fmt: skip


def remote_start_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("RemoteStartAnswered", _drop_none({
        "evse_id": req.get("evseId"), "id_token": req["idToken"]["idToken"],
        "remote_start_id": req["remoteStartId"], "status": res["status"],
        "transaction_id": res.get("transactionId"),
    })),)  # fmt: skip


def remote_stop(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("RemoteStopAnswered", {"transaction_id": str(req["transactionId"]),
                                    "status": res["status"]}),)  # fmt: skip


# -- smart charging -------------------------------------------------------------------------


def set_profile_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return _profile_set(req["connectorId"], req["csChargingProfiles"],
                        "chargingProfileId", res["status"])  # fmt: skip


def set_profile_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    return _profile_set(req["evseId"], req["chargingProfile"], "id", res["status"])


def _profile_set(evse_id: int, profile: Payload, id_field: str, status: str) -> tuple[Event, ...]:
    if status != "Accepted":
        return ()
    return (("ChargingProfileSet", {
        "evse_id": evse_id, "profile_id": profile[id_field], "stack_level": profile["stackLevel"],
        "purpose": profile["chargingProfilePurpose"], "profile": profile,
    }),)  # fmt: skip


def clear_profile_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return _profiles_cleared(req.get("id"), req.get("connectorId"),
                             req.get("chargingProfilePurpose"), req.get("stackLevel"),
                             res["status"])  # fmt: skip


def clear_profile_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    c = req.get("chargingProfileCriteria") or {}
    return _profiles_cleared(req.get("chargingProfileId"), c.get("evseId"),
                             c.get("chargingProfilePurpose"), c.get("stackLevel"),
                             res["status"])  # fmt: skip


def _profiles_cleared(profile_id: object, evse_id: object, purpose: object, stack_level: object,
                      status: str) -> tuple[Event, ...]:  # fmt: skip
    if status != "Accepted":
        return ()
    return (("ChargingProfilesCleared", _drop_none({
        "profile_id": profile_id, "evse_id": evse_id, "purpose": purpose,
        "stack_level": stack_level,
    })),)  # fmt: skip


def get_profiles(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("ChargingProfilesRequested", {"request_id": req["requestId"],
                                           "status": res["status"]}),)  # fmt: skip


def composite_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("CompositeScheduleReported", _drop_none({
        "evse_id": res.get("connectorId", req["connectorId"]), "status": res["status"],
        "schedule_start": res.get("scheduleStart"), "schedule": res.get("chargingSchedule"),
    })),)  # fmt: skip


def composite_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    schedule = res.get("schedule")
    return (("CompositeScheduleReported", _drop_none({
        "evse_id": req["evseId"], "status": res["status"],
        "schedule_start": schedule.get("scheduleStart") if schedule else None,
        "schedule": schedule,
    })),)  # fmt: skip


# -- firmware, diagnostics, logs ------------------------------------------------------------


def update_firmware_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("FirmwareUpdateRequested", {"location": req["location"],
                                         "retrieve_at": req["retrieveDate"]}),)  # fmt: skip


def signed_update_firmware(req: Payload, res: Payload) -> tuple[Event, ...]:
    firmware = req["firmware"]
    return (("FirmwareUpdateRequested", {
        "location": firmware["location"], "retrieve_at": firmware["retrieveDateTime"],
        "request_id": req["requestId"], "status": res["status"],
    }),)  # fmt: skip


def get_diagnostics(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("DiagnosticsRequested", _drop_none({"location": req["location"],
                                                 "file_name": res.get("fileName")})),)  # fmt: skip


def get_log(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("LogRequested", _drop_none({
        "log_type": req["logType"], "request_id": req["requestId"],
        "location": req["log"]["remoteLocation"], "status": res["status"],
        "file_name": res.get("filename"),
    })),)  # fmt: skip


# -- local authorization list, reservations, data transfer ----------------------------------


def send_local_list_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return _local_list(req["listVersion"], req["updateType"],
                       len(req.get("localAuthorizationList", [])), res["status"])  # fmt: skip


def send_local_list_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    return _local_list(req["versionNumber"], req["updateType"],
                       len(req.get("localAuthorizationList", [])), res["status"])  # fmt: skip


def _local_list(version: int, update_type: str, entries: int, status: str) -> tuple[Event, ...]:
    if status != "Accepted":
        return ()
    return (("LocalListUpdated", {"version": version, "update_type": update_type,
                                  "entries": entries}),)  # fmt: skip


def local_list_version_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("LocalListVersionReported", {"version": res["listVersion"]}),)


def local_list_version_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("LocalListVersionReported", {"version": res["versionNumber"]}),)


def reserve_16(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("ReservationAnswered", {
        **_evse_16(req["connectorId"]), "reservation_id": req["reservationId"],
        "id_token": req["idTag"], "expires_at": req["expiryDate"], "status": res["status"],
    }),)  # fmt: skip


def reserve_201(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("ReservationAnswered", _drop_none({
        "evse_id": req.get("evseId"), "reservation_id": req["id"],
        "id_token": req["idToken"]["idToken"], "expires_at": req["expiryDateTime"],
        "status": res["status"],
    })),)  # fmt: skip


def cancel_reservation(req: Payload, res: Payload) -> tuple[Event, ...]:
    if res["status"] != "Accepted":
        return ()
    return (("ReservationCancelled", {"reservation_id": req["reservationId"]}),)


def data_transfer(req: Payload, res: Payload) -> tuple[Event, ...]:
    return (("DataTransferAnswered", _drop_none({
        "vendor_id": req["vendorId"], "message_id": req.get("messageId"),
        "status": res["status"], "data": res.get("data"),
    })),)  # fmt: skip


RESULT_HANDLERS: Mapping[tuple[OcppVersion, str], ResultHandler] = {
    (V16, "GetConfiguration"): get_configuration,
    (V16, "ChangeConfiguration"): change_configuration,
    (V201, "GetVariables"): get_variables,
    (V201, "SetVariables"): set_variables,
    (V201, "GetBaseReport"): get_base_report,
    (V16, "ChangeAvailability"): change_availability_16,
    (V201, "ChangeAvailability"): change_availability_201,
    (V16, "Reset"): reset,
    (V201, "Reset"): reset,
    (V16, "UnlockConnector"): unlock_16,
    (V201, "UnlockConnector"): unlock_201,
    (V16, "TriggerMessage"): trigger_16,
    (V16, "ExtendedTriggerMessage"): trigger_16,
    (V201, "TriggerMessage"): trigger_201,
    (V16, "ClearCache"): clear_cache,
    (V201, "ClearCache"): clear_cache,
    (V16, "RemoteStartTransaction"): remote_start_16,
    (V201, "RequestStartTransaction"): remote_start_201,
    (V16, "RemoteStopTransaction"): remote_stop,
    (V201, "RequestStopTransaction"): remote_stop,
    (V16, "SetChargingProfile"): set_profile_16,
    (V201, "SetChargingProfile"): set_profile_201,
    (V16, "ClearChargingProfile"): clear_profile_16,
    (V201, "ClearChargingProfile"): clear_profile_201,
    (V201, "GetChargingProfiles"): get_profiles,
    (V16, "GetCompositeSchedule"): composite_16,
    (V201, "GetCompositeSchedule"): composite_201,
    (V16, "UpdateFirmware"): update_firmware_16,
    (V16, "SignedUpdateFirmware"): signed_update_firmware,
    (V201, "UpdateFirmware"): signed_update_firmware,
    (V16, "GetDiagnostics"): get_diagnostics,
    (V16, "GetLog"): get_log,
    (V201, "GetLog"): get_log,
    (V16, "SendLocalList"): send_local_list_16,
    (V201, "SendLocalList"): send_local_list_201,
    (V16, "GetLocalListVersion"): local_list_version_16,
    (V201, "GetLocalListVersion"): local_list_version_201,
    (V16, "ReserveNow"): reserve_16,
    (V201, "ReserveNow"): reserve_201,
    (V16, "CancelReservation"): cancel_reservation,
    (V201, "CancelReservation"): cancel_reservation,
    (V16, "DataTransfer"): data_transfer,
    (V201, "DataTransfer"): data_transfer,
}
