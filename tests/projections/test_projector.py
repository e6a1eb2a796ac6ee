"""The projector's registry: every projected type has a schema, and every event type of
the charging-session flow is projected or declared log-only."""

from __future__ import annotations

from importlib import resources

from projections.projector import ADMIN_TYPES, HANDLERS, PROJECTED, TABLES

# Facts kept only on the log (audit), with no read model yet.
# HeartbeatReceived has no table of its own: the projector folds every station-caused event
# into stations.last_seen_at.
LOG_ONLY = {"IdTokenAuthorized", "HeartbeatReceived"}
SESSION_TYPES = {
    "StationBooted", "StationConnected", "StationDisconnected", "ConnectorStatusChanged",
    "IdTokenAuthorized", "TransactionStarted", "TransactionUpdated", "TransactionEnded",
    "MeterValuesReported", "FirmwareStatusReported", "DiagnosticsStatusReported",
    "LogStatusReported", "SecurityEventReported", "DataTransferReceived", "ReportReceived",
    "StationEventsNotified", "StationConfigured", "TokenUpserted", "TokenDeleted",
    "HeartbeatReceived",
}  # fmt: skip


def event_types() -> set[str]:
    files = resources.files("schemas").joinpath("events").iterdir()
    return {f.name.split(".")[0] for f in files
            if f.name.endswith(".v1.json") and not f.name.startswith("envelope")}  # fmt: skip


def test_session_event_types_are_projected_or_declared_log_only() -> None:
    assert event_types() >= PROJECTED
    assert event_types() >= SESSION_TYPES
    assert PROJECTED >= SESSION_TYPES - LOG_ONLY


def test_admin_types_are_projected_and_rebuild_empties_every_table() -> None:
    assert set(HANDLERS) >= ADMIN_TYPES
    assert set(TABLES) == {"stations", "connectors", "tokens", "transactions", "meter_values",
                           "station_notifications", "calls", "station_configuration",
                           "station_variables", "charging_profiles", "reservations",
                           "local_list_versions"}


# Call facts kept only on the log: refused cancels, answers nobody asked for, and answers
# with no read model yet (statuses are on the call resource).
CALL_LOG_ONLY = {
    "CallCancelRefused", "UnmatchedCallAnswer", "BaseReportRequested", "AvailabilityChanged",
    "ResetAnswered", "ConnectorUnlockAnswered", "TriggerAnswered", "CacheClearAnswered",
    "RemoteStartAnswered", "RemoteStopAnswered", "ChargingProfilesRequested",
    "CompositeScheduleReported", "FirmwareUpdateRequested", "DiagnosticsRequested",
    "LogRequested", "DataTransferAnswered",
}  # fmt: skip


def test_every_event_type_is_projected_or_declared_log_only() -> None:
    assert event_types() - PROJECTED - {"ConnectionRefused"} == LOG_ONLY | CALL_LOG_ONLY
