"""Result handlers: what a station's CallResult to a CSMS call means, as domain events.

The Pipe merges a CallResult with the call it answers (``CallAnswered``); the handler
registered for ``(version, action)`` then reads the request and the response and returns the
facts they establish (models of :mod:`schemas.events.results`), e.g. a 1.6
ChangeConfiguration answered Accepted is ``ConfigurationChanged``. Handlers are pure
and only see payloads that passed the response schema.

Conventions shared with the read models: a 1.6 connector *N* is EVSE *N*, connector *N*
(docs/SESSIONS.md, "Connectors"); statuses are kept as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ocpp import OcppVersion
from schemas.events import (
    AvailabilityChanged,
    BaseReportRequested,
    CacheClearAnswered,
    ChargingProfilesCleared,
    ChargingProfileSet,
    ChargingProfilesRequested,
    CompositeScheduleReported,
    ConfigurationChanged,
    ConfigurationKey,
    ConfigurationRead,
    ConnectorUnlockAnswered,
    DataTransferAnswered,
    DiagnosticsRequested,
    DomainEvent,
    FirmwareUpdateRequested,
    LocalListUpdated,
    LocalListVersionReported,
    LogRequested,
    RemoteStartAnswered,
    RemoteStopAnswered,
    ReservationAnswered,
    ReservationCancelled,
    ResetAnswered,
    TriggerAnswered,
    VariableResult,
    VariablesGot,
    VariablesSet,
)

Payload = dict[str, Any]
Events = tuple[DomainEvent, ...]
ResultHandler = Callable[[Payload, Payload], Events]

V16, V201 = OcppVersion.V16, OcppVersion.V201
CHANGED = frozenset({"Accepted", "RebootRequired"})


def _given(**fields: object) -> dict[str, Any]:
    """The fields that have a value: an optional fact the answer does not state is left out
    of the event (not written as null)."""
    return {k: v for k, v in fields.items() if v is not None}


def _evse_16(connector_id: object) -> Payload:
    return {"evse_id": connector_id, "connector_id": connector_id}


def _evse_201(evse: object) -> Payload:
    if not isinstance(evse, dict):
        return {"evse_id": None, "connector_id": None}
    return {"evse_id": evse.get("id"), "connector_id": evse.get("connectorId")}


# -- configuration and device model --------------------------------------------------------


def get_configuration(req: Payload, res: Payload) -> Events:
    keys = tuple(ConfigurationKey(**_given(key=k["key"], value=k.get("value"),
                                           readonly=k["readonly"]))
                 for k in res.get("configurationKey", []))  # fmt: skip
    return (ConfigurationRead(keys=keys, unknown_keys=tuple(res.get("unknownKey", []))),)


def change_configuration(req: Payload, res: Payload) -> Events:
    if res["status"] not in CHANGED:
        return ()
    return (ConfigurationChanged(key=req["key"], value=req["value"], status=res["status"]),)


def _variable_ref(item: Payload) -> Payload:
    component, variable = item["component"], item["variable"]
    evse = component.get("evse") or {}
    return _given(
        component=component["name"], component_instance=component.get("instance"),
        evse_id=evse.get("id"), connector_id=evse.get("connectorId"),
        variable=variable["name"], variable_instance=variable.get("instance"),
        attribute_type=item.get("attributeType", "Actual"),
    )  # fmt: skip


def get_variables(req: Payload, res: Payload) -> Events:
    results = tuple(VariableResult(**_variable_ref(r), **_given(status=r["attributeStatus"],
                                                                value=r.get("attributeValue")))
                    for r in res["getVariableResult"])  # fmt: skip
    return (VariablesGot(results=results),)


def set_variables(req: Payload, res: Payload) -> Events:
    # SetVariablesResponse carries no values: take them from the request item with the same
    # (component, variable, attribute type).
    asked = {_key(_variable_ref(i)): i["attributeValue"] for i in req["setVariableData"]}
    results = []
    for r in res["setVariableResult"]:
        ref = _variable_ref(r)
        results.append(VariableResult(**ref, **_given(status=r["attributeStatus"],
                                                      value=asked.get(_key(ref)))))  # fmt: skip
    return (VariablesSet(results=tuple(results)),)


def _key(ref: Payload) -> tuple[object, ...]:
    return tuple(ref.get(k) for k in ("component", "component_instance", "evse_id",
                                      "connector_id", "variable", "variable_instance",
                                      "attribute_type"))  # fmt: skip


def get_base_report(req: Payload, res: Payload) -> Events:
    return (BaseReportRequested(request_id=req["requestId"], report_base=req["reportBase"],
                                status=res["status"]),)  # fmt: skip


# -- availability, reset, unlock, trigger, cache -------------------------------------------


def change_availability_16(req: Payload, res: Payload) -> Events:
    return _availability(_evse_16(req["connectorId"]), req["type"], res["status"])


def change_availability_201(req: Payload, res: Payload) -> Events:
    return _availability(_evse_201(req.get("evse")), req["operationalStatus"], res["status"])


def _availability(where: Payload, operational: str, status: str) -> Events:
    return (AvailabilityChanged(**where, operational=operational, status=status),)


def reset(req: Payload, res: Payload) -> Events:
    return (ResetAnswered(**_given(type=req["type"], evse_id=req.get("evseId"),
                                   status=res["status"])),)  # fmt: skip


def unlock_16(req: Payload, res: Payload) -> Events:
    return (ConnectorUnlockAnswered(**_evse_16(req["connectorId"]), status=res["status"]),)


def unlock_201(req: Payload, res: Payload) -> Events:
    return (ConnectorUnlockAnswered(evse_id=req["evseId"], connector_id=req["connectorId"],
                                    status=res["status"]),)  # fmt: skip


def trigger_16(req: Payload, res: Payload) -> Events:
    connector = req.get("connectorId")
    where = _evse_16(connector) if connector is not None else {}
    return (TriggerAnswered(**where, requested_message=req["requestedMessage"],
                            status=res["status"]),)  # fmt: skip


def trigger_201(req: Payload, res: Payload) -> Events:
    where = _given(**_evse_201(req.get("evse")))
    return (TriggerAnswered(**where, requested_message=req["requestedMessage"],
                            status=res["status"]),)  # fmt: skip


def clear_cache(req: Payload, res: Payload) -> Events:
    return (CacheClearAnswered(status=res["status"]),)


# -- remote start / stop --------------------------------------------------------------------


def remote_start_16(req: Payload, res: Payload) -> Events:
    connector = req.get("connectorId")
    where = _evse_16(connector) if connector is not None else {}
    return (RemoteStartAnswered(**where, id_token=req["idTag"], status=res["status"]),)


def remote_start_201(req: Payload, res: Payload) -> Events:
    return (RemoteStartAnswered(**_given(
        evse_id=req.get("evseId"), id_token=req["idToken"]["idToken"],
        remote_start_id=req["remoteStartId"], status=res["status"],
        transaction_id=res.get("transactionId"),
    )),)  # fmt: skip


def remote_stop(req: Payload, res: Payload) -> Events:
    return (RemoteStopAnswered(transaction_id=str(req["transactionId"]), status=res["status"]),)


# -- smart charging -------------------------------------------------------------------------


def set_profile_16(req: Payload, res: Payload) -> Events:
    return _profile_set(req["connectorId"], req["csChargingProfiles"],
                        "chargingProfileId", res["status"])  # fmt: skip


def set_profile_201(req: Payload, res: Payload) -> Events:
    return _profile_set(req["evseId"], req["chargingProfile"], "id", res["status"])


def _profile_set(evse_id: int, profile: Payload, id_field: str, status: str) -> Events:
    if status != "Accepted":
        return ()
    return (ChargingProfileSet(
        evse_id=evse_id, profile_id=profile[id_field], stack_level=profile["stackLevel"],
        purpose=profile["chargingProfilePurpose"], profile=profile,
    ),)  # fmt: skip


def clear_profile_16(req: Payload, res: Payload) -> Events:
    return _profiles_cleared(req.get("id"), req.get("connectorId"),
                             req.get("chargingProfilePurpose"), req.get("stackLevel"),
                             res["status"])  # fmt: skip


def clear_profile_201(req: Payload, res: Payload) -> Events:
    c = req.get("chargingProfileCriteria") or {}
    return _profiles_cleared(req.get("chargingProfileId"), c.get("evseId"),
                             c.get("chargingProfilePurpose"), c.get("stackLevel"),
                             res["status"])  # fmt: skip


def _profiles_cleared(profile_id: object, evse_id: object, purpose: object, stack_level: object,
                      status: str) -> Events:  # fmt: skip
    if status != "Accepted":
        return ()
    criteria = _given(profile_id=profile_id, evse_id=evse_id, purpose=purpose,
                      stack_level=stack_level)  # fmt: skip
    return (ChargingProfilesCleared(**criteria),)


def get_profiles(req: Payload, res: Payload) -> Events:
    return (ChargingProfilesRequested(request_id=req["requestId"], status=res["status"]),)


def composite_16(req: Payload, res: Payload) -> Events:
    return (CompositeScheduleReported(**_given(
        evse_id=res.get("connectorId", req["connectorId"]), status=res["status"],
        schedule_start=res.get("scheduleStart"), schedule=res.get("chargingSchedule"),
    )),)  # fmt: skip


def composite_201(req: Payload, res: Payload) -> Events:
    schedule = res.get("schedule")
    return (CompositeScheduleReported(**_given(
        evse_id=req["evseId"], status=res["status"],
        schedule_start=schedule.get("scheduleStart") if schedule else None, schedule=schedule,
    )),)  # fmt: skip


# -- firmware, diagnostics, logs ------------------------------------------------------------


def update_firmware_16(req: Payload, res: Payload) -> Events:
    return (FirmwareUpdateRequested(location=req["location"], retrieve_at=req["retrieveDate"]),)


def signed_update_firmware(req: Payload, res: Payload) -> Events:
    firmware = req["firmware"]
    return (FirmwareUpdateRequested(
        location=firmware["location"], retrieve_at=firmware["retrieveDateTime"],
        request_id=req["requestId"], status=res["status"],
    ),)  # fmt: skip


def get_diagnostics(req: Payload, res: Payload) -> Events:
    return (DiagnosticsRequested(**_given(location=req["location"],
                                          file_name=res.get("fileName"))),)  # fmt: skip


def get_log(req: Payload, res: Payload) -> Events:
    return (LogRequested(**_given(
        log_type=req["logType"], request_id=req["requestId"],
        location=req["log"]["remoteLocation"], status=res["status"],
        file_name=res.get("filename"),
    )),)  # fmt: skip


# -- local authorization list, reservations, data transfer ----------------------------------


def send_local_list_16(req: Payload, res: Payload) -> Events:
    return _local_list(req["listVersion"], req["updateType"],
                       len(req.get("localAuthorizationList", [])), res["status"])  # fmt: skip


def send_local_list_201(req: Payload, res: Payload) -> Events:
    return _local_list(req["versionNumber"], req["updateType"],
                       len(req.get("localAuthorizationList", [])), res["status"])  # fmt: skip


def _local_list(version: int, update_type: str, entries: int, status: str) -> Events:
    if status != "Accepted":
        return ()
    return (LocalListUpdated(version=version, update_type=update_type, entries=entries),)


def local_list_version_16(req: Payload, res: Payload) -> Events:
    return (LocalListVersionReported(version=res["listVersion"]),)


def local_list_version_201(req: Payload, res: Payload) -> Events:
    return (LocalListVersionReported(version=res["versionNumber"]),)


def reserve_16(req: Payload, res: Payload) -> Events:
    return (ReservationAnswered(
        **_evse_16(req["connectorId"]), reservation_id=req["reservationId"],
        id_token=req["idTag"], expires_at=req["expiryDate"], status=res["status"],
    ),)  # fmt: skip


def reserve_201(req: Payload, res: Payload) -> Events:
    return (ReservationAnswered(**_given(
        evse_id=req.get("evseId"), reservation_id=req["id"],
        id_token=req["idToken"]["idToken"], expires_at=req["expiryDateTime"],
        status=res["status"],
    )),)  # fmt: skip


def cancel_reservation(req: Payload, res: Payload) -> Events:
    if res["status"] != "Accepted":
        return ()
    return (ReservationCancelled(reservation_id=req["reservationId"]),)


def data_transfer(req: Payload, res: Payload) -> Events:
    return (DataTransferAnswered(**_given(
        vendor_id=req["vendorId"], message_id=req.get("messageId"), status=res["status"],
        data=res.get("data"),
    )),)  # fmt: skip


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
