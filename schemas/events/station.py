"""Station lifecycle: connections, boots, heartbeats, connector status (OCPP 1.6 §4.2, §4.6, §4.9;
2.0.1 B01-B03, G01-G05)."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, cast

from pydantic import Field

from schemas.events.base import DomainEvent, OcppVersionName, WireTime, upcasts

SecurityProfile = Literal[1, 2, 3]
"""OCPP security profiles (1.6 Security Whitepaper §2; 2.0.1 Part 2 A00)."""


class StationConnectedV1(DomainEvent):
    """A station's WebSocket connection was accepted by a gateway (schema version 1: how the
    gateway admitted it is only in ``reason``'s text)."""

    type_name: ClassVar[str] = "StationConnected"
    schema_version: ClassVar[int] = 1

    ocpp_version: OcppVersionName
    gateway_id: str
    connection_id: str
    remote_address: str | None = None
    reason: str | None = None
    """How the gateway admitted the connection, e.g. "security profile 2: Basic auth"
    (absent in events recorded before it was added)."""


class StationConnected(DomainEvent):
    """A station's WebSocket connection was accepted by a gateway."""

    schema_version: ClassVar[int] = 2

    ocpp_version: OcppVersionName
    gateway_id: str
    connection_id: str
    remote_address: str | None = None
    reason: str | None = None
    """How the gateway admitted the connection, e.g. "security profile 2: Basic auth"."""
    security_profile: SecurityProfile | None
    """The OCPP security profile the station was admitted with (1.6 Security Whitepaper §2,
    2.0.1 Part 2 A00.FR.2xx): 1 Basic auth, 2 TLS + Basic auth, 3 TLS client certificate;
    null when the gateway admitted it without one (open mode) or the record does not say."""


_PROFILE_IN_REASON = re.compile(r"^security profile ([123])\b")


def security_profile_in(reason: str | None) -> SecurityProfile | None:
    """The profile a version 1 ``reason`` names ("security profile 2: ..."), if any."""
    match = _PROFILE_IN_REASON.match(reason or "")
    return cast(SecurityProfile, int(match.group(1))) if match else None


@upcasts(StationConnectedV1)
def _connected_v2(old: StationConnectedV1) -> StationConnected:
    """Version 2 states the security profile that version 1 only wrote into its reason."""
    return StationConnected(**old.model_dump(), security_profile=security_profile_in(old.reason))


class StationDisconnected(DomainEvent):
    """A station's WebSocket connection closed."""

    gateway_id: str
    connection_id: str
    reason: str | None = None


class ConnectionRefused(DomainEvent):
    """A gateway refused a connection attempt (handshake or TLS), with its reason. The envelope's
    station_id is the id the attempt claimed, or "(unidentified)" when it named none.
    """

    gateway_id: str
    attempt_id: str
    remote_address: str | None = None
    http_status: int | None = None
    """the handshake answer; null when the TLS handshake failed"""
    reason: str


class StationBooted(DomainEvent):
    """A station sent BootNotification and the CSMS answered it (OCPP 1.6 §4.2 / 2.0.1 B01-B03)."""

    ocpp_version: OcppVersionName
    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    reason: str | None = None
    """2.0.1 BootReasonEnumType; null for 1.6."""
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None
    status: Literal["Accepted", "Pending", "Rejected"]
    interval: Annotated[int, Field(ge=0)]


class HeartbeatReceived(DomainEvent):
    """A station sent Heartbeat (OCPP 1.6 §4.6 / 2.0.1 G02): it was alive at occurred_at. Carries
    no data; it keeps the station's last_seen_at current while nothing else happens.
    """


class ConnectorStatusChanged(DomainEvent):
    """A connector's (1.6) or EVSE connector's (2.0.1) status (StatusNotification, or 2.0.1
    NotifyEvent AvailabilityState).
    """

    evse_id: Annotated[int, Field(ge=0)]
    connector_id: Annotated[int, Field(ge=0)]
    status: str
    error_code: str | None
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    status_at: WireTime
