"""Typed commands: one body per operator intent, mapped to the OCPP message of the station's
version (docs/CALLS.md, "Typed commands").

Each body is a pydantic model with ``to_call(version, request_id) -> (action, payload)``;
a command that has no message in that version raises :class:`NotApplicable` (the route
answers 409). ``request_id`` is a number derived from the call id, used where 2.0.1 (or
the 1.6 security extension) needs one and the caller gave none. The payload built here is
still validated against the OCPP schema before it is queued; every action it names is a
CSMS-initiated one (:func:`ocpp.csms_initiated`). Date-times go on the wire in UTC
(:func:`ocpp.timestamps.format_datetime`).

The same vocabulary serves both versions: EVSE ids for 2.0.1 and connector ids for 1.6
(a 1.6 connector *N* is EVSE *N*, docs/SESSIONS.md); 1.6 ``Hard`` / ``Soft`` reset equal
2.0.1 ``Immediate`` / ``OnIdle``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ocpp import OcppVersion
from ocpp.timestamps import format_datetime

V16, V201 = OcppVersion.V16, OcppVersion.V201
Payload = dict[str, Any]
Call = tuple[str, Payload]


class NotApplicable(ValueError):
    """The command has no OCPP message in the station's version."""


def _only(version: OcppVersion, wanted: OcppVersion, command: str, instead: str = "") -> None:
    if version is not wanted:
        hint = f"; use {instead}" if instead else ""
        raise NotApplicable(f"{command} exists only in {wanted.value}, the station speaks "
                            f"{version.value}{hint}")  # fmt: skip


def _drop_none(payload: Payload) -> Payload:
    return {k: v for k, v in payload.items() if v is not None}


def _wire(moment: AwareDatetime | None) -> str | None:
    return format_datetime(moment) if moment is not None else None


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_s: int | None = Field(
        default=None, ge=1, le=7 * 24 * 3600,
        description="How long the call may wait in the station's queue (default: the setting).",
    )  # fmt: skip

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        raise NotImplementedError


class IdTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_token: str = Field(min_length=1, max_length=36)
    type: str = Field(default="ISO14443", description="2.0.1 IdTokenEnumType (ignored in 1.6).")

    def v201(self) -> Payload:
        return {"idToken": self.id_token, "type": self.type}


class RemoteStart(Command):
    id_token: IdTokenIn
    evse_id: int | None = Field(default=None, ge=1, description="1.6: the connector id.")
    remote_start_id: int | None = Field(default=None, description="2.0.1 (default: derived).")
    charging_profile: Payload | None = Field(default=None, description="In the version's form.")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            return ("RemoteStartTransaction", _drop_none({
                "connectorId": self.evse_id, "idTag": self.id_token.id_token,
                "chargingProfile": self.charging_profile}))  # fmt: skip
        return ("RequestStartTransaction", _drop_none({
            "idToken": self.id_token.v201(), "evseId": self.evse_id,
            "remoteStartId": self.remote_start_id or request_id,
            "chargingProfile": self.charging_profile}))  # fmt: skip


class RemoteStop(Command):
    transaction_id: str = Field(min_length=1, max_length=36, description="As on the wire.")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            if not self.transaction_id.isdigit():
                raise NotApplicable("a 1.6 transactionId is an integer")
            return ("RemoteStopTransaction", {"transactionId": int(self.transaction_id)})
        return ("RequestStopTransaction", {"transactionId": self.transaction_id})


RESET_16 = {"Hard": "Hard", "Soft": "Soft", "Immediate": "Hard", "OnIdle": "Soft"}
RESET_201 = {"Hard": "Immediate", "Soft": "OnIdle", "Immediate": "Immediate", "OnIdle": "OnIdle"}


class Reset(Command):
    type: Literal["Hard", "Soft", "Immediate", "OnIdle"] = "Soft"
    evse_id: int | None = Field(default=None, ge=1, description="2.0.1 only: reset one EVSE.")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            if self.evse_id is not None:
                raise NotApplicable("a 1.6 Reset applies to the whole station (no evse_id)")
            return ("Reset", {"type": RESET_16[self.type]})
        return ("Reset", _drop_none({"type": RESET_201[self.type], "evseId": self.evse_id}))


def _evse(evse_id: int | None, connector_id: int | None) -> Payload | None:
    if evse_id is None:
        return None
    return _drop_none({"id": evse_id, "connectorId": connector_id})


