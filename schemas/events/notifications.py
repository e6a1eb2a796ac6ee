"""Station notifications recorded as they came: firmware, diagnostics, logs, security events,
device-model reports and events, DataTransfer, profiles, reservations."""

from __future__ import annotations

from typing import Any

from schemas.events.base import DomainEvent, EventPart, WireTime


class FirmwareStatusReported(DomainEvent):
    """FirmwareStatusNotification (1.6 §4.5 / signed variant; 2.0.1 L01)."""

    status: str
    request_id: int | None
    signed: bool


class DiagnosticsStatusReported(DomainEvent):
    """OCPP 1.6 DiagnosticsStatusNotification (§4.4)."""

    status: str


class LogStatusReported(DomainEvent):
    """LogStatusNotification (2.0.1 N01; 1.6 security white paper)."""

    status: str
    request_id: int | None


class SecurityEventReported(DomainEvent):
    """SecurityEventNotification (2.0.1 A04; 1.6 security white paper)."""

    type: str
    at: WireTime
    tech_info: str | None


class DataTransferReceived(DomainEvent):
    """A station DataTransfer request and the CSMS's answer status."""

    vendor_id: str
    message_id: str | None
    data: Any
    """As sent (1.6: string; 2.0.1: any JSON)."""
    status: str


class ReportReceived(DomainEvent):
    """A 2.0.1 NotifyReport part (B07/B08), report data verbatim."""

    request_id: int
    generated_at: WireTime
    seq_no: int
    tbc: bool
    report_data: tuple[dict[str, Any], ...]


class StationEventsNotified(DomainEvent):
    """A 2.0.1 NotifyEvent (N07), event data verbatim."""

    generated_at: WireTime
    seq_no: int
    tbc: bool
    event_data: tuple[dict[str, Any], ...]


class ReportedProfile(EventPart):
    """One item of ChargingProfilesReported."""

    profile_id: int
    stack_level: int
    purpose: str
    profile: dict[str, Any]


class ChargingProfilesReported(DomainEvent):
    """2.0.1 ReportChargingProfiles (K09, the answer to GetChargingProfiles, possibly in several
    parts): the profiles installed on one EVSE (0 = the station) from one source.
    """

    request_id: int
    evse_id: int
    source: str
    """chargingLimitSource: CSO, EMS, SO or Other."""
    tbc: bool
    profiles: tuple[ReportedProfile, ...]


class ReservationStatusUpdated(DomainEvent):
    """2.0.1 ReservationStatusUpdate (H05): the station ended a reservation, Expired or Removed."""

    reservation_id: int
    status: str
