"""What a station's CallResult to a CSMS-initiated call establishes (processors/results: one event
per answered call)."""

from __future__ import annotations

from typing import Any, Literal

from schemas.events.base import DomainEvent, EventPart


class AvailabilityChanged(DomainEvent):
    """ChangeAvailability answered (Accepted: now, Scheduled: after the running transaction,
    Rejected: not changed). EVSE 0 / null = the whole station.
    """

    evse_id: int | None
    connector_id: int | None
    operational: Literal["Operative", "Inoperative"]
    status: str


class BaseReportRequested(DomainEvent):
    """2.0.1 GetBaseReport answered; the report itself arrives as NotifyReport (ReportReceived)."""

    request_id: int
    report_base: str
    status: str


class CacheClearAnswered(DomainEvent):
    """ClearCache answered."""

    status: str


class ChargingProfileSet(DomainEvent):
    """SetChargingProfile answered Accepted: the profile is installed on the EVSE (1.6: connector;
    0 = the station). It replaces a profile with the same id, or the same purpose and stack
    level.
    """

    evse_id: int
    profile_id: int
    stack_level: int
    purpose: str
    profile: dict[str, Any]


class ChargingProfilesCleared(DomainEvent):
    """ClearChargingProfile answered Accepted: profiles matching every criterion given were removed
    (no criterion: all).
    """

    profile_id: int | None = None
    evse_id: int | None = None
    purpose: str | None = None
    stack_level: int | None = None


class ChargingProfilesRequested(DomainEvent):
    """2.0.1 GetChargingProfiles answered; the profiles arrive as ReportChargingProfiles."""

    request_id: int
    status: str


class CompositeScheduleReported(DomainEvent):
    """GetCompositeSchedule answered (schedule as sent, when Accepted)."""

    evse_id: int
    status: str
    schedule_start: str | None = None
    schedule: dict[str, Any] | None = None


class ConfigurationChanged(DomainEvent):
    """1.6 ChangeConfiguration answered Accepted or RebootRequired: the key now has this value
    (after a reboot for RebootRequired).
    """

    key: str
    value: str
    status: Literal["Accepted", "RebootRequired"]


class ConfigurationKey(EventPart):
    """One item of ConfigurationRead."""

    key: str
    value: str | None = None
    readonly: bool


class ConfigurationRead(DomainEvent):
    """1.6 GetConfiguration answered: the keys the station reported (value absent when unknown to
    it) and the keys it does not know.
    """

    keys: tuple[ConfigurationKey, ...]
    unknown_keys: tuple[str, ...]


class ConnectorUnlockAnswered(DomainEvent):
    """UnlockConnector answered."""

    evse_id: int | None
    connector_id: int | None
    status: str


class DataTransferAnswered(DomainEvent):
    """A CSMS DataTransfer answered."""

    vendor_id: str
    message_id: str | None = None
    status: str
    data: Any | None = None


class DiagnosticsRequested(DomainEvent):
    """1.6 GetDiagnostics answered (file_name absent: no diagnostics available)."""

    location: str
    file_name: str | None = None


class FirmwareUpdateRequested(DomainEvent):
    """UpdateFirmware (or 1.6 SignedUpdateFirmware) answered; progress arrives as
    FirmwareStatusNotification.
    """

    location: str
    retrieve_at: str
    request_id: int | None = None
    status: str | None = None


class LocalListUpdated(DomainEvent):
    """SendLocalList answered Accepted: the station's local authorization list now has this
    version.
    """

    version: int
    update_type: Literal["Full", "Differential"]
    entries: int


class LocalListVersionReported(DomainEvent):
    """GetLocalListVersion answered (0: no list; -1 in 1.6: not supported)."""

    version: int


class LogRequested(DomainEvent):
    """GetLog answered; progress arrives as LogStatusNotification."""

    log_type: str
    request_id: int
    location: str
    status: str
    file_name: str | None = None


class RemoteStartAnswered(DomainEvent):
    """1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction answered (the transaction itself
    is reported by the station).
    """

    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str
    remote_start_id: int | None = None
    transaction_id: str | None = None
    status: str


class RemoteStopAnswered(DomainEvent):
    """1.6 RemoteStopTransaction / 2.0.1 RequestStopTransaction answered."""

    transaction_id: str
    status: str


class ReservationAnswered(DomainEvent):
    """ReserveNow answered; Accepted means the reservation holds until expires_at."""

    evse_id: int | None = None
    connector_id: int | None = None
    reservation_id: int
    id_token: str
    expires_at: str
    status: str


class ReservationCancelled(DomainEvent):
    """CancelReservation answered Accepted."""

    reservation_id: int


class ResetAnswered(DomainEvent):
    """Reset answered."""

    type: str
    evse_id: int | None = None
    status: str


class TriggerAnswered(DomainEvent):
    """TriggerMessage (or 1.6 ExtendedTriggerMessage) answered."""

    evse_id: int | None = None
    connector_id: int | None = None
    requested_message: str
    status: str


class VariableResult(EventPart):
    """One item of VariablesGot."""

    component: str
    component_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    variable: str
    variable_instance: str | None = None
    attribute_type: str
    status: str
    value: str | None = None


class VariablesGot(DomainEvent):
    """2.0.1 GetVariables answered: one result per requested variable (value when Accepted)."""

    results: tuple[VariableResult, ...]


class VariablesSet(DomainEvent):
    """2.0.1 SetVariables answered: one result per variable; value is the one the CSMS asked for
    (applied when status is Accepted or RebootRequired).
    """

    results: tuple[VariableResult, ...]
