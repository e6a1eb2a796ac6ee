"""The read models declare themselves: the projector finds every ``projections/<model>.py``
with a ``PROJECTION``, each table belongs to one projection, and every event type is
projected somewhere or declared log-only here."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table

from projections.runtime.discovery import discover, projection_named
from projections.runtime.projection import Handlers, Projection
from schemas import readmodel
from schemas.events import (
    AvailabilityChanged,
    BaseReportRequested,
    CacheClearAnswered,
    CallCancelRefused,
    ChargingProfilesRequested,
    CompositeScheduleReported,
    ConnectionRefused,
    ConnectorUnlockAnswered,
    DataTransferAnswered,
    DiagnosticsRequested,
    DomainEvent,
    FirmwareUpdateRequested,
    HeartbeatReceived,
    IdTokenAuthorized,
    LogRequested,
    MeterKeyRegistered,
    MeterKeyRemoved,
    RemoteStartAnswered,
    RemoteStopAnswered,
    ResetAnswered,
    StationBooted,
    StationConfigured,
    TokenDeleted,
    TokenUpserted,
    TriggerAnswered,
    UnmatchedCallAnswer,
    latest_classes,
)

# Facts kept only on the log (audit), with no read model yet. HeartbeatReceived has no
# table of its own: every station-caused event keeps stations.last_seen_at current.
LOG_ONLY: frozenset[type[DomainEvent]] = frozenset({
    IdTokenAuthorized, HeartbeatReceived, ConnectionRefused,
    # Call facts: refused cancels, answers nobody asked for, and answers with no read model
    # yet (their statuses are on the call resource).
    CallCancelRefused, UnmatchedCallAnswer, BaseReportRequested, AvailabilityChanged,
    ResetAnswered, ConnectorUnlockAnswered, TriggerAnswered, CacheClearAnswered,
    RemoteStartAnswered, RemoteStopAnswered, ChargingProfilesRequested,
    CompositeScheduleReported, FirmwareUpdateRequested, DiagnosticsRequested, LogRequested,
    DataTransferAnswered,
})  # fmt: skip


def projected() -> frozenset[type[DomainEvent]]:
    return frozenset().union(*(p.handles for p in discover()))


def test_every_read_model_module_is_found() -> None:
    assert [p.name for p in discover()] == sorted([
        "audit", "billing", "calls", "locations", "notifications", "ocpi_partners", "ocpi_tokens",
        "station_connections",
        "station_settings",
        "signed_meter_values", "stations", "tariffs", "tokens", "transactions",
    ])  # fmt: skip


def test_every_event_type_is_projected_or_declared_log_only() -> None:
    assert set(latest_classes()) - projected() == LOG_ONLY
    assert not projected() & LOG_ONLY


def test_admin_events_are_projected_by_the_projections_the_api_waits_for() -> None:
    assert StationConfigured in projection_named(readmodel.STATIONS).handles
    assert {TokenUpserted, TokenDeleted} <= projection_named(readmodel.TOKENS).handles
    assert {MeterKeyRegistered, MeterKeyRemoved} <= projection_named(
        readmodel.SIGNED_METER_VALUES).handles


def test_every_read_model_table_belongs_to_exactly_one_projection() -> None:
    owned = [t.name for p in discover() for t in p.tables]
    declared = set(readmodel.metadata.tables) - {t.name for t in readmodel.STABLE}
    assert sorted(owned) == sorted(declared)


def test_an_event_type_is_handled_one_way_per_projection() -> None:
    handles = Handlers()

    @handles(StationBooted)
    async def twice(cur: object, event: object) -> None: ...

    from projections.runtime.projection import Fold

    fold = Fold(lambda e: 1, lambda e: 1, lambda a, b: b, twice)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="handled in two ways"):
        Projection("p", tables=(), handlers=handles, folds={StationBooted: fold})
    with pytest.raises(TypeError, match="already has a handler"):
        handles(StationBooted)(twice)


def test_the_fingerprint_follows_the_tables_and_the_revision() -> None:
    def projection(*columns: str, revision: int = 1) -> Projection:
        table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                      *(Column(c, Integer) for c in columns))  # fmt: skip
        return Projection("p", tables=(table,), revision=revision)

    same = projection("a").fingerprint()
    assert projection("a").fingerprint() == same
    assert projection("a", "b").fingerprint() != same
    assert projection("a", revision=2).fingerprint() != same


def test_a_version_lives_in_its_own_schema_with_the_declared_indexes() -> None:
    transactions = projection_named("transactions")
    ddl = "\n".join(transactions.ddl("transactions_v7"))
    assert "CREATE TABLE transactions_v7.transactions" in ddl
    assert "CREATE TABLE transactions_v7.meter_values" in ddl
    assert "ON transactions_v7.meter_values (transaction_pk, sampled_at)" in ddl
    assert transactions.schema(7) == "transactions_v7"