class ChangeAvailability(Command):
    operative: bool
    evse_id: int | None = Field(default=None, ge=0, description="None/0: the whole station; "
                                "1.6: the connector id.")  # fmt: skip
    connector_id: int | None = Field(default=None, ge=1, description="2.0.1 only.")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        status = "Operative" if self.operative else "Inoperative"
        if version is V16:
            return ("ChangeAvailability", {"connectorId": self.evse_id or 0, "type": status})
        evse = _evse(self.evse_id or None, self.connector_id)
        return ("ChangeAvailability", _drop_none({"operationalStatus": status, "evse": evse}))


class UnlockConnector(Command):
    connector_id: int = Field(ge=1)
    evse_id: int | None = Field(default=None, ge=1, description="Required for 2.0.1.")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            return ("UnlockConnector", {"connectorId": self.connector_id})
        if self.evse_id is None:
            raise NotApplicable("a 2.0.1 UnlockConnector needs evse_id")
        return ("UnlockConnector", {"evseId": self.evse_id, "connectorId": self.connector_id})


class TriggerMessage(Command):
    message: str = Field(description="requestedMessage, as the version spells it.")
    evse_id: int | None = Field(default=None, ge=1, description="1.6: the connector id.")
    connector_id: int | None = Field(default=None, ge=1, description="2.0.1 only.")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            return ("TriggerMessage", _drop_none({"requestedMessage": self.message,
                                                  "connectorId": self.evse_id}))  # fmt: skip
        return ("TriggerMessage", _drop_none({"requestedMessage": self.message,
                                              "evse": _evse(self.evse_id, self.connector_id)}))


class GetConfiguration(Command):
    keys: list[str] | None = None

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        _only(version, V16, "get-configuration", "get-variables or get-base-report")
        return ("GetConfiguration", _drop_none({"key": self.keys}))


class ChangeConfiguration(Command):
    key: str = Field(min_length=1, max_length=50)
    value: str = Field(max_length=500)

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        _only(version, V16, "change-configuration", "set-variables")
        return ("ChangeConfiguration", {"key": self.key, "value": self.value})


class VariableRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    component: str = Field(min_length=1, max_length=50)
    variable: str = Field(min_length=1, max_length=50)
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = Field(default=None, ge=1)
    connector_id: int | None = Field(default=None, ge=1)
    attribute_type: Literal["Actual", "Target", "MinSet", "MaxSet"] | None = None

    def v201(self) -> Payload:
        component = _drop_none({"name": self.component, "instance": self.component_instance,
                                "evse": _evse(self.evse_id, self.connector_id)})  # fmt: skip
        variable = _drop_none({"name": self.variable, "instance": self.variable_instance})
        return _drop_none({"component": component, "variable": variable,
                           "attributeType": self.attribute_type})  # fmt: skip


class VariableValue(VariableRef):
    value: str = Field(max_length=1000)


class GetVariables(Command):
    variables: list[VariableRef] = Field(min_length=1)

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        _only(version, V201, "get-variables", "get-configuration")
        return ("GetVariables", {"getVariableData": [v.v201() for v in self.variables]})


class SetVariables(Command):
    variables: list[VariableValue] = Field(min_length=1)

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        _only(version, V201, "set-variables", "change-configuration")
        data = [{**v.v201(), "attributeValue": v.value} for v in self.variables]
        return ("SetVariables", {"setVariableData": data})


class GetBaseReport(Command):
    report_base: Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"] = (
        "FullInventory")  # fmt: skip
    request_id: int | None = None

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        _only(version, V201, "get-base-report", "get-configuration")
        return ("GetBaseReport", {"requestId": self.request_id or request_id,
                                  "reportBase": self.report_base})  # fmt: skip


class ClearCache(Command):
    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        return ("ClearCache", {})


class SetChargingProfile(Command):
    evse_id: int = Field(ge=0, description="0: the station; 1.6: the connector id.")
    profile: Payload = Field(description="csChargingProfiles (1.6) / chargingProfile (2.0.1).")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            return ("SetChargingProfile", {"connectorId": self.evse_id,
                                           "csChargingProfiles": self.profile})  # fmt: skip
        return ("SetChargingProfile", {"evseId": self.evse_id, "chargingProfile": self.profile})


class ClearChargingProfile(Command):
    profile_id: int | None = None
    evse_id: int | None = Field(default=None, ge=0)
    purpose: str | None = None
    stack_level: int | None = Field(default=None, ge=0)

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            return ("ClearChargingProfile", _drop_none({
                "id": self.profile_id, "connectorId": self.evse_id,
                "chargingProfilePurpose": self.purpose, "stackLevel": self.stack_level,
            }))  # fmt: skip
        criteria = _drop_none({"evseId": self.evse_id, "chargingProfilePurpose": self.purpose,
                               "stackLevel": self.stack_level})  # fmt: skip
        return ("ClearChargingProfile", _drop_none({
            "chargingProfileId": self.profile_id, "chargingProfileCriteria": criteria or None}))


