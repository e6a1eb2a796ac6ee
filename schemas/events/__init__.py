"""Domain events: one frozen pydantic model per event type and schema version.

The models are the source of truth; ``<Type>.v<version>.json`` beside them are generated
from them (``python -m schemas.events.generate``, checked by a drift test) for readers of
the log that are not this code. Modules:

- :mod:`schemas.events.station`: connections, boots, heartbeats, connector status;
- :mod:`schemas.events.transactions`: authorization, transactions, meter values;
- :mod:`schemas.events.notifications`: what stations notify (firmware, logs, reports, ...);
- :mod:`schemas.events.calls`: the Pipe of CSMS-initiated calls;
- :mod:`schemas.events.results`: what a station's answer to a CSMS call establishes;
- :mod:`schemas.events.admin`: reference data from the operator (the admin log).

:mod:`schemas.events.base` holds the base class, the registry and upcasting (see its
exception tree); :mod:`schemas.events.envelope` the envelope the logs carry.
"""

from __future__ import annotations

from schemas.events.admin import (
    StationConfigured,
    TokenDeleted,
    TokenType,
    TokenUpserted,
)
from schemas.events.base import (
    DomainEvent,
    EventError,
    EventPart,
    Instant,
    InvalidEvent,
    OcppVersionName,
    UnknownEventType,
    WireTime,
    event_class,
    event_classes,
    latest_classes,
    upcast,
    upcasts,
)
from schemas.events.calls import (
    CallAnswered,
    CallCancelled,
    CallCancelRefused,
    CallExpired,
    CallQueued,
    CallRejected,
    CallSent,
    CallTimedOut,
    UnmatchedCallAnswer,
)
from schemas.events.envelope import EventEnvelope, decode_event, envelope, event_from_json
from schemas.events.notifications import (
    ChargingProfilesReported,
    DataTransferReceived,
    DiagnosticsStatusReported,
    FirmwareStatusReported,
    LogStatusReported,
    ReportedProfile,
    ReportReceived,
    ReservationStatusUpdated,
    SecurityEventReported,
    StationEventsNotified,
)
from schemas.events.results import (
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
from schemas.events.station import (
    ConnectionRefused,
    ConnectorStatusChanged,
    HeartbeatReceived,
    SecurityProfile,
    StationBooted,
    StationConnected,
    StationConnectedV1,
    StationDisconnected,
    security_profile_in,
)
from schemas.events.transactions import (
    Anomaly,
    IdTokenAuthorized,
    MeterValuesReported,
    Sample,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)

__all__ = [
    "Anomaly",
    "AvailabilityChanged",
    "BaseReportRequested",
    "CacheClearAnswered",
    "CallAnswered",
    "CallCancelRefused",
    "CallCancelled",
    "CallExpired",
    "CallQueued",
    "CallRejected",
    "CallSent",
    "CallTimedOut",
    "ChargingProfileSet",
    "ChargingProfilesCleared",
    "ChargingProfilesReported",
    "ChargingProfilesRequested",
    "CompositeScheduleReported",
    "ConfigurationChanged",
    "ConfigurationKey",
    "ConfigurationRead",
    "ConnectionRefused",
    "ConnectorStatusChanged",
    "ConnectorUnlockAnswered",
    "DataTransferAnswered",
    "DataTransferReceived",
    "DiagnosticsRequested",
    "DiagnosticsStatusReported",
    "DomainEvent",
    "EventEnvelope",
    "EventError",
    "EventPart",
    "FirmwareStatusReported",
    "FirmwareUpdateRequested",
    "HeartbeatReceived",
    "IdTokenAuthorized",
    "Instant",
    "InvalidEvent",
    "LocalListUpdated",
    "LocalListVersionReported",
    "LogRequested",
    "LogStatusReported",
    "MeterValuesReported",
    "OcppVersionName",
    "RemoteStartAnswered",
    "RemoteStopAnswered",
    "ReportReceived",
    "ReportedProfile",
    "ReservationAnswered",
    "ReservationCancelled",
    "ReservationStatusUpdated",
    "ResetAnswered",
    "Sample",
    "SecurityEventReported",
    "SecurityProfile",
    "StationBooted",
    "StationConfigured",
    "StationConnected",
    "StationConnectedV1",
    "StationDisconnected",
    "StationEventsNotified",
    "TokenDeleted",
    "TokenType",
    "TokenUpserted",
    "TransactionEnded",
    "TransactionStarted",
    "TransactionUpdated",
    "TriggerAnswered",
    "UnknownEventType",
    "UnmatchedCallAnswer",
    "VariableResult",
    "VariablesGot",
    "VariablesSet",
    "WireTime",
    "decode_event",
    "envelope",
    "event_class",
    "event_classes",
    "event_from_json",
    "latest_classes",
    "security_profile_in",
    "upcast",
    "upcasts",
]


def validate_event_data(event_type: str, version: int, data: dict[str, object]) -> None:
    """Raise ``pydantic.ValidationError`` if ``data`` is not a valid event of its type."""
    event_class(event_type, version).model_validate(data)