class GetChargingProfiles(Command):
    evse_id: int | None = Field(default=None, ge=0)
    purpose: str | None = None
    stack_level: int | None = Field(default=None, ge=0)
    profile_ids: list[int] | None = None
    request_id: int | None = None

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        _only(version, V201, "get-charging-profiles", "get-composite-schedule")
        criterion = _drop_none({"chargingProfilePurpose": self.purpose,
                                "stackLevel": self.stack_level,
                                "chargingProfileId": self.profile_ids})  # fmt: skip
        return ("GetChargingProfiles", _drop_none({
            "requestId": self.request_id or request_id, "evseId": self.evse_id,
            "chargingProfile": criterion}))  # fmt: skip


class GetCompositeSchedule(Command):
    evse_id: int = Field(ge=0, description="0: the station's grid connection; 1.6: connector.")
    duration: int = Field(ge=1, description="seconds")
    charging_rate_unit: Literal["A", "W"] | None = None

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        target = "connectorId" if version is V16 else "evseId"
        return ("GetCompositeSchedule", _drop_none({
            target: self.evse_id, "duration": self.duration,
            "chargingRateUnit": self.charging_rate_unit}))  # fmt: skip


class UpdateFirmware(Command):
    location: str = Field(min_length=1, max_length=512)
    retrieve_at: AwareDatetime
    install_at: AwareDatetime | None = Field(default=None, description="2.0.1 only.")
    retries: int | None = Field(default=None, ge=0)
    retry_interval_s: int | None = Field(default=None, ge=0)
    signing_certificate: str | None = Field(default=None, description="2.0.1 only.")
    signature: str | None = Field(default=None, description="2.0.1 only.")
    request_id: int | None = None

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        retry = {"retries": self.retries, "retryInterval": self.retry_interval_s}
        if version is V16:
            if self.signature or self.signing_certificate or self.install_at:
                raise NotApplicable("1.6 UpdateFirmware is unsigned and has no install time")
            return ("UpdateFirmware", _drop_none({
                "location": self.location, "retrieveDate": _wire(self.retrieve_at), **retry}))
        firmware = _drop_none({
            "location": self.location, "retrieveDateTime": _wire(self.retrieve_at),
            "installDateTime": _wire(self.install_at),
            "signingCertificate": self.signing_certificate, "signature": self.signature,
        })  # fmt: skip
        return ("UpdateFirmware", _drop_none({"requestId": self.request_id or request_id,
                                              "firmware": firmware, **retry}))  # fmt: skip


class GetDiagnostics(Command):
    location: str = Field(min_length=1, max_length=512)
    start_time: AwareDatetime | None = None
    stop_time: AwareDatetime | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_interval_s: int | None = Field(default=None, ge=0)

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        _only(version, V16, "get-diagnostics", "get-log")
        return ("GetDiagnostics", _drop_none({
            "location": self.location, "startTime": _wire(self.start_time),
            "stopTime": _wire(self.stop_time), "retries": self.retries,
            "retryInterval": self.retry_interval_s}))  # fmt: skip


class GetLog(Command):
    """2.0.1 GetLog, and the same message of the OCPP 1.6 security whitepaper."""

    location: str = Field(min_length=1, max_length=512)
    log_type: Literal["DiagnosticsLog", "SecurityLog"] = "DiagnosticsLog"
    oldest: AwareDatetime | None = None
    latest: AwareDatetime | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_interval_s: int | None = Field(default=None, ge=0)
    request_id: int | None = None

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        log = _drop_none({"remoteLocation": self.location,
                          "oldestTimestamp": _wire(self.oldest),
                          "latestTimestamp": _wire(self.latest)})  # fmt: skip
        return ("GetLog", _drop_none({
            "logType": self.log_type, "requestId": self.request_id or request_id, "log": log,
            "retries": self.retries, "retryInterval": self.retry_interval_s}))  # fmt: skip


class LocalListEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_token: str = Field(min_length=1, max_length=36)
    type: str = Field(default="ISO14443", description="2.0.1 only.")
    status: Literal["Accepted", "Blocked", "Expired", "Invalid"] | None = Field(
        default=None, description="None in a Differential update: remove the entry.")
    expires_at: AwareDatetime | None = None
    group_id: str | None = Field(default=None, max_length=36)

    def v16(self) -> Payload:
        info = None if self.status is None else _drop_none({
            "status": self.status, "expiryDate": _wire(self.expires_at),
            "parentIdTag": self.group_id})  # fmt: skip
        return _drop_none({"idTag": self.id_token, "idTagInfo": info})

    def v201(self) -> Payload:
        group = {"idToken": self.group_id, "type": "Central"} if self.group_id else None
        info = None if self.status is None else _drop_none({
            "status": self.status, "cacheExpiryDateTime": _wire(self.expires_at),
            "groupIdToken": group})  # fmt: skip
        return _drop_none({"idToken": {"idToken": self.id_token, "type": self.type},
                           "idTokenInfo": info})  # fmt: skip


class SendLocalList(Command):
    version: int = Field(ge=1)
    update_type: Literal["Full", "Differential"] = "Full"
    entries: list[LocalListEntry] = []

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            return ("SendLocalList", _drop_none({
                "listVersion": self.version, "updateType": self.update_type,
                "localAuthorizationList": [e.v16() for e in self.entries] or None}))  # fmt: skip
        return ("SendLocalList", _drop_none({
            "versionNumber": self.version, "updateType": self.update_type,
            "localAuthorizationList": [e.v201() for e in self.entries] or None}))  # fmt: skip


class GetLocalListVersion(Command):
    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        return ("GetLocalListVersion", {})


class ReserveNow(Command):
    reservation_id: int
    id_token: IdTokenIn
    expires_at: AwareDatetime
    evse_id: int | None = Field(default=None, ge=0, description="1.6: the connector id "
                                "(required; 0 = any connector).")  # fmt: skip
    group_id: str | None = Field(default=None, max_length=36)

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16:
            if self.evse_id is None:
                raise NotApplicable("a 1.6 ReserveNow needs evse_id (the connector id)")
            return ("ReserveNow", _drop_none({
                "connectorId": self.evse_id, "expiryDate": _wire(self.expires_at),
                "idTag": self.id_token.id_token, "reservationId": self.reservation_id,
                "parentIdTag": self.group_id}))  # fmt: skip
        group = {"idToken": self.group_id, "type": "Central"} if self.group_id else None
        return ("ReserveNow", _drop_none({
            "id": self.reservation_id, "expiryDateTime": _wire(self.expires_at),
            "idToken": self.id_token.v201(), "evseId": self.evse_id or None,
            "groupIdToken": group}))  # fmt: skip


class CancelReservation(Command):
    reservation_id: int

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        return ("CancelReservation", {"reservationId": self.reservation_id})


class DataTransfer(Command):
    vendor_id: str = Field(min_length=1, max_length=255)
    message_id: str | None = Field(default=None, max_length=50)
    data: Any = Field(default=None, description="1.6: a string; 2.0.1: any JSON value.")

    def to_call(self, version: OcppVersion, request_id: int) -> Call:
        if version is V16 and self.data is not None and not isinstance(self.data, str):
            raise NotApplicable("1.6 DataTransfer data is a string")
        return ("DataTransfer", _drop_none({"vendorId": self.vendor_id,
                                            "messageId": self.message_id, "data": self.data}))


COMMANDS: Mapping[str, type[Command]] = {
    "remote-start": RemoteStart,
    "remote-stop": RemoteStop,
    "reset": Reset,
    "change-availability": ChangeAvailability,
    "unlock-connector": UnlockConnector,
    "trigger-message": TriggerMessage,
    "get-configuration": GetConfiguration,
    "change-configuration": ChangeConfiguration,
    "get-variables": GetVariables,
    "set-variables": SetVariables,
    "get-base-report": GetBaseReport,
    "clear-cache": ClearCache,
    "set-charging-profile": SetChargingProfile,
    "clear-charging-profile": ClearChargingProfile,
    "get-charging-profiles": GetChargingProfiles,
    "get-composite-schedule": GetCompositeSchedule,
    "update-firmware": UpdateFirmware,
    "get-diagnostics": GetDiagnostics,
    "get-log": GetLog,
    "send-local-list": SendLocalList,
    "get-local-list-version": GetLocalListVersion,
    "reserve-now": ReserveNow,
    "cancel-reservation": CancelReservation,
    "data-transfer": DataTransfer,
}


def request_id_for(call_id: str) -> int:
    """A positive int32 derived from the call id (stable for a given call)."""
    return int(call_id.replace("-", "")[:7], 16) + 1
